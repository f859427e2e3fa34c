"""What the wider steering group's observers read: aggregate figures, never a person.

Parents' representatives, the CCI, companies' federations and the Éducation nationale sit on
the steering committee without running the service. They read what is already published in
aggregate form: the observatory's frozen releases (small groups protected when computed), the
audit tables of published matching rounds (groups under ``AUDIT_MIN_CELL`` shown "secret")
and a few service-wide counts. No function here returns a name, a pupil, an offer or an
assignment; each asks the policy first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from stagebourse.extensions import db
from stagebourse.models import (
    Company,
    CompanyState,
    MatchingRun,
    Offer,
    OfferState,
    OfferWeek,
    RunState,
    School,
    User,
)
from stagebourse.services import matching_report, observatory
from stagebourse.services.policy import Action, require


@dataclass
class ObserverHome:
    schools: int
    companies_validated: int
    offers_published: int
    seats: int
    releases: list[observatory.Release] = field(default_factory=list)
    runs: list[MatchingRun] = field(default_factory=list)


def _count(query: object) -> int:
    return int(db.session.scalar(query) or 0)  # type: ignore[call-overload]


def observer_home(actor: User) -> ObserverHome:
    require(actor, Action.OBSERVE)
    return ObserverHome(
        schools=_count(select(func.count()).select_from(School)),
        companies_validated=_count(select(func.count()).select_from(Company)
                                   .where(Company.state == CompanyState.VALIDATED)),
        offers_published=_count(select(func.count()).select_from(Offer)
                                .where(Offer.state == OfferState.PUBLISHED)),
        seats=_count(select(func.sum(OfferWeek.seats))
                     .join(Offer, Offer.id == OfferWeek.offer_id)
                     .where(Offer.state == OfferState.PUBLISHED)),
        releases=observatory.releases(),
        runs=published_runs(actor),
    )


def published_runs(actor: User) -> list[MatchingRun]:
    require(actor, Action.OBSERVE)
    return list(db.session.scalars(
        select(MatchingRun).where(MatchingRun.state == RunState.PUBLISHED)
        .options(joinedload(MatchingRun.campaign)).order_by(MatchingRun.id)))


def published_run(actor: User, run_id: int) -> MatchingRun | None:
    """A published round, or None (a trial the steering group has not published is theirs)."""
    require(actor, Action.OBSERVE)
    run = db.session.get(MatchingRun, run_id)
    return run if run is not None and run.state == RunState.PUBLISHED else None


def run_tables(actor: User, run: MatchingRun) -> list[matching_report.Table]:
    require(actor, Action.OBSERVE, run)
    if run.state != RunState.PUBLISHED:
        return []
    return matching_report.published_tables(run)


def release(actor: User, release_id: int) -> observatory.Release | None:
    require(actor, Action.OBSERVE)
    return observatory.get_release(release_id)


def year_releases(actor: User, year: int) -> list[observatory.Release]:
    require(actor, Action.OBSERVE)
    return [r for r in observatory.releases() if r.row.year == year]
