"""The demo's published observatory, attacked: last year's 3e campaign of the demo (105
answers), its tables built and suppressed as the observatory page builds them, then read by the
independent attacker with every published figure, non-negativity and the structural zeros."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import Campaign, CampaignState
from stagebourse.observatory.suppression import THRESHOLD
from stagebourse.services import observatory
from stagebourse.services.demo import DemoSize, seed_demo
from tests.observatory import attacker

# The demo's finished campaign as shipped (its history draws from its own generator, so the
# current campaigns can be small without changing last year's answers much).
HISTORY_ONLY = DemoSize(pupils_3e=60, pupils_2de=0, companies=12, offers=36)


def test_the_demo_observatory_pins_no_hidden_cell(app):
    seed_demo(today=dt.date(2026, 11, 28), size=HISTORY_ONLY)
    campaign = db.session.scalars(select(Campaign).where(
        Campaign.state == CampaignState.FINISHED)).one()
    obs = observatory.campaign_observatory(campaign)
    assert obs.responses >= THRESHOLD
    published = [t.published for t in obs.tables]
    assert any(p.hidden_count() for p in published)
    assert attacker.pinned(published, THRESHOLD, screen=10) == {}
    # The lycée rows of a 3e campaign are structural zeros: published as 0, not hidden.
    by_school = obs.table("any", "school_kind")
    assert by_school is not None and by_school.cells[1] == [0, 0, 0]
