"""Campaigns: creation, each school's internship weeks, and the state machine.

draft → open → closed → matched → published → finished. Every transition is checked here (not
by hiding buttons) and journaled with who and when.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError

from stagebourse import clock
from stagebourse.extensions import db
from stagebourse.identifiers import parse_iso_week, seconde_default_weeks, week_monday
from stagebourse.labels import label
from stagebourse.models import (
    Campaign,
    CampaignSchoolWeek,
    CampaignState,
    JournalEntry,
    Level,
    School,
    SchoolKind,
    User,
)
from stagebourse.services import ServiceError, journal
from stagebourse.services.journal import Event
from stagebourse.services.policy import Action, require
from stagebourse.services.questionnaires import ensure_questionnaires

S = CampaignState


@dataclass(frozen=True)
class Transition:
    action: str
    sources: tuple[CampaignState, ...]
    target: CampaignState
    label: object


# The steering group's buttons. Matching and publication move the state too, from the
# matching services, through the same table.
TRANSITIONS = {
    t.action: t
    for t in (
        Transition("open", (S.DRAFT,), S.OPEN, _l("Ouvrir aux vœux")),
        Transition("close", (S.OPEN,), S.CLOSED, _l("Clore les vœux")),
        Transition("reopen", (S.CLOSED,), S.OPEN, _l("Rouvrir les vœux")),
        Transition("matched", (S.CLOSED, S.MATCHED), S.MATCHED, _l("Affectation calculée")),
        Transition("publish", (S.MATCHED, S.PUBLISHED), S.PUBLISHED, _l("Publier")),
        Transition("finish", (S.PUBLISHED,), S.FINISHED, _l("Terminer la campagne")),
    )
}
MANUAL_ACTIONS = ("open", "close", "reopen", "finish")


def school_kind_for(level: Level) -> SchoolKind:
    return SchoolKind.COLLEGE if level == Level.TROISIEME else SchoolKind.LYCEE


def schools_for(campaign: Campaign) -> list[School]:
    return list(db.session.scalars(
        select(School).where(School.kind == school_kind_for(campaign.level))
        .order_by(School.town, School.name)))


def create_campaign(
    actor: User,
    *,
    year: int,
    level: Level,
    name: str,
    requests_deadline: dt.date,
    confirmation_deadline: dt.date | None = None,
) -> Campaign:
    require(actor, Action.STEER_CAMPAIGNS)
    if confirmation_deadline is not None and confirmation_deadline < requests_deadline:
        raise ServiceError(_l("La date limite de confirmation doit suivre celle des vœux."))
    campaign = Campaign(year=year, level=level, name=name.strip(),
                        requests_deadline=requests_deadline,
                        confirmation_deadline=confirmation_deadline)
    if level == Level.SECONDE:
        # Seconde: two weeks at the end of June for every lycée, editable afterwards.
        weeks = seconde_default_weeks(year)
        for school in schools_for(campaign):
            for week in weeks:
                campaign.school_weeks.append(CampaignSchoolWeek(school=school, week=week))
    db.session.add(campaign)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise ServiceError(_l("Une campagne de ce niveau existe déjà pour %(year)s : "
                              "modifiez-la plutôt que d'en créer une autre.", year=year)) from None
    journal.record(actor, Event.CAMPAIGN_CREATED, campaign, year=year, level=level.value)
    # Now rather than when the questionnaires page is first shown: a page never writes.
    ensure_questionnaires(actor, campaign)
    db.session.flush()
    return campaign


def _school_year_bounds(campaign: Campaign) -> tuple[dt.date, dt.date]:
    return dt.date(campaign.year - 1, 8, 15), dt.date(campaign.year, 7, 31)


def set_school_weeks(
    actor: User, campaign: Campaign, weeks_by_school: Mapping[int, Sequence[str]]
) -> None:
    """Replace the internship weeks of the given schools (ISO weeks, one or two each)."""
    require(actor, Action.STEER_CAMPAIGNS, campaign)
    if campaign.state not in (S.DRAFT, S.OPEN):
        raise ServiceError(_l("Les semaines ne peuvent plus changer : les vœux sont clos."))
    start, end = _school_year_bounds(campaign)
    known = {school.id: school for school in schools_for(campaign)}
    changes: dict[str, list[str]] = {}
    for school_id, weeks in weeks_by_school.items():
        school = known.get(school_id)
        if school is None:
            raise ServiceError(_l("Établissement inconnu pour ce niveau."))
        clean = sorted(set(weeks))
        for week in clean:
            try:
                parse_iso_week(week)
            except ValueError as error:
                raise ServiceError(_l("%(school)s : %(error)s", school=school.name,
                                      error=error)) from None
            if not start <= week_monday(week) <= end:
                raise ServiceError(_l(
                    "%(school)s : la semaine %(week)s est hors de l'année scolaire "
                    "%(a)s-%(b)s.", school=school.name, week=week, a=campaign.year - 1,
                    b=campaign.year))
        current = sorted(w.week for w in campaign.school_weeks if w.school_id == school_id)
        if current == clean:
            continue
        campaign.school_weeks[:] = [w for w in campaign.school_weeks
                                    if w.school_id != school_id]
        db.session.flush()
        for week in clean:
            campaign.school_weeks.append(CampaignSchoolWeek(school=school, week=week))
        changes[school.uai] = clean
    if changes:
        journal.record(actor, Event.CAMPAIGN_WEEKS_SET, campaign, weeks=changes)
    db.session.flush()


def campaign_weeks(campaign: Campaign) -> list[str]:
    """Every week in which some school of the campaign has pupils on internship."""
    return sorted({w.week for w in campaign.school_weeks})


def school_weeks(campaign: Campaign, school_id: int) -> set[str]:
    """The internship weeks of one school in this campaign."""
    return set(db.session.scalars(select(CampaignSchoolWeek.week).where(
        CampaignSchoolWeek.campaign_id == campaign.id,
        CampaignSchoolWeek.school_id == school_id)))


def weeks_by_school(campaign: Campaign) -> dict[int, list[str]]:
    result: dict[int, list[str]] = {}
    for row in campaign.school_weeks:
        result.setdefault(row.school_id, []).append(row.week)
    return {school: sorted(weeks) for school, weeks in result.items()}


def transition(actor: User, campaign: Campaign, action: str, *, today: dt.date | None = None
               ) -> Campaign:
    require(actor, Action.STEER_CAMPAIGNS, campaign)
    rule = TRANSITIONS.get(action)
    if rule is None:
        raise ServiceError(_l("Action inconnue."))
    if campaign.state not in rule.sources:
        raise ServiceError(_l(
            "Impossible : la campagne est à l'état « %(state)s ».", state=label(campaign.state)))
    today = today or clock.today()
    if action in ("open", "reopen"):
        if not campaign.school_weeks:
            raise ServiceError(_l("Indiquez d'abord les semaines de stage d'au moins un "
                                  "établissement."))
        if campaign.requests_deadline < today:
            raise ServiceError(_l("La date limite des vœux est passée : reportez-la avant "
                                  "d'ouvrir la campagne."))
    previous = campaign.state
    campaign.state = rule.target
    journal.record(actor, Event(f"campaign.{action}"), campaign, previous=previous.value,
                   state=rule.target.value)
    db.session.flush()
    return campaign


def update_deadlines(actor: User, campaign: Campaign, requests_deadline: dt.date,
                     confirmation_deadline: dt.date | None) -> None:
    require(actor, Action.STEER_CAMPAIGNS, campaign)
    if campaign.state in (S.PUBLISHED, S.FINISHED):
        raise ServiceError(_l("Les résultats sont publiés : les dates ne changent plus."))
    if confirmation_deadline is not None and confirmation_deadline < requests_deadline:
        raise ServiceError(_l("La date limite de confirmation doit suivre celle des vœux."))
    journal.record(actor, Event.CAMPAIGN_DEADLINES_SET, campaign,
                   requests=requests_deadline.isoformat(),
                   confirmation=confirmation_deadline.isoformat()
                   if confirmation_deadline else None)
    campaign.requests_deadline = requests_deadline
    campaign.confirmation_deadline = confirmation_deadline
    db.session.flush()


def campaign_journal(actor: User, campaign: Campaign, limit: int = 100) -> list[JournalEntry]:
    require(actor, Action.STEER_CAMPAIGNS, campaign)
    return list(db.session.scalars(
        select(JournalEntry)
        .where(JournalEntry.subject_type == "Campaign",
               JournalEntry.subject_id == str(campaign.id))
        .order_by(JournalEntry.at.desc(), JournalEntry.id.desc()).limit(limit)))


def list_campaigns() -> list[Campaign]:
    return list(db.session.scalars(
        select(Campaign).order_by(Campaign.year.desc(), Campaign.level)))


def current_campaign(level: Level) -> Campaign | None:
    """The most recent campaign of that level that is not finished."""
    return db.session.scalar(current_campaign_query(level))


def current_campaign_query(level: Any) -> Select[Campaign]:
    """The statement of :func:`current_campaign`; ``level`` is a level or an SQL expression
    giving one (a class's, read in the same statement)."""
    return (select(Campaign)
            .where(Campaign.level == level, Campaign.state != CampaignState.FINISHED)
            .order_by(Campaign.year.desc())
            .limit(1))


def get_campaign(campaign_id: int) -> Campaign | None:
    return db.session.get(Campaign, campaign_id)
