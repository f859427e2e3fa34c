"""The observatory's tables: nothing under 11, nothing recomputable, across all the tables of
a campaign read together."""

from __future__ import annotations

from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import MatchingRun, SchoolKind, Sector
from stagebourse.observatory.suppression import THRESHOLD
from stagebourse.services import observatory
from tests.factories import add_responses
from tests.observatory import attacker
from tests.scenarios import finished_campaign


def _fill(campaign) -> None:  # noqa: ANN001
    sectors = [s.code for s in db.session.scalars(select(Sector).order_by(Sector.code))][:3]
    add_responses(campaign, 25, {"matched_wish": "yes", "sector": sectors[0], "gender": "F",
                                 "remarks": ["none"], "treatment": ["none"]})
    add_responses(campaign, 17, {"matched_wish": "no", "sector": sectors[1], "gender": "M",
                                 "remarks": ["origin"], "treatment": ["tasks"]},
                  school_kind=SchoolKind.LYCEE)
    add_responses(campaign, 12, {"matched_wish": "partly", "sector": sectors[0],
                                 "remarks": ["neighbourhood", "name"]})
    add_responses(campaign, 4, {"matched_wish": "yes", "sector": sectors[2], "gender": "X",
                                "remarks": ["religion"]})
    add_responses(campaign, 2, {})


def test_no_published_cell_is_under_11_or_recomputable_from_any_total(app):
    done = finished_campaign(by_email=1, on_paper=0)
    _fill(done.campaign)
    obs = observatory.campaign_observatory(done.campaign)
    assert obs.responses == 60
    for table in obs.tables:
        for row in table.cells:
            assert all(value is None or value >= THRESHOLD for value in row), table.title
    assert attacker.pinned([t.published for t in obs.tables], screen=4) == {}
    wish = obs.table("matched_wish", "school_kind")
    assert wish.cells[-1][-1] == 58  # everyone who answered that question, published
    assert any(v is None for t in obs.tables for row in t.cells for v in row)


def test_response_rate_is_hidden_under_11_responses(app):
    done = finished_campaign(by_email=1, on_paper=0)
    add_responses(done.campaign, 5, {"matched_wish": "yes"})
    obs = observatory.campaign_observatory(done.campaign)
    assert obs.responses_shown is None and obs.response_rate is None
    # A 3e campaign has no lycée pupil: those rows are structural zeros, published as 0.
    assert all(value == "secret" or value >= THRESHOLD or (row == "lycée" and value == 0)
               for *_, row, _column, value in observatory.csv_rows(obs))


def test_previous_campaign_is_the_same_level_one_year_before(app):
    done = finished_campaign(by_email=1, on_paper=0, year=2027)
    older = finished_campaign(by_email=1, on_paper=0, year=2026, company=done.tutor.company)
    assert observatory.previous_campaign(done.campaign).id == older.campaign.id
    assert observatory.previous_campaign(older.campaign) is None


def test_the_matching_audit_is_read_defensively(app):
    done = finished_campaign(by_email=1, on_paper=0)
    run = db.session.scalar(select(MatchingRun))
    run.pupil_count, run.placed_count = 40, 36
    db.session.commit()
    figures = observatory.matching_audit(done.campaign)
    assert not figures.audit_available
    assert ("Taux de placement", "90 %") in figures.figures
    run.audit_json = '{"placement_rate": 0.9, "by_group": {"girls": 0.95}, "note": "x"}'
    figures = observatory.matching_audit(done.campaign)
    assert figures.audit_available
    assert ("placement_rate", 0.9) in figures.figures
    assert ("by_group › girls", 0.95) in figures.figures
    assert observatory.matching_audit(finished_campaign(
        by_email=0, on_paper=0, year=2030, company=done.tutor.company).campaign
    ).figures == []
