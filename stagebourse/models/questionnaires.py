"""Anonymous return questionnaires.

Nothing here links a response to a pupil: invitation codes are kept only as hashes with coarse
strata, responses carry no pupil, code, address, agent or session, ids are random and dates are
truncated. docs/privacy.md explains why.
"""

from __future__ import annotations

import datetime as dt
import enum
import secrets
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from stagebourse.models.base import LEVEL_TYPE, Base, Level, UTCDateTime, enum_type, utcnow
from stagebourse.models.reference import SchoolKind


class Respondent(enum.StrEnum):
    PUPIL = "pupil"
    TUTOR = "tutor"


class QuestionnaireState(enum.StrEnum):
    DRAFT = "draft"
    IN_USE = "in_use"
    CLOSED = "closed"


def random_id() -> str:
    return secrets.token_hex(16)


class Questionnaire(Base):
    __tablename__ = "questionnaires"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    respondent: Mapped[Respondent] = mapped_column(enum_type(Respondent, "respondent"))
    version: Mapped[int] = mapped_column(default=1)
    title: Mapped[str] = mapped_column(sa.String(200))
    questions: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    state: Mapped[QuestionnaireState] = mapped_column(
        enum_type(QuestionnaireState, "questionnaire_state"), default=QuestionnaireState.DRAFT
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (sa.UniqueConstraint("campaign_id", "respondent", "version"),)


class QuestionnaireInvitation(Base):
    """An unused invitation code, stored as a hash with coarse strata only. Answering burns it."""

    __tablename__ = "questionnaire_invitations"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=random_id)
    questionnaire_id: Mapped[int] = mapped_column(sa.ForeignKey("questionnaires.id"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    level: Mapped[Level | None] = mapped_column(LEVEL_TYPE)
    school_kind: Mapped[SchoolKind | None] = mapped_column(enum_type(SchoolKind, "school_kind"))
    used: Mapped[bool] = mapped_column(default=False)


class QuestionnaireResponse(Base):
    __tablename__ = "questionnaire_responses"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=random_id)
    questionnaire_id: Mapped[int] = mapped_column(sa.ForeignKey("questionnaires.id"), index=True)
    level: Mapped[Level | None] = mapped_column(LEVEL_TYPE)
    school_kind: Mapped[SchoolKind | None] = mapped_column(enum_type(SchoolKind, "school_kind"))
    # Monday of the week of the answer: never a time of day.
    answered_week: Mapped[dt.date]
    answers: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
