"""Read models of the offer pages, derived from offers and kept current on every write
(``services/offer_index.py``): the distance from each origin a pupil can travel from to each
offer, and one row per visible offer and week with seats. Never edited by hand; rebuilt in full
by ``stagebourse seed offer-index``."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from stagebourse.models.base import Base


class OfferDistance(Base):
    """Metres from an origin to an offer, the engine's rounded haversine. ``origin`` is
    ``c:<INSEE code>`` for a commune's centre, ``s:<school id>`` for a school."""

    __tablename__ = "offer_distances"

    origin: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    offer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("offers.id", ondelete="CASCADE"), primary_key=True)
    metres: Mapped[int]

    # Nearest first, and covering: the pages read (offer, metres) of one origin from it alone.
    __table_args__ = (
        sa.Index("ix_offer_distances_origin_metres", "origin", "metres", "offer_id"),)

    def __repr__(self) -> str:
        return f"<OfferDistance {self.origin} {self.offer_id} {self.metres} m>"


class OfferSummary(Base):
    """A visible offer's seats on one week of a campaign, with what the pages filter on. Only
    offers pupils may see (published, structure validated) and weeks with seats have rows."""

    __tablename__ = "offer_summaries"

    offer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("offers.id", ondelete="CASCADE"), primary_key=True)
    week: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"))
    seats: Mapped[int]
    sector_code: Mapped[str] = mapped_column(sa.String(40))
    commune_code: Mapped[str | None] = mapped_column(sa.String(10))
    for_3e: Mapped[bool]
    for_2de: Mapped[bool]
    accessible: Mapped[bool]
    # The title folded as Python folds it, so that ties sort alike on SQLite and PostgreSQL.
    title_key: Mapped[str] = mapped_column(sa.String(200))

    __table_args__ = (
        sa.Index("ix_offer_summaries_campaign_sector", "campaign_id", "sector_code"),
        sa.Index("ix_offer_summaries_campaign_week", "campaign_id", "week"),
    )

    def __repr__(self) -> str:
        return f"<OfferSummary {self.offer_id} {self.week} {self.seats}>"


class OfferIndexState(Base):
    """One row: a token that changes with every change of the index, in the same transaction.
    Caches of what the pages derive from the index are valid while the token is the same."""

    __tablename__ = "offer_index_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(32))

    def __repr__(self) -> str:
        return f"<OfferIndexState {self.token}>"
