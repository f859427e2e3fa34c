"""Frozen releases of the observatory: figures computed once, then stored unchanged.

A release is what the public page, the steering pages and the exports show; nothing reads the
questionnaire answers live. ``published`` holds only what may be served (hidden cells are
``null``); ``audit_tables`` holds the true counts behind them, kept server-side so that a later
release can be audited jointly with this one (docs/privacy.md) and never rendered.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from stagebourse.models.base import Base, UTCDateTime, enum_type, utcnow
from stagebourse.models.campaigns import Campaign


class ReleaseKind(enum.StrEnum):
    CAMPAIGN = "campaign"  # one campaign, after its questionnaire closed
    ANNUAL = "annual"  # the annual report: the year's campaigns, pooled by level


class ObservatoryRelease(Base):
    __tablename__ = "observatory_releases"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ReleaseKind] = mapped_column(enum_type(ReleaseKind, "release_kind"))
    year: Mapped[int]
    campaign_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    # "campaign:<id>" or "annual:<year>": each is released once, never recomputed.
    scope: Mapped[str] = mapped_column(sa.String(40), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    # The questionnaire versions read and the indicators' definitions, as they were.
    questionnaires: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)
    indicators: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)
    # What is served: summary, suppressed tables, the matching audit's headline.
    published: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    # Server-side only: true counts and keys, for the joint audit of later releases.
    audit_tables: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)

    campaign: Mapped[Campaign | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint("(kind = 'campaign') = (campaign_id IS NOT NULL)",
                           name="campaign_when_campaign_kind"),
    )

    def __repr__(self) -> str:
        return f"<ObservatoryRelease {self.id} {self.scope}>"
