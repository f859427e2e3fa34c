"""Anonymous return questionnaires.

Nothing here links a response to a pupil: invitation codes are kept only as hashes with coarse
strata and are deleted when used, responses carry no pupil, code, address, agent, session or
time of day, and every id a respondent's path touches is random. docs/privacy.md explains why.
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
    DRAFT = "draft"  # editable in place
    IN_USE = "in_use"  # invitations issued: edited in place until the first answer
    CLOSED = "closed"  # replaced by a newer version


class InvitationChannel(enum.StrEnum):
    EMAIL = "email"
    CLASS_SHEET = "class_sheet"


# The school's priority education area, as the observatory breaks figures down (Fiche 1):
# REP, REP+, or "none" (a school outside priority education).
PRIORITY_AREAS = ("REP", "REP+", "none")
PRIORITY_AREA_CHECK = "priority_area IN ('REP', 'REP+', 'none')"


def random_id() -> str:
    return secrets.token_hex(16)


class Questionnaire(Base):
    """One version of the pupils' or the tutors' questionnaire of a campaign."""

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
    # When all the responses of this version were last rewritten in one random order
    # (services/questionnaires/mixing.py); cleared by every new answer. Releases read the
    # responses only while it is set.
    responses_mixed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "respondent", "version"),
        sa.CheckConstraint("version >= 1", name="version"),
    )

    def __repr__(self) -> str:
        return f"<Questionnaire {self.id} {self.respondent.value} v{self.version}>"


class QuestionnaireSheet(Base):
    """The paper slips of one class: what a reprint needs to replace its unused codes.

    No names, no pupils, no print time: a class of a school, nothing else. Its codes are the
    invitations pointing at it; a used code's invitation is deleted, so the sheet only ever
    knows how many of its codes are still unused, never whose.
    """

    __tablename__ = "questionnaire_sheets"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=random_id)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"))
    class_name: Mapped[str] = mapped_column(sa.String(40))

    __table_args__ = (sa.UniqueConstraint("campaign_id", "school_id", "class_name"),)


class QuestionnaireInvitation(Base):
    """An unused invitation code: its hash, the campaign and coarse strata, nothing else.

    No pupil, no tutor, no time: the row is deleted when the code is used (so no "used at"
    survives), and ids are random so that neither the id nor the insertion order (codes are
    created in shuffled order) says whose code it was. A paper code points at its class's
    sheet (so that the unused ones can be reprinted), never at a pupil.
    """

    __tablename__ = "questionnaire_invitations"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=random_id)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    respondent: Mapped[Respondent] = mapped_column(enum_type(Respondent, "respondent"))
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    level: Mapped[Level | None] = mapped_column(LEVEL_TYPE)
    school_kind: Mapped[SchoolKind | None] = mapped_column(enum_type(SchoolKind, "school_kind"))
    sheet_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("questionnaire_sheets.id"), index=True)
    # The two strata of Fiche 1's breakdown by priority area (PRIORITY_AREAS, None: unknown).
    priority_area: Mapped[str | None] = mapped_column(sa.String(8))
    qpv_resident: Mapped[bool | None]

    __table_args__ = (sa.CheckConstraint(PRIORITY_AREA_CHECK, name="priority_area"),)


class QuestionnaireInvitee(Base):
    """Who was invited, and how: it drives reminders and the response rate.

    Deliberately holds no code, no hash and no invitation id: it says "this pupil received a
    code", never which one.
    """

    __tablename__ = "questionnaire_invitees"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    respondent: Mapped[Respondent] = mapped_column(enum_type(Respondent, "respondent"))
    pupil_id: Mapped[int | None] = mapped_column(sa.ForeignKey("pupils.id", ondelete="CASCADE"))
    tutor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tutors.id", ondelete="CASCADE"))
    channel: Mapped[InvitationChannel] = mapped_column(
        enum_type(InvitationChannel, "invitation_channel")
    )
    invited_on: Mapped[dt.date]
    # A class-sheet pupil's code exists once the teacher printed it (the response rate counts
    # only codes that exist).
    code_issued: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "pupil_id"),
        sa.UniqueConstraint("campaign_id", "tutor_id"),
        sa.CheckConstraint(
            "(respondent = 'pupil' AND pupil_id IS NOT NULL AND tutor_id IS NULL) OR "
            "(respondent = 'tutor' AND tutor_id IS NOT NULL AND pupil_id IS NULL)",
            name="one_person",
        ),
    )


class QuestionnaireResponse(Base):
    """One anonymous answer. No pupil, code, address, user agent, session or time of day.

    On SQLite the table has no rowid (``WITHOUT ROWID``): rows are stored in the order of
    their random ids, so no hidden counter keeps the order of insertion. On PostgreSQL the
    physical order and the ``xmin`` of the rows are erased by the mixing job before any
    release (services/questionnaires/mixing.py).
    """

    __tablename__ = "questionnaire_responses"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=random_id)
    questionnaire_id: Mapped[int] = mapped_column(sa.ForeignKey("questionnaires.id"), index=True)
    level: Mapped[Level | None] = mapped_column(LEVEL_TYPE)
    school_kind: Mapped[SchoolKind | None] = mapped_column(enum_type(SchoolKind, "school_kind"))
    # Monday of the week of the answer: never a time of day.
    answered_week: Mapped[dt.date]
    answers: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # Copied from the invitation, like level and school type (None: unknown).
    priority_area: Mapped[str | None] = mapped_column(sa.String(8))
    qpv_resident: Mapped[bool | None]

    __table_args__ = (sa.CheckConstraint(PRIORITY_AREA_CHECK, name="priority_area"),
                      {"sqlite_with_rowid": False})
