"""Factories for the steering rounds: the demo campaign closed and ready to match."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import Campaign, CampaignState, Level, Role, User
from stagebourse.services import campaigns
from stagebourse.services.demo import seed_demo

DAY = dt.date(2026, 11, 28)


def demo_campaign(today: dt.date = DAY) -> tuple[User, Campaign]:
    """The demo 3e campaign, closed by the demo steering account (requests frozen).

    Without the demo's finished campaign of last year: these tests count runs, assignments
    and mails of the current campaign alone.
    """
    seed_demo(today=today, history=False)
    steering = db.session.scalar(select(User).where(User.role == Role.STEERING))
    campaign = db.session.scalar(select(Campaign).where(Campaign.level == Level.TROISIEME,
                                                        Campaign.state == CampaignState.OPEN))
    assert steering is not None and campaign is not None
    campaigns.transition(steering, campaign, "close", today=today)
    return steering, campaign
