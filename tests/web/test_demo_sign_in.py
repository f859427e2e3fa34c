"""The README's demo sign-ins work, and the CLI refuses demo data in production."""

from __future__ import annotations

import datetime as dt

import pytest

from stagebourse.services.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, DEMO_PUPIL_CODE, seed_demo
from tests.personas import page_text

LANDING = {"steering": "/pilotage/", "teacher": "/professeur/", "company": "/structure/",
           "tutor": "/tuteur/"}


@pytest.fixture
def demo(app):
    seed_demo(today=dt.date(2026, 11, 28))


@pytest.mark.parametrize("role", sorted(LANDING))
def test_demo_account_signs_in_and_lands_on_its_page(client, demo, role):
    email = next(e for r, e in DEMO_ACCOUNTS.items() if r.value == role)
    response = client.post("/connexion", data={"email": email, "password": DEMO_PASSWORD},
                           follow_redirects=True)
    assert response.request.path == LANDING[role]
    assert response.status_code == 200


def test_demo_pupil_code_works(client, demo):
    response = client.post("/connexion/eleve", data={"code": DEMO_PUPIL_CODE},
                           follow_redirects=True)
    assert response.request.path == "/eleve/"
    assert "Bonjour" in page_text(response)


def test_seed_demo_is_refused_in_production(app):
    app.config["STAGEBOURSE_ENV"] = "production"
    result = app.test_cli_runner().invoke(args=["seed", "demo"])
    assert result.exit_code != 0
    assert "interdits en production" in result.output


def test_seed_reference_reports_counts(app):
    result = app.test_cli_runner().invoke(args=["seed", "reference"])
    assert result.exit_code == 0, result.output
    assert "Communes : 0 créé(s), 0 mis à jour, 35 inchangé(s)" in result.output
