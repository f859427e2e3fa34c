"""Offers posted by host structures, with seats per internship week and campaign."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from stagebourse.models.base import ISO_WEEK_PATTERN, Base, UTCDateTime, enum_type, utcnow
from stagebourse.models.campaigns import Campaign
from stagebourse.models.companies import Company, Tutor
from stagebourse.models.reference import Commune, Sector


class OfferState(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


class Offer(Base):
    __tablename__ = "offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("companies.id"), index=True)
    sector_code: Mapped[str] = mapped_column(sa.ForeignKey("sectors.code"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text)
    address: Mapped[str] = mapped_column(sa.String(300))
    commune_code: Mapped[str | None] = mapped_column(sa.ForeignKey("communes.code_insee"))
    lat: Mapped[float]
    lon: Mapped[float]
    for_3e: Mapped[bool] = mapped_column(default=True)
    for_2de: Mapped[bool] = mapped_column(default=True)
    min_age: Mapped[int] = mapped_column(default=14, server_default="14")
    accessible: Mapped[bool] = mapped_column(default=False)
    # [{"day": "lundi", "start": "09:00", "end": "12:00"}, ...]
    schedule: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    # Code de l'éducation D. 331-9: no dangerous machine or product.
    safety_attested: Mapped[bool] = mapped_column(default=False)
    tutor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tutors.id"))
    state: Mapped[OfferState] = mapped_column(
        enum_type(OfferState, "offer_state"), default=OfferState.DRAFT
    )
    # The structure's own reference: re-importing the same CSV/API item updates, never duplicates.
    external_ref: Mapped[str | None] = mapped_column(sa.String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    company: Mapped[Company] = relationship()
    sector: Mapped[Sector] = relationship()
    commune: Mapped[Commune | None] = relationship()
    tutor: Mapped[Tutor | None] = relationship()
    weeks: Mapped[list[OfferWeek]] = relationship(
        back_populates="offer", cascade="all, delete-orphan", order_by="OfferWeek.week"
    )

    __table_args__ = (
        sa.UniqueConstraint("company_id", "external_ref"),
        sa.CheckConstraint("for_3e OR for_2de", name="some_level"),
        sa.CheckConstraint("min_age BETWEEN 13 AND 18", name="min_age"),
        sa.CheckConstraint("lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180", name="coords"),
    )

    def __repr__(self) -> str:
        return f"<Offer {self.id} {self.state.value}>"


class OfferWeek(Base):
    """Seats offered on one ISO week. A week's seats belong to exactly one campaign, so two
    campaigns (3e and 2de) can never give the same seat twice."""

    __tablename__ = "offer_weeks"

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(sa.ForeignKey("offers.id", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    week: Mapped[str] = mapped_column(sa.String(8))
    seats: Mapped[int]

    offer: Mapped[Offer] = relationship(back_populates="weeks")
    campaign: Mapped[Campaign] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("offer_id", "week"),
        sa.CheckConstraint("seats >= 0 AND seats <= 50", name="seats"),
        sa.CheckConstraint(f"week LIKE '{ISO_WEEK_PATTERN}'", name="iso_week"),
    )
