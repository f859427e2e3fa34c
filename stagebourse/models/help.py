"""Help for people who met discrimination: call-back requests and their monthly counts.

A call-back request holds only what the person chose to type, and lives a few days (the
retention purge deletes it). What the observatory learns is the count per month and per need,
kept in a table of its own with no identifier, no day and nothing shared with questionnaires.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from stagebourse.models.base import Base, UTCDateTime, utcnow


class CallbackRequest(Base):
    """« Être rappelé·e »: sent to the steering group's referent, then deleted."""

    __tablename__ = "callback_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(sa.String(60))  # a first name or a pseudonym
    phone: Mapped[str | None] = mapped_column(sa.String(30))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    topic: Mapped[str | None] = mapped_column(sa.String(20))
    # Only for the retention purge: deleted CALLBACK_RETENTION_DAYS after.
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class CallbackCount(Base):
    """How many call-backs were asked, per calendar month and need: no row per person."""

    __tablename__ = "callback_counts"

    month: Mapped[str] = mapped_column(sa.String(7), primary_key=True)  # "2026-12"
    topic: Mapped[str] = mapped_column(sa.String(20), primary_key=True)  # "" when not said
    count: Mapped[int] = mapped_column(default=0)
