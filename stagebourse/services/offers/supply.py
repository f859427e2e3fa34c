"""Which offers pupils see, seats per week, and supply against demand by sector."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import case, func, select

from stagebourse.extensions import db
from stagebourse.models import (
    Assignment,
    AssignmentState,
    Campaign,
    CampaignState,
    CharterStatus,
    Commune,
    Company,
    CompanyState,
    MatchingRun,
    Offer,
    OfferState,
    OfferWeek,
    Request,
    RequestState,
    Sector,
    Wish,
)

# A seat counts as taken once the assignment is announced.
HOLDING_STATES = (AssignmentState.PUBLISHED, AssignmentState.CONFIRMED, AssignmentState.COMPLETED)
# Once the pupil's side and the host both confirmed (the reveal), the host may know who the
# pupil is; before, it sees a proposal blind (services/matching/host_decisions.py).
REVEALED_STATES = (AssignmentState.CONFIRMED, AssignmentState.COMPLETED)


def _charter_gate() -> bool:
    return bool(current_app.config.get("CHARTER_GATE", True))


def visible_offer_conditions() -> list[Any]:
    """An offer reaches pupils only if published AND its structure is validated AND (with
    ``CHARTER_GATE``, the default) its Charter signature verified by the steering group (SQL
    form of ``is_visible``; the query must join Company)."""
    conditions = [Offer.state == OfferState.PUBLISHED, Company.state == CompanyState.VALIDATED]
    if _charter_gate():
        conditions.append(Company.charter_status == CharterStatus.VERIFIED)
    return conditions


def is_visible(offer: Offer) -> bool:
    """The same rule as ``visible_offer_conditions``, for an offer already loaded."""
    return visibility(offer.state, offer.company.state, offer.company.charter_status)


def visibility(offer_state: OfferState, company_state: CompanyState,
               charter_status: CharterStatus) -> bool:
    """``is_visible`` from the three states it reads."""
    return (offer_state == OfferState.PUBLISHED and company_state == CompanyState.VALIDATED
            and (not _charter_gate() or charter_status == CharterStatus.VERIFIED))


def seats_by_week(campaign: Campaign) -> dict[str, int]:
    """Seats offered per ISO week of a campaign (visible offers only)."""
    rows = db.session.execute(
        select(OfferWeek.week, func.sum(OfferWeek.seats))
        .join(Offer, Offer.id == OfferWeek.offer_id).join(Company, Company.id == Offer.company_id)
        .where(OfferWeek.campaign_id == campaign.id, *visible_offer_conditions())
        .group_by(OfferWeek.week).order_by(OfferWeek.week)).all()
    return {week: int(total or 0) for week, total in rows}


def seats_total(campaign: Campaign) -> int:
    return sum(seats_by_week(campaign).values())


@dataclass
class Capacity:
    """One (offer, week) that can receive pupils of a campaign: what the matching needs."""

    offer_id: int
    week: str
    seats: int
    assigned: int
    sector_code: str
    lat: float
    lon: float
    accessible: bool
    min_age: int


def campaign_capacities(campaign: Campaign) -> list[Capacity]:
    """Seats per visible offer and week of a campaign, with the pupils already holding one."""
    held = {(offer_id, week): int(count) for offer_id, week, count in db.session.execute(
        select(Assignment.offer_id, Assignment.week, func.count())
        .join(MatchingRun, MatchingRun.id == Assignment.run_id)
        .where(MatchingRun.campaign_id == campaign.id, Assignment.state.in_(HOLDING_STATES))
        .group_by(Assignment.offer_id, Assignment.week)).all()}
    rows = db.session.execute(
        select(Offer, OfferWeek.week, OfferWeek.seats)
        .join(OfferWeek, OfferWeek.offer_id == Offer.id)
        .join(Company, Company.id == Offer.company_id)
        .where(OfferWeek.campaign_id == campaign.id, OfferWeek.seats > 0,
               *visible_offer_conditions())
        .order_by(Offer.id, OfferWeek.week)).all()
    return [Capacity(o.id, week, seats, held.get((o.id, week), 0), o.sector_code,
                     o.lat, o.lon, o.accessible, o.min_age) for o, week, seats in rows]


@dataclass
class SectorBalance:
    code: str
    label: str
    seats: int
    wishes: int
    first_wishes: int

    @property
    def missing(self) -> int:
        return max(0, self.wishes - self.seats)


def supply_and_demand(campaign: Campaign | None) -> list[SectorBalance]:
    """Per sector: seats offered vs. wishes (a wish naming an offer counts for its sector)."""
    seat_q = (select(Offer.sector_code, func.sum(OfferWeek.seats))
              .join(OfferWeek, OfferWeek.offer_id == Offer.id)
              .join(Company, Company.id == Offer.company_id)
              .where(*visible_offer_conditions()).group_by(Offer.sector_code))
    wish_sector = func.coalesce(Wish.sector_code, Offer.sector_code)
    wish_q = (select(wish_sector, func.count(), func.sum(case((Wish.rank == 1, 1), else_=0)))
              .join(Request, Request.id == Wish.request_id)
              .outerjoin(Offer, Offer.id == Wish.offer_id)
              .where(Request.state.in_((RequestState.DRAFT, RequestState.CONFIRMED)))
              .group_by(wish_sector))
    if campaign is not None:
        seat_q = seat_q.where(OfferWeek.campaign_id == campaign.id)
        wish_q = wish_q.where(Request.campaign_id == campaign.id)
    seats = {code: int(n or 0) for code, n in db.session.execute(seat_q).all()}
    wishes: dict[str, tuple[int, int]] = defaultdict(lambda: (0, 0))
    for code, count, first in db.session.execute(wish_q).all():
        wishes[code] = (int(count or 0), int(first or 0))
    result = []
    for sector in sectors():
        count, first = wishes.get(sector.code, (0, 0))
        result.append(SectorBalance(sector.code, sector.label, seats.get(sector.code, 0),
                                    count, first))
    return result


def sectors() -> list[Sector]:
    return list(db.session.scalars(select(Sector).order_by(Sector.position, Sector.label)))


def communes() -> list[Commune]:
    return list(db.session.scalars(select(Commune).order_by(Commune.name)))


def active_campaigns() -> list[Campaign]:
    return list(db.session.scalars(
        select(Campaign).where(Campaign.state != CampaignState.FINISHED)
        .order_by(Campaign.year.desc(), Campaign.level)))


def get_sector(code: str) -> Sector | None:
    return db.session.get(Sector, code)

