"""Each kind of user signs in through a real browser, on a desktop and a phone."""

from __future__ import annotations

import datetime as dt

import pytest

from stagebourse.extensions import db
from stagebourse.services.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, DEMO_PUPIL_CODE, seed_demo
from tests.e2e.conftest import assert_accessible, screenshot

HEADINGS = {
    "steering": "Tableau de bord du groupe de pilotage",
    "teacher": "Mes classes",
    "company": "Démo",
    "tutor": "Espace tuteur",
}


@pytest.fixture
def demo(app):
    seed_demo(today=dt.date.today())
    db.session.commit()  # as the demo command does: the live server reads it


@pytest.mark.parametrize("role", sorted(HEADINGS))
def test_staff_sign_in_with_email_and_password(page, live_server, demo, role):
    email = next(e for r, e in DEMO_ACCOUNTS.items() if r.value == role)
    page.goto(live_server + "/")
    assert_accessible(page)
    page.get_by_role("link", name="Se connecter").first.click()
    page.get_by_role("textbox", name="Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(DEMO_PASSWORD)
    assert_accessible(page)
    page.get_by_role("button", name="Se connecter").click()
    heading = page.get_by_role("heading", level=1)
    assert HEADINGS[role] in heading.inner_text()
    assert_accessible(page)
    screenshot(page, f"sign-in-{role}")
    page.get_by_role("button", name="Se déconnecter").click()
    assert "Vous êtes déconnecté(e)." in page.locator(".flash").inner_text()


def test_pupil_signs_in_with_the_code_from_the_teacher(page, live_server, demo):
    page.goto(live_server + "/")
    page.get_by_role("link", name="J'ai un code élève").click()
    page.get_by_label("Ton code d'accès").fill("wrong-code")
    page.get_by_role("button", name="Entrer").click()
    assert "Ce code ne fonctionne pas" in page.get_by_role("alert").first.inner_text()
    assert_accessible(page)
    page.get_by_label("Ton code d'accès").fill(DEMO_PUPIL_CODE.lower())
    page.get_by_role("button", name="Entrer").click()
    assert "Bonjour" in page.get_by_role("heading", level=1).inner_text()
    assert_accessible(page)
    screenshot(page, "sign-in-pupil")


def test_wrong_password_keeps_the_email_and_says_why(page, live_server, demo):
    page.goto(live_server + "/connexion")
    email = page.get_by_role("textbox", name="Adresse e-mail")
    email.fill(DEMO_ACCOUNTS[next(iter(DEMO_ACCOUNTS))])
    page.get_by_label("Mot de passe", exact=True).fill("pas le bon")
    page.get_by_role("button", name="Se connecter").click()
    assert "mot de passe incorrect" in page.get_by_role("alert").first.inner_text()
    assert email.input_value().startswith("pilotage@")


def test_accessibility_statement_is_itself_accessible(page, live_server):
    page.goto(live_server + "/")
    page.get_by_role("link", name="Accessibilité : partiellement conforme").click()
    assert "Déclaration d'accessibilité" in page.get_by_role("heading", level=1).inner_text()
    assert_accessible(page)
