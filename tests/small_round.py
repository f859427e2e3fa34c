"""A closed campaign small enough for tests that start real processes: a few pupils who all
wish the same sector, fewer seats than pupils, so the seeded lottery decides who is placed."""

from __future__ import annotations

import datetime as dt

from stagebourse.extensions import db
from stagebourse.models import Campaign, Role, User
from stagebourse.services import campaigns, requests
from tests.factories import (
    INTERNSHIP_MONDAY,
    UPCOMING_CAMPAIGN,
    UPCOMING_WEEK,
    first_school,
    make_campaign,
    make_company,
    make_offer,
    make_pupil_user,
    make_user,
)


def small_round(pupils: int = 6, seats: tuple[int, ...] = (1, 1, 2)) -> tuple[User, Campaign]:
    """The steering member and the closed campaign, everything committed (other processes
    read it)."""
    school = first_school()
    campaign = make_campaign([school], **UPCOMING_CAMPAIGN)
    steering = make_user(Role.STEERING, "pilote.calcul@metropole-test.fr")
    company = make_company()
    for index, count in enumerate(seats):
        make_offer(company, title=f"Offre {index + 1}", sector_code="sante",
                   seats={UPCOMING_WEEK: count}, lat=school.lat + 0.002 * index, lon=school.lon)
    # Fifteen on the first day: no parental consent needed for the matching.
    born = dt.date(INTERNSHIP_MONDAY.year - 15, 1, 1)
    for index in range(pupils):
        user = make_pupil_user(school, code=f"CALC-{index:04d}-TEST", first_name=f"Élève{index}",
                               birth_date=born)
        requests.add_wish(user, user.pupil, sector_code="sante")
        requests.confirm_request(user, user.pupil)
    campaigns.transition(steering, campaign, "close")
    db.session.commit()
    return steering, campaign
