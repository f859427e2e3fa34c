"""The demo's published observatory, attacked: last year's 3e campaign of the demo (105
answers), its frozen release as stored, then read by the independent attacker with every
published figure, non-negativity and the structural zeros."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import Campaign, CampaignState, ObservatoryRelease
from stagebourse.observatory.suppression import THRESHOLD, PublishedTable, Table
from stagebourse.services.demo import DemoSize, seed_demo
from tests.observatory import attacker

# The demo's finished campaign as shipped (its history draws from its own generator, so the
# current campaigns can be small without changing last year's answers much).
HISTORY_ONLY = DemoSize(pupils_3e=60, pupils_2de=0, companies=12, offers=36)


def _key(value):
    return tuple(_key(v) for v in value) if isinstance(value, list) else value


def _stored(data) -> PublishedTable:
    """A stored table as a reader of the release knows it: its shape, keys, structural zeros
    and published cells (the true counts are there for the auditor, not read by the attack)."""
    table = Table(data["name"], tuple(data["rows"]), tuple(data["cols"]),
                  tuple(tuple(row) for row in data["counts"]),
                  row_keys=_key(data["row_keys"]), col_keys=_key(data["col_keys"]),
                  total_key=_key(data["total_key"]),
                  structural_zeros=frozenset(map(tuple, data["structural_zeros"])))
    return PublishedTable(table, data["cells"])


def test_the_demo_observatory_pins_no_hidden_cell(app):
    seed_demo(today=dt.date(2026, 11, 28), size=HISTORY_ONLY)
    campaign = db.session.scalars(select(Campaign).where(
        Campaign.state == CampaignState.FINISHED)).one()
    release = db.session.scalars(select(ObservatoryRelease).where(
        ObservatoryRelease.campaign_id == campaign.id)).one()
    assert release.published["responses"] >= THRESHOLD
    published = [_stored(data) for data in release.audit_tables]
    # What pages serve is exactly what the audit published.
    assert [t["cells"] for t in release.published["tables"]] == [p.cells for p in published]
    assert any(p.hidden_count() for p in published)
    assert attacker.pinned(published, THRESHOLD, screen=10) == {}
    # The lycée rows of a 3e campaign are structural zeros: published as 0, not hidden.
    by_school = next(p for p in published if p.table.name.endswith("/any/school_kind"))
    assert by_school.cells[1] == [0, 0, 0]
