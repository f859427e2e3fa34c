"""In a browser, at desktop width and at 375 px: the steering group verifies a structure's
Charter signature (its offers reach pupils only then), loads the signatories' list and invites
the signatories not registered yet, confirming before anything is sent."""

from __future__ import annotations

from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import CharterStatus, CompanyState, OutboxMessage, Role
from tests.e2e.conftest import assert_accessible, screenshot
from tests.factories import TEST_PASSWORD, make_company, make_user

SIGNATORIES = (b"siret;nom;courriel\n"
               b"73282932000074;Atelier Test;contact@atelier-test.fr\n"
               b";Menuiserie Signataire;contact@menuiserie-signataire.fr\n")


def fits_width(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_the_steering_group_verifies_the_charter_and_invites_signatories(
        page, live_server, app, tmp_path):
    make_user(Role.STEERING, "pilote.charte@metropole-test.fr")
    company = make_company(state=CompanyState.PENDING, charter_status=CharterStatus.DECLARED)
    db.session.commit()
    page.goto(live_server + "/connexion")
    page.get_by_role("textbox", name="Adresse e-mail").fill("pilote.charte@metropole-test.fr")
    page.get_by_label("Mot de passe", exact=True).fill(TEST_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()

    page.goto(f"{live_server}/pilotage/structures/{company.id}")
    assert "restent invisibles pour les élèves" in page.locator("main").inner_text()
    assert fits_width(page)
    assert_accessible(page)
    page.get_by_role("button", name="Marquer la signature de la Charte comme vérifiée").click()
    assert "Signature de la Charte vérifiée" in page.locator("main").inner_text()

    upload = tmp_path / "signataires.csv"
    upload.write_bytes(SIGNATORIES)
    page.goto(live_server + "/pilotage/charte/import")
    page.get_by_label("Liste des signataires").set_input_files(str(upload))
    page.get_by_role("button", name="Importer").click()
    assert_accessible(page)
    page.get_by_role("link", name="Voir et inviter les signataires non inscrits").click()
    assert "Menuiserie Signataire" in page.locator("main").inner_text()
    assert fits_width(page)
    assert_accessible(page)
    page.get_by_role("button", name="Inviter les 1 structure(s) pas encore invitées").click()
    assert_accessible(page)  # the confirmation step: nothing is sent yet
    db.session.expire_all()
    invitations = select(OutboxMessage.recipient).where(
        OutboxMessage.template == "signatory_invitation")
    assert list(db.session.scalars(invitations)) == []
    page.get_by_role("button", name="Oui, envoyer les invitations").click()
    assert_accessible(page)
    screenshot(page, "steering-signatories-invited")
    db.session.expire_all()
    assert list(db.session.scalars(invitations)) == ["contact@menuiserie-signataire.fr"]
