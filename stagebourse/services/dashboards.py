"""What each kind of user sees first when signing in (read-only queries)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, select

from stagebourse import clock
from stagebourse.extensions import db
from stagebourse.models import (
    Campaign,
    Company,
    CompanyState,
    Offer,
    OfferState,
    OfferWeek,
    OutboxMessage,
    OutboxState,
    Pupil,
    Request,
    RequestState,
    Role,
    School,
    User,
)
from stagebourse.services.campaigns import list_campaigns
from stagebourse.services.policy import Action, can, require
from stagebourse.services.requests import campaign_for, request_of


@dataclass
class PupilHome:
    pupil: Pupil
    campaign: Campaign | None
    request: Request | None
    deadline_passed: bool
    # Under 15 on the first day and no guardian consent: the round will leave them out.
    consent_missing: bool = False
    teachers: list[str] = field(default_factory=list)  # whom to ask
    placements: list[tuple[Any, Any]] = field(default_factory=list)  # (Assignment, Placement)


def pupil_home(user: User) -> PupilHome:
    from stagebourse.services import matching, placement, pupils  # local: heavier modules

    pupil = user.pupil
    assert pupil is not None
    campaign = campaign_for(pupil)
    request = request_of(pupil, campaign)
    passed = campaign is not None and clock.today() > campaign.requests_deadline
    consent_missing = (campaign is not None and pupil.level == campaign.level
                       and pupil.consent_on is None and pupils.needs_consent(pupil, campaign))
    teachers = list(db.session.scalars(
        select(User.display_name).where(User.role == Role.TEACHER,
                                        User.school_id == pupil.school_id,
                                        User.is_active.is_(True),
                                        User.validated_at.is_not(None))
        .order_by(User.display_name))) if consent_missing else []
    placements = [(a, placement.describe(a)) for a in matching.pupil_assignments(pupil)]
    return PupilHome(pupil, campaign, request, passed, consent_missing, teachers, placements)


@dataclass
class ClassRow:
    class_name: str
    pupils: int
    confirmed: int


@dataclass
class TeacherHome:
    school: School
    validated: bool
    classes: list[ClassRow]


def teacher_home(user: User) -> TeacherHome:
    assert user.school is not None
    if not can(user, Action.SCHOOL_PUPILS):
        # A teacher not yet validated is only someone who said they teach here: the school's
        # classes, even their names and sizes, wait for the validation.
        return TeacherHome(user.school, False, [])
    confirmed = func.sum(case((Request.state == RequestState.CONFIRMED, 1), else_=0))
    rows = db.session.execute(
        select(Pupil.class_name, func.count(func.distinct(Pupil.id)), confirmed)
        .outerjoin(Request, Request.pupil_id == Pupil.id)
        .where(Pupil.school_id == user.school.id)
        .group_by(Pupil.class_name)
        .order_by(Pupil.class_name)
    ).all()
    classes = [ClassRow(name, count, int(done or 0)) for name, count, done in rows]
    return TeacherHome(user.school, user.validated_at is not None, classes)


@dataclass
class OfferRow:
    offer: Offer
    seats: int


@dataclass
class CompanyHome:
    company: Company
    offers: list[OfferRow] = field(default_factory=list)


def _offer_rows(*conditions: ColumnElement[bool]) -> list[OfferRow]:
    seats = func.coalesce(func.sum(OfferWeek.seats), 0)
    rows = db.session.execute(
        select(Offer, seats)
        .outerjoin(OfferWeek, OfferWeek.offer_id == Offer.id)
        .where(*conditions)
        .group_by(Offer.id)
        .order_by(Offer.title)
    ).all()
    return [OfferRow(offer, int(total)) for offer, total in rows]


def company_home(user: User) -> CompanyHome:
    assert user.company is not None
    return CompanyHome(user.company, _offer_rows(Offer.company_id == user.company.id))


def tutor_home(user: User) -> list[OfferRow]:
    return _offer_rows(Offer.tutor_id == user.tutor_id)


@dataclass
class SteeringHome:
    campaigns: list[Campaign]
    schools: int
    pupils: int
    companies_pending: int
    companies_validated: int
    offers_published: int
    seats: int
    mail_pending: int
    mail_failed: int


def steering_home(actor: User) -> SteeringHome:
    require(actor, Action.STEER_DASHBOARD)
    def count(query: Select[Any]) -> int:
        return int(db.session.scalar(query) or 0)

    companies = dict(db.session.execute(
        select(Company.state, func.count()).group_by(Company.state)).all())
    mail = dict(db.session.execute(
        select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)).all())
    return SteeringHome(
        campaigns=list_campaigns(),
        schools=count(select(func.count()).select_from(School)),
        pupils=count(select(func.count()).select_from(Pupil)),
        companies_pending=companies.get(CompanyState.PENDING, 0),
        companies_validated=companies.get(CompanyState.VALIDATED, 0),
        offers_published=count(select(func.count()).select_from(Offer)
                               .where(Offer.state == OfferState.PUBLISHED)),
        seats=count(select(func.sum(OfferWeek.seats))
                    .join(Offer, Offer.id == OfferWeek.offer_id)
                    .where(Offer.state == OfferState.PUBLISHED)),
        mail_pending=mail.get(OutboxState.PENDING, 0),
        mail_failed=mail.get(OutboxState.FAILED, 0),
    )

