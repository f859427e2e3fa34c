"""The school's and the host's agreement lists, and the share signed before the first day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import (
    PARTIES,
    Agreement,
    AgreementState,
    Assignment,
    AssignmentState,
    Campaign,
    Company,
    MatchingRun,
    Party,
    Role,
    RunState,
    School,
    User,
)
from stagebourse.services.agreements.drafting import agreement_of
from stagebourse.services.agreements.parties import missing_parties
from stagebourse.services.policy import Action, can, require
from stagebourse.services.preparation import first_day as week_monday


@dataclass
class BoardRow:
    agreement: Agreement
    pupil_name: str
    class_name: str
    host: str
    week: str
    waiting: list[Party]


def _rows(agreements: list[Agreement]) -> list[BoardRow]:
    rows = []
    for agreement in agreements:
        content = agreement.content
        rows.append(BoardRow(
            agreement=agreement,
            pupil_name=f"{content['pupil']['first_name']} {content['pupil']['last_name']}",
            class_name=content["pupil"]["class_name"], host=content["host"]["name"],
            week=content["internship"]["week"],
            waiting=missing_parties(agreement)
            if agreement.state == AgreementState.TO_SIGN else []))
    return rows


def school_board(actor: User, school: School, state: str | None = None,
                 waiting: str | None = None, class_name: str | None = None) -> list[BoardRow]:
    require(actor, Action.SCHOOL_AGREEMENTS, school)
    query = select(Agreement).where(Agreement.school_id == school.id)
    return _filter(query, state, waiting, class_name)


def company_board(actor: User, company: Company, state: str | None = None,
                  waiting: str | None = None) -> list[BoardRow]:
    require(actor, Action.COMPANY_AGREEMENTS, company)
    query = select(Agreement).where(Agreement.company_id == company.id)
    return _filter(query, state, waiting, None)


def _filter(query: Any, state: str | None, waiting: str | None,
            class_name: str | None) -> list[BoardRow]:
    if state in {s.value for s in AgreementState}:
        query = query.where(Agreement.state == AgreementState(state))
    agreements = list(db.session.scalars(query.order_by(Agreement.first_day,
                                                        Agreement.id)).all())
    rows = _rows(agreements)
    if waiting in {p.value for p in PARTIES}:
        rows = [row for row in rows if Party(waiting) in row.waiting]
    if class_name:
        rows = [row for row in rows if row.class_name == class_name]
    return sorted(rows, key=lambda r: (r.agreement.first_day, r.class_name, r.pupil_name))


@dataclass
class CampaignShare:
    campaign: Campaign
    first_day: dt.date | None
    confirmed: int
    signed_now: int
    signed_by_deadline: int
    deadline: dt.date | None


def signed_share(days: int, today: dt.date | None = None) -> list[CampaignShare]:
    """Per campaign: how many confirmed internships had a signed agreement ``days`` days before
    the campaign's first internship day (and how many have one now)."""
    shares = []
    for campaign in db.session.scalars(select(Campaign).order_by(Campaign.year.desc(),
                                                                 Campaign.level)).all():
        assignments = list(db.session.scalars(
            select(Assignment).join(MatchingRun, Assignment.run_id == MatchingRun.id)
            .where(MatchingRun.campaign_id == campaign.id,
                   MatchingRun.state == RunState.PUBLISHED,
                   Assignment.state.in_((AssignmentState.CONFIRMED,
                                         AssignmentState.COMPLETED)))).all())
        if not assignments:
            continue
        first = min(week_monday(a.week) for a in assignments)
        deadline = first - dt.timedelta(days=days)
        limit = dt.datetime.combine(deadline, dt.time(), tzinfo=dt.UTC) + dt.timedelta(days=1)
        signed = [a for a in (agreement_of(x) for x in assignments)
                  if a is not None and a.state == AgreementState.SIGNED and a.signed_at]
        shares.append(CampaignShare(
            campaign=campaign, first_day=first, confirmed=len(assignments),
            signed_now=len(signed),
            signed_by_deadline=sum(1 for a in signed if a.signed_at and a.signed_at < limit),
            deadline=deadline))
    return shares


def agreement_for(actor: User, agreement_id: int) -> Agreement | None:
    """The agreement if this user is one of its parties' desks: the school's teachers, the
    host structure's members; else None (the page says 404)."""
    agreement = db.session.get(Agreement, agreement_id)
    action = AGREEMENT_DESKS.get(actor.role)
    if agreement is None or action is None or not can(actor, action, agreement):
        return None
    return agreement


AGREEMENT_DESKS = {Role.TEACHER: Action.SCHOOL_AGREEMENTS, Role.COMPANY: Action.COMPANY_AGREEMENTS}

