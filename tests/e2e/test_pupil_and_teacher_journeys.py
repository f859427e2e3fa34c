"""A teacher enrols a class and prints its codes; a pupil ranks wishes — in a real browser."""

from __future__ import annotations

import datetime as dt

import pytest

from stagebourse.extensions import db
from stagebourse.services.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, DEMO_PUPIL_CODE, seed_demo
from tests.e2e.conftest import assert_accessible, screenshot

ROSTER = (
    "nom;prenom;date_naissance;classe;genre\n"
    + "".join(f"Essai{i};Élève{i};{(i % 27) + 1:02d}/03/2012;3Z;{'FM'[i % 2]}\n"
              for i in range(26))
    + "Essai-date;Mauvaise;31/02/2012;3Z;F\n"
    + "Essai0;Élève0;01/03/2012;3Z;F\n"  # the same pupil twice
)


@pytest.fixture
def demo(app):
    seed_demo(today=dt.date.today())
    db.session.commit()  # as the demo command does: the live server reads it


def sign_in(page, base: str, email: str) -> None:
    page.goto(base + "/connexion")
    page.get_by_role("textbox", name="Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def test_teacher_imports_a_class_and_prints_its_codes(page, live_server, demo):
    teacher = next(email for role, email in DEMO_ACCOUNTS.items() if role.value == "teacher")
    sign_in(page, live_server, teacher)
    page.get_by_role("link", name="Importer une classe (CSV)").click()
    page.get_by_label("Fichier CSV").set_input_files(
        files=[{"name": "3Z.csv", "mimeType": "text/csv", "buffer": ROSTER.encode("utf-8")}])
    page.get_by_role("button", name="Vérifier le fichier").click()
    preview = page.locator("main").inner_text()
    assert "28 ligne(s) lue(s) : 26 valide(s), 2 avec une erreur." in preview
    assert_accessible(page)
    page.get_by_role("button", name="Importer seulement les 26 lignes valides").click()
    assert "26 élève(s) importé(s)" in page.locator(".flash").first.inner_text()
    assert "Classe 3Z" in page.get_by_role("heading", level=1).inner_text()
    assert_accessible(page)
    page.get_by_role("link", name="Imprimer les codes d'accès").click()
    page.get_by_role("button", name="Imprimer les codes des élèves qui n'en ont pas encore").click()
    slips = page.locator(".slip")
    assert slips.count() == 26
    assert_accessible(page)
    screenshot(page, "teacher-codes")


def test_pupil_ranks_five_wishes_and_confirms(page, live_server, demo):
    page.goto(live_server + "/connexion/eleve")
    page.get_by_label("Ton code d'accès").fill(DEMO_PUPIL_CODE)
    page.get_by_role("button", name="Entrer").click()
    page.get_by_role("link", name="Choisir et classer mes vœux").click()
    # Start from an empty list whatever the demo gave this pupil.
    while page.get_by_role("button", name="Retirer").count():
        page.get_by_role("button", name="Retirer").first.click()
    for sector in ["Santé", "Sport et loisirs", "Informatique et numérique",
                   "Commerce et vente", "Éducation et animation"]:
        page.get_by_label("Un secteur").select_option(label=sector)
        page.get_by_role("button", name="Ajouter ce secteur").click()
    assert page.get_by_role("button", name="Ajouter ce secteur").count() == 0  # five at most
    page.get_by_role("button", name="Monter Éducation et animation").click()
    wishes = page.locator(".wish-label strong").all_inner_texts()
    assert wishes[3:] == ["Éducation et animation", "Commerce et vente"]
    assert_accessible(page)
    page.get_by_role("button", name="Confirmer la demande").click()
    assert "confirmée" in page.locator("main").inner_text()
    assert_accessible(page)
    screenshot(page, "pupil-wishes")
