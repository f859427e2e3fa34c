"""Factories for pupils, campaigns and offers used by the pupil/teacher/request tests."""

from __future__ import annotations

import datetime as dt

from stagebourse.extensions import db
from stagebourse.identifiers import iso_week
from stagebourse.models import (
    Campaign,
    CampaignSchoolWeek,
    CampaignState,
    Company,
    Level,
    Offer,
    OfferState,
    OfferWeek,
    School,
)

TODAY = dt.date.today()
# Far enough ahead that a pupil born in 2012 is 14 or 15 on the first day, never older.
INTERNSHIP_MONDAY = TODAY - dt.timedelta(days=TODAY.weekday()) + dt.timedelta(weeks=8)
WEEK = iso_week(INTERNSHIP_MONDAY)
OTHER_WEEK = iso_week(INTERNSHIP_MONDAY + dt.timedelta(days=14))


def make_campaign(schools: list[School], *, level: Level = Level.TROISIEME,
                  state: CampaignState = CampaignState.OPEN,
                  deadline: dt.date | None = None, week: str = WEEK) -> Campaign:
    campaign = Campaign(year=INTERNSHIP_MONDAY.year, level=level, name=f"Stages {level.value}",
                        state=state, requests_deadline=deadline or TODAY + dt.timedelta(days=20))
    for school in schools:
        campaign.school_weeks.append(CampaignSchoolWeek(school_id=school.id, week=week))
    db.session.add(campaign)
    db.session.commit()
    return campaign


def make_offer(company: Company, campaign: Campaign, *, sector: str = "sante",
               title: str = "Découvrir un métier", lat: float = 50.358, lon: float = 3.523,
               week: str = WEEK, seats: int = 2, accessible: bool = False,
               state: OfferState = OfferState.PUBLISHED) -> Offer:
    offer = Offer(company=company, sector_code=sector, title=title, description="Une semaine.",
                  address="1 place d'Armes, Valenciennes", commune_code="59606", lat=lat,
                  lon=lon, accessible=accessible, state=state, safety_attested=True)
    offer.weeks.append(OfferWeek(campaign_id=campaign.id, week=week, seats=seats))
    db.session.add(offer)
    db.session.commit()
    return offer


def roster_csv(rows: list[list[str]], *, sep: str = ";",
               header: tuple[str, ...] = ("nom", "prenom", "date_naissance", "classe")) -> str:
    lines = [sep.join(header)] + [sep.join(row) for row in rows]
    return "\r\n".join(lines) + "\r\n"


FIRST_NAMES = ["Lina", "Inès", "Jade", "Aya", "Sarah", "Léa", "Nour", "Chloé", "Yanis", "Adam",
               "Rayan", "Noah", "Ilyes", "Nolan", "Sofiane", "Mathis", "Zoé", "Manon", "Emma",
               "Rania", "Assia", "Camille", "Lucas", "Hugo", "Enzo", "Bilal", "Maël", "Théo"]


def class_rows(count: int = 28, class_name: str = "3B") -> list[list[str]]:
    return [[f"Élève{i:02d}", FIRST_NAMES[i % len(FIRST_NAMES)], f"{(i % 27) + 1:02d}/05/2012",
             class_name] for i in range(count)]
