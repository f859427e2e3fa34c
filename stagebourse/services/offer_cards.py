"""What the pages show of an offer, read once and kept while the offer index's token holds.

Tens of thousands of pupils open the same few thousand offers in the same days, and offers
change rarely. Loading an offer as ORM objects (the offer, its structure, sector, commune,
tutor and weeks: six queries, or five ``IN`` lists for a page of twenty) cost more than the
rest of the search page together. A card is plain, frozen data read in one query per batch of
offers not yet known, and kept in the process's offer-index cache (``offer_index.cached_each``):
any write to an offer, its weeks, its structure, a sector, a commune or a tutor replaces the
token in the same transaction, so no page shows a stale card.

A card answers to the names the templates and the wish checks read on an ``Offer``
(``offer.company.name``, ``offer.sector.label``, ``offer.weeks``…), so a page can be given
either. It holds nothing a host may not publish: no contact, no state beyond ``visible``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import Commune, Company, Offer, OfferWeek, Sector, Tutor
from stagebourse.services import offer_index
from stagebourse.services.offers import communes, sectors, visibility


@dataclass(frozen=True)
class Named:
    name: str


@dataclass(frozen=True)
class SectorLabel:
    code: str
    label: str


@dataclass(frozen=True)
class CommuneName:
    code_insee: str
    name: str


@dataclass(frozen=True)
class TutorTitle:
    job_title: str


@dataclass(frozen=True)
class WeekSeats:
    campaign_id: int
    week: str
    seats: int


@dataclass(frozen=True)
class OfferCard:
    id: int
    company_id: int
    title: str
    description: str
    address: str
    lat: float
    lon: float
    for_3e: bool
    for_2de: bool
    min_age: int
    accessible: bool
    schedule: tuple[dict[str, Any], ...]
    company: Named
    sector: SectorLabel
    commune: Named | None
    tutor: TutorTitle | None
    weeks: tuple[WeekSeats, ...]  # in week order, as ``Offer.weeks``
    visible: bool  # published, structure validated (and Charter verified under the gate)

    @property
    def sector_code(self) -> str:
        return self.sector.code


def cards(offer_ids: Iterable[int]) -> dict[int, OfferCard]:
    """The cards of the offers that exist among ``offer_ids``, by id."""
    # The Charter gate decides ``visible``: two apps in one process may differ on it.
    gate = bool(current_app.config.get("CHARTER_GATE", True))
    return offer_index.cached_each(("offer_card", gate), list(dict.fromkeys(offer_ids)),
                                   _read_cards)


def card(offer_id: int) -> OfferCard | None:
    return cards([offer_id]).get(offer_id)


def sector_labels() -> list[SectorLabel]:
    """The sectors in their order, for the offer pages' lists and filters."""
    return offer_index.cached(("sector_labels",), lambda: [
        SectorLabel(sector.code, sector.label) for sector in sectors()])


def commune_names() -> list[CommuneName]:
    """The communes by name, for the offer search's filters."""
    return offer_index.cached(("commune_names",), lambda: [
        CommuneName(commune.code_insee, commune.name) for commune in communes()])


def _read_cards(offer_ids: list[int]) -> dict[int, OfferCard]:
    rows = db.session.execute(
        select(Offer, Company.name, Company.state, Company.charter_status, Sector.label,
               Commune.name, Tutor.job_title)
        .join(Company, Company.id == Offer.company_id)
        .join(Sector, Sector.code == Offer.sector_code)
        .outerjoin(Commune, Commune.code_insee == Offer.commune_code)
        .outerjoin(Tutor, Tutor.id == Offer.tutor_id)
        .where(Offer.id.in_(offer_ids))).all()
    weeks: dict[int, list[WeekSeats]] = {}
    for offer_id, campaign_id, week, seats in db.session.execute(
            select(OfferWeek.offer_id, OfferWeek.campaign_id, OfferWeek.week, OfferWeek.seats)
            .where(OfferWeek.offer_id.in_(offer_ids)).order_by(OfferWeek.week, OfferWeek.id)):
        weeks.setdefault(offer_id, []).append(WeekSeats(campaign_id, week, seats))
    found = {}
    for offer, company, company_state, charter, sector, commune, job_title in rows:
        found[offer.id] = OfferCard(
            id=offer.id, company_id=offer.company_id, title=offer.title,
            description=offer.description, address=offer.address, lat=offer.lat, lon=offer.lon,
            for_3e=offer.for_3e, for_2de=offer.for_2de, min_age=offer.min_age,
            accessible=offer.accessible, schedule=tuple(dict(s) for s in offer.schedule or ()),
            company=Named(company), sector=SectorLabel(offer.sector_code, sector),
            commune=Named(commune) if commune is not None else None,
            tutor=TutorTitle(job_title) if job_title is not None else None,
            weeks=tuple(weeks.get(offer.id, ())),
            visible=visibility(offer.state, company_state, charter))
    return found
