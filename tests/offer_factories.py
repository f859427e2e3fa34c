"""Factories for companies' offers and campaigns (issue 5)."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import (
    ApiToken,
    Assignment,
    AssignmentState,
    Campaign,
    CampaignSchoolWeek,
    CampaignState,
    Company,
    Level,
    MatchingRun,
    Offer,
    Pupil,
)
from stagebourse.services.companies import hash_token
from stagebourse.services.offer_rules import Slot
from stagebourse.services.offers import OfferInput, TutorInput, save_offer

WEEK_A = "2027-W05"
WEEK_B = "2027-W06"
VALENCIENNES = "59606"
ANZIN = "59014"
STANDARD_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi")


def make_campaign(school: Any, level: Level = Level.TROISIEME,
                  weeks: tuple[str, ...] = (WEEK_A, WEEK_B),
                  state: CampaignState = CampaignState.OPEN, year: int = 2027) -> Campaign:
    campaign = Campaign(year=year, level=level, name=f"Stages {level.value} {year}", state=state,
                        requests_deadline=dt.date(year, 1, 10))
    for week in weeks:
        campaign.school_weeks.append(CampaignSchoolWeek(school=school, week=week))
    db.session.add(campaign)
    db.session.commit()
    return campaign


def week_schedule(start: str = "09:00", end: str = "16:00", pause: bool = True) -> list[Slot]:
    """Default: 09:00-12:00 + 13:00-16:00, 6 h a day, 30 h a week."""
    if pause:
        return [s for day in STANDARD_DAYS
                for s in (Slot(day, start, "12:00"), Slot(day, "13:00", end))]
    return [Slot(day, start, end) for day in STANDARD_DAYS]


def offer_input(**overrides: Any) -> OfferInput:
    values: dict[str, Any] = {
        "title": "Découverte d'un atelier de mécanique",
        "sector_code": "industrie",
        "description": "L'élève suit un technicien et découvre le diagnostic des pannes.",
        "address": "12 rue de Famars",
        "commune_code": VALENCIENNES,
        "for_3e": True,
        "for_2de": False,
        "min_age": 14,
        "accessible": False,
        "schedule": week_schedule(),
        "safety_attested": True,
        "seats": {WEEK_A: 2, WEEK_B: 1},
        "new_tutor": TutorInput("Théo Tuteur", "Chef d'atelier", "tuteur@atelier-test.fr"),
    }
    values.update(overrides)
    return OfferInput(**values)


def offer_writer(company: Company) -> ApiToken:
    """Who saves the factories' offers: a partner API token of the structure. The services
    let only the structure itself (a member or its token) write its offers, and a token adds
    no account that would receive the structure's mail."""
    token = db.session.scalar(select(ApiToken).where(ApiToken.company_id == company.id,
                                                     ApiToken.label == "factories"))
    if token is None:
        token = ApiToken(company_id=company.id, label="factories",
                         token_hash=hash_token(secrets.token_urlsafe(16)))
        db.session.add(token)
        db.session.flush()
    return token


def make_offer(company: Company, **overrides: Any) -> Offer:
    return save_offer(offer_writer(company), company, offer_input(**overrides))


def assign(pupil: Pupil, offer: Offer, week: str, campaign: Campaign,
           state: AssignmentState = AssignmentState.PUBLISHED) -> Assignment:
    run = MatchingRun(campaign=campaign, seed=1, state="published")
    assignment = Assignment(run=run, pupil=pupil, offer=offer, week=week, distance_km=1.0,
                            cost=1.0, state=state)
    db.session.add_all([run, assignment])
    db.session.commit()
    return assignment


