"""The audit page of a round: a fixed small number of statements, and the tables each process
keeps (the interval audit's outcome, the formatted and rendered tables) never outlive what
they are made of: the settings of the interval audit, the sectors' names, the audit itself."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient

from stagebourse.extensions import db
from stagebourse.models import MatchingRun, Role, Sector
from stagebourse.services import matching
from stagebourse.services.matching import RunOptions
from tests.factories import make_user
from tests.personas import login_as, page_text
from tests.scenarios import demo_campaign
from tests.web.test_offer_index_pages import counted


@pytest.fixture
def round_page(app: Any, client: FlaskClient) -> tuple[FlaskClient, MatchingRun, str]:
    steering, campaign = demo_campaign()
    run = matching.run_round(steering, campaign, RunOptions(seed=4))
    db.session.commit()
    login_as(client, make_user(Role.STEERING, "pilote.audit@metropole-test.fr"))
    return client, run, f"/pilotage/tours/{run.id}"


def test_the_audit_page_runs_a_fixed_small_number_of_statements(round_page) -> None:
    client, run, url = round_page
    # The signed-in user; the run with its campaign; the token of the cached sector names;
    # the manual changes; the host decisions of the round.
    for page, budget in ((url, 6), (f"/pilotage/campagnes/{run.campaign_id}", 8)):
        client.get(page)
        with counted() as statements:
            assert client.get(page).status_code == 200
        assert len(statements) <= budget, (page, len(statements), statements)


def _secret_cells(client: FlaskClient, url: str) -> int:
    return page_text(client.get(url)).count(">secret<")


def test_a_stricter_threshold_hides_more_at_once(app: Any, round_page) -> None:
    client, _, url = round_page
    before = _secret_cells(client, url)
    app.config["AUDIT_MIN_CELL"] = 40  # the demo's schools have 20 to 60 pupils
    stricter = _secret_cells(client, url)
    assert stricter > before
    # And the CSV export of a table agrees with the page.
    export = client.get(f"{url}?table=label-school&format=csv").get_data(as_text=True)
    assert "secret" in export


def test_a_renamed_sector_and_another_audit_show_at_once(round_page) -> None:
    client, run, url = round_page
    page = page_text(client.get(url))
    sector = next(s for s in db.session.scalars(db.select(Sector)) if s.label in page)
    sector.label = "Secteur renommé pour le test"
    db.session.commit()
    assert "Secteur renommé pour le test" in page_text(client.get(url))

    # An audit whose figures differ (here: one mechanism's placements halved): the page
    # shows the new figures, not those it kept for the old text.
    audit = matching.run_audit(run)
    placed = audit["overall"]["optimal"]["placed"]
    audit["overall"]["optimal"]["placed"] = placed // 2 + 1
    stored = db.session.get(MatchingRun, run.id)
    stored.audit_json = json.dumps(audit)
    db.session.commit()
    assert f"<td>{placed // 2 + 1}</td>" in page_text(client.get(url))
    overall = page_text(client.get(f"{url}?table=overall&format=csv"))
    assert f";{placed // 2 + 1};" in overall and f";{placed};" not in overall
