"""A pupil's request in a campaign: up to five ranked wishes."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from stagebourse.models.base import Base, UTCDateTime, enum_type, utcnow
from stagebourse.models.campaigns import Campaign
from stagebourse.models.pupils import Pupil

MAX_WISHES = 5


class RequestState(enum.StrEnum):
    DRAFT = "draft"
    CONFIRMED = "confirmed"
    FOUND_OWN = "found_own"  # found an internship by their own means: counted, not matched
    WITHDRAWN = "withdrawn"  # e.g. guardian consent withdrawn


class Request(Base):
    __tablename__ = "requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    pupil_id: Mapped[int] = mapped_column(sa.ForeignKey("pupils.id", ondelete="CASCADE"))
    state: Mapped[RequestState] = mapped_column(
        enum_type(RequestState, "request_state"), default=RequestState.DRAFT
    )
    # "Does someone in your family know a host?" Audit label for the network-first
    # counterfactual only; the matcher never sees it.
    has_network: Mapped[bool | None]
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    campaign: Mapped[Campaign] = relationship()
    pupil: Mapped[Pupil] = relationship()
    wishes: Mapped[list[Wish]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="Wish.rank"
    )

    __table_args__ = (sa.UniqueConstraint("campaign_id", "pupil_id"),)

    def __repr__(self) -> str:
        return f"<Request {self.id} {self.state.value}>"


class Wish(Base):
    """Rank 1 is the preferred wish. A wish names either a sector or one offer."""

    __tablename__ = "wishes"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("requests.id", ondelete="CASCADE"))
    rank: Mapped[int]
    sector_code: Mapped[str | None] = mapped_column(sa.ForeignKey("sectors.code"))
    offer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("offers.id", ondelete="CASCADE"))

    request: Mapped[Request] = relationship(back_populates="wishes")

    __table_args__ = (
        sa.UniqueConstraint("request_id", "rank"),
        sa.CheckConstraint(f"rank BETWEEN 1 AND {MAX_WISHES}", name="rank"),
        sa.CheckConstraint(
            "(sector_code IS NULL) <> (offer_id IS NULL)", name="sector_xor_offer"
        ),
    )
