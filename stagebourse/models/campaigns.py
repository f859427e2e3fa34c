"""Campaigns: one per school year and level, with each school's internship weeks."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from stagebourse.models.base import (
    ISO_WEEK_PATTERN,
    LEVEL_TYPE,
    Base,
    Level,
    UTCDateTime,
    enum_type,
    utcnow,
)
from stagebourse.models.reference import School


class CampaignState(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    MATCHED = "matched"
    PUBLISHED = "published"
    FINISHED = "finished"


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    level: Mapped[Level] = mapped_column(LEVEL_TYPE)
    name: Mapped[str] = mapped_column(sa.String(200))
    state: Mapped[CampaignState] = mapped_column(
        enum_type(CampaignState, "campaign_state"), default=CampaignState.DRAFT
    )
    requests_deadline: Mapped[dt.date]
    confirmation_deadline: Mapped[dt.date | None]
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    school_weeks: Mapped[list[CampaignSchoolWeek]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.UniqueConstraint("year", "level"),
        sa.CheckConstraint("year BETWEEN 2020 AND 2100", name="year"),
    )

    def __repr__(self) -> str:
        return f"<Campaign {self.year} {self.level.value} {self.state.value}>"


class CampaignSchoolWeek(Base):
    """An ISO week during which a school's pupils of this campaign do their internship."""

    __tablename__ = "campaign_school_weeks"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"))
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"))
    week: Mapped[str] = mapped_column(sa.String(8))

    campaign: Mapped[Campaign] = relationship(back_populates="school_weeks")
    school: Mapped[School] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "school_id", "week"),
        sa.CheckConstraint(f"week LIKE '{ISO_WEEK_PATTERN}'", name="iso_week"),
    )
