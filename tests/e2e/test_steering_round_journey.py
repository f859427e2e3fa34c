"""The steering group closes a campaign, runs a round, audits it and publishes it — in a browser."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from stagebourse.extensions import db
from stagebourse.services.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, seed_demo
from tests.e2e.conftest import assert_accessible, screenshot


@pytest.fixture
def demo(app):
    seed_demo(today=dt.date.today())
    db.session.commit()  # as the demo command does: the live server reads it


def test_steering_runs_audits_and_publishes_a_round(page, live_server, demo, job_worker):
    steering = next(email for role, email in DEMO_ACCOUNTS.items() if role.value == "steering")
    page.goto(live_server + "/connexion")
    page.get_by_role("textbox", name="Adresse e-mail").fill(steering)
    page.get_by_label("Mot de passe", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.goto(live_server + "/pilotage/campagnes")
    # This year's campaign is listed first (the demo also has last year's, finished).
    page.get_by_role("link", name=re.compile("Stages de 3e")).first.click()
    page.get_by_role("button", name="Clore les vœux").click()
    page.get_by_role("link", name="Tours d'affectation et audit").click()
    assert_accessible(page)
    page.get_by_label("Graine du tirage au sort").fill("2027")
    page.get_by_role("button", name="Lancer le calcul").click()
    # The progress page refreshes itself and lands on the audit once the worker has computed
    # the round.
    page.wait_for_url(re.compile(r"/pilotage/tours/\d+$"), timeout=60_000)
    heading = page.get_by_role("heading", level=1).inner_text()
    assert "Audit de l'essai" in heading
    main = page.locator("main").inner_text()
    assert "Premier arrivé" in main and "Réseau d'abord" in main and "Vérifié" in main
    assert page.locator("svg.bar-chart").count() >= 3
    assert_accessible(page)
    screenshot(page, "steering-audit")
    page.get_by_role("button", name="Refaire le calcul avec la même graine et comparer").click()
    assert "Identique" in page.locator(".flash").first.inner_text()
    page.get_by_role("button", name="Publier ce tour").click()
    assert "Une publication ne se reprend pas" in page.locator("main").inner_text()
    assert_accessible(page)
    page.get_by_role("button", name="Oui, publier et prévenir tout le monde").click()
    assert "Tour publié" in page.locator(".flash").first.inner_text()
    assert "publié" in page.locator("main").inner_text()
    assert_accessible(page)
