"""A legal guardian opens their personal link, receives the code by e-mail and signs — in a real
browser, on desktop and phone."""

from __future__ import annotations

from stagebourse.extensions import db
from stagebourse.models import Party
from stagebourse.services import agreements
from tests.e2e.conftest import assert_accessible, screenshot
from tests.scenarios import GUARDIAN, last_code, sent


def test_guardian_opens_the_link_receives_the_code_and_signs(page, live_server, app):
    agreement, _teacher = sent()
    url = f"{live_server}/convention/{agreements.make_token(agreement, Party.GUARDIAN)}"
    page.goto(url)
    assert "Convention de stage de Inès Martin" in page.get_by_role(
        "heading", level=1).inner_text()
    assert "Défenseur des droits" in page.locator("main").inner_text()
    assert_accessible(page)
    page.get_by_role("button", name="Recevoir mon code").click()
    assert f"envoyé à {GUARDIAN}" in page.locator(".flash").first.inner_text()
    db.session.expire_all()
    code = last_code(GUARDIAN)
    page.get_by_label("Votre nom et votre prénom").fill("Nadia Martin")
    page.get_by_label("Code reçu par e-mail").fill("000000" if code != "000000" else "111111")
    page.get_by_role("button", name="Signer la convention").click()
    assert "Ce code n'est pas le bon" in page.locator(".flash").first.inner_text()
    assert_accessible(page)
    page.get_by_label("Votre nom et votre prénom").fill("Nadia Martin")
    page.get_by_label("Code reçu par e-mail").fill(code)
    page.get_by_role("button", name="Signer la convention").click()
    assert "Votre signature est enregistrée" in page.locator(".flash").first.inner_text()
    assert "Nadia Martin" in page.locator(".agreement-signatures").inner_text()
    assert_accessible(page)
    screenshot(page, "agreement-signed-by-guardian")


def test_teacher_reviews_the_draft_and_sends_it_for_signature(page, live_server, app):
    from tests.factories import TEST_PASSWORD, make_teacher
    from tests.scenarios import AGREEMENT_TEACHER, drafted

    agreement = drafted()
    teacher = make_teacher(AGREEMENT_TEACHER)
    page.goto(live_server + "/connexion")
    page.get_by_role("textbox", name="Adresse e-mail").fill(teacher.email)
    page.get_by_label("Mot de passe", exact=True).fill(TEST_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.goto(live_server + "/professeur/conventions")
    assert "Inès Martin" in page.locator("main").inner_text()
    assert_accessible(page)
    page.get_by_role("link", name="Inès Martin").click()
    assert_accessible(page)
    page.get_by_role("button", name="Envoyer pour signature").click()
    assert_accessible(page)
    page.get_by_role("button", name="Oui, envoyer aux signataires").click()
    assert "Convention envoyée pour signature" in page.locator(".flash").first.inner_text()
    db.session.expire_all()
    assert agreements.missing_parties(agreement) == list(Party)
    assert_accessible(page)
    screenshot(page, "agreement-teacher-sent")
