"""What a host may see of the pupils placed with it: counts until publication, then blind
proposals (the « Accueils » page); names only once both sides confirmed."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from stagebourse.extensions import db
from stagebourse.models import (
    Assignment,
    Campaign,
    Company,
    MatchingRun,
    Offer,
    Request,
    RequestState,
    School,
    Sector,
    Wish,
)
from stagebourse.services.offers.supply import REVEALED_STATES
from stagebourse.services.offers.writing import AFTER_PUBLICATION, company_offers


@dataclass
class OfferAudience:
    offer: Offer
    wishes_for_offer: int


@dataclass
class AssignedPupil:
    """Only what the host needs to welcome the pupil: nothing else leaves the database."""

    first_name: str
    level: str
    school: str
    week: str
    offer_title: str


@dataclass
class CompanyAudience:
    offers: list[OfferAudience]
    wishes_for_sectors: dict[str, int]
    assigned: list[AssignedPupil]


def company_audience(company: Company) -> CompanyAudience:
    live = (RequestState.DRAFT, RequestState.CONFIRMED)
    offers = company_offers(company)
    by_offer = dict(db.session.execute(
        select(Wish.offer_id, func.count()).join(Request, Request.id == Wish.request_id)
        .join(Offer, Offer.id == Wish.offer_id)
        .where(Offer.company_id == company.id, Request.state.in_(live))
        .group_by(Wish.offer_id)).all())
    sectors = sorted({o.sector_code for o in offers})
    by_sector = dict(db.session.execute(
        select(Wish.sector_code, func.count()).join(Request, Request.id == Wish.request_id)
        .where(Wish.sector_code.in_(sectors), Request.state.in_(live))
        .group_by(Wish.sector_code)).all()) if sectors else {}
    # Columns picked one by one: the host never receives a Pupil object.
    from stagebourse.models import Pupil

    rows = db.session.execute(
        select(Pupil.first_name, Pupil.level, School.name, Assignment.week, Offer.title)
        .join(Assignment, Assignment.pupil_id == Pupil.id)
        .join(MatchingRun, MatchingRun.id == Assignment.run_id)
        .join(Offer, Offer.id == Assignment.offer_id)
        .join(School, School.id == Pupil.school_id)
        .join(Campaign, Campaign.id == MatchingRun.campaign_id)
        .where(Offer.company_id == company.id, Assignment.state.in_(REVEALED_STATES),
               Campaign.state.in_(AFTER_PUBLICATION))
        .order_by(Assignment.week, Offer.title, Pupil.first_name)).all()
    sector_labels = {s.code: s.label for s in db.session.scalars(select(Sector))}
    return CompanyAudience(
        offers=[OfferAudience(o, int(by_offer.get(o.id, 0))) for o in offers],
        wishes_for_sectors={sector_labels.get(k or "", k or ""): int(v)
                            for k, v in by_sector.items()},
        assigned=[AssignedPupil(first, level.value, school, week, title)
                  for first, level, school, week, title in rows],
    )

