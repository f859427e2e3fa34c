"""Reaching the Charter signatories who are not registered yet (« démarchage », Fiche 5)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from stagebourse.models.base import Base, UTCDateTime, utcnow
from stagebourse.models.companies import Company


class CharterProspect(Base):
    """A signatory of the Charter found in the territory's list but not registered here: a
    professional contact the steering group may invite once, and remind once.

    ``declined_at`` is final: nothing writes to a declined prospect again, and a re-import of
    the list finds it (by SIRET or name) instead of creating a fresh one.
    """

    __tablename__ = "charter_prospects"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    # normalise_name(name): how a re-import without SIRET finds the same prospect.
    name_key: Mapped[str] = mapped_column(sa.String(200), index=True)
    siret: Mapped[str | None] = mapped_column(sa.String(14), index=True)
    email: Mapped[str | None] = mapped_column(sa.String(254))
    # sha256 of the personal link's token: the clear token is only in the mail.
    token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    token_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    invited_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    declined_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    joined_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    company_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("companies.id", ondelete="SET NULL"))

    company: Mapped[Company | None] = relationship()

    def __repr__(self) -> str:
        return f"<CharterProspect {self.id}>"
