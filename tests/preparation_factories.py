"""Factories for the preparation tests: a campaign, offers with tutors, a published round."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import (
    Assignment,
    AssignmentState,
    Campaign,
    CampaignState,
    Company,
    Level,
    MatchingRun,
    Offer,
    OfferState,
    Pupil,
    RunState,
    Sector,
    Tutor,
)
from tests.conftest import first_school


def make_campaign(year: int = 2027) -> Campaign:
    campaign = Campaign(year=year, level=Level.TROISIEME, name=f"Stages de 3e {year}",
                        state=CampaignState.PUBLISHED, requests_deadline=dt.date(year, 1, 10))
    db.session.add(campaign)
    db.session.commit()
    return campaign


def make_tutor(company: Company, name: str, email: str) -> Tutor:
    tutor = Tutor(company=company, full_name=name, job_title="Technicienne", email=email)
    db.session.add(tutor)
    db.session.commit()
    return tutor


def make_offer(company: Company, tutor: Tutor | None) -> Offer:
    sector = db.session.scalars(select(Sector).order_by(Sector.code)).first()
    offer = Offer(company=company, sector_code=sector.code, title="Découverte de l'atelier",
                  description="Observer le travail de l'atelier.", address="1 rue de l'Essai",
                  commune_code="59606", lat=50.36, lon=3.52, tutor=tutor,
                  state=OfferState.PUBLISHED, safety_attested=True)
    db.session.add(offer)
    db.session.commit()
    return offer


def make_pupil(first_name: str, guardian_email: str | None = None) -> Pupil:
    pupil = Pupil(school=first_school(), class_name="3B", level=Level.TROISIEME,
                  first_name=first_name, last_name="Essai", birth_date=dt.date(2012, 5, 6),
                  guardian_email=guardian_email)
    db.session.add(pupil)
    db.session.commit()
    return pupil


def make_run(campaign: Campaign, placements: list[tuple[Pupil, Offer, str]],
             state: RunState = RunState.PUBLISHED) -> MatchingRun:
    run = MatchingRun(campaign=campaign, seed=42, state=state)
    for pupil, offer, week in placements:
        run.assignments.append(Assignment(
            pupil=pupil, offer=offer, week=week, rank=1, distance_km=3.0, cost=1.0,
            state=AssignmentState.PUBLISHED if state == RunState.PUBLISHED
            else AssignmentState.PROPOSED))
    db.session.add(run)
    db.session.commit()
    return run
