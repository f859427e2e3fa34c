"""In a browser, at desktop width and at 375 px: a pupil whose family has not consented, a
pupil who declines the placement and a pupil who searches the offers each see what to do next."""

from __future__ import annotations

from stagebourse.extensions import db
from stagebourse.services.requests import add_wish, confirm_request
from tests.e2e.conftest import assert_accessible, screenshot
from tests.factories import (
    access_code,
    first_school,
    make_campaign,
    make_company,
    make_offer,
    make_pupil_user,
    make_teacher,
)
from tests.web.test_pupil_placement_journey import placed


def fits_width(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def sign_in(page, live_server: str, pupil) -> None:
    page.goto(live_server + "/connexion/eleve")
    page.get_by_label("Ton code d'accès").fill(access_code(pupil))
    page.get_by_role("button", name="Entrer").click()


def test_a_pupil_without_consent_is_told_whom_to_ask(page, live_server, app):
    school = first_school()
    make_campaign([school])
    teacher = make_teacher("prof.accord@college-test.fr", school)
    pupil = make_pupil_user(school)  # under 15 on the first day: consent required
    add_wish(pupil, pupil.pupil, sector_code="industrie")
    confirm_request(pupil, pupil.pupil)
    db.session.commit()
    sign_in(page, live_server, pupil)
    main = page.locator("main").inner_text()
    assert "Il manque l'accord de ta famille" in main
    assert teacher.display_name in main
    assert fits_width(page)
    assert_accessible(page)
    screenshot(page, "pupil-home-no-consent")


def test_a_pupil_who_declines_reads_what_happens_next(page, live_server, app):
    pupil, _teacher, _assignment = placed()
    sign_in(page, live_server, pupil)
    page.get_by_role("link", name="Répondre à cette proposition").click()
    page.get_by_role("link", name="Je refuse ce stage…").click()
    assert "Refuser ce stage ?" in page.get_by_role("heading", level=1).inner_text()
    assert_accessible(page)
    page.get_by_role("button", name="Oui, je refuse ce stage").click()
    assert "Et maintenant ?" in page.get_by_role("heading", level=1).inner_text()
    assert fits_width(page)
    assert_accessible(page)
    screenshot(page, "pupil-declined-next")


def test_a_searching_pupil_finds_an_offer_and_makes_it_a_wish(page, live_server, app):
    school = first_school()
    make_campaign([school])
    bakery = make_company(siret="73282932000074", name="Boulangerie Caudron",
                          contact_email="contact@caudron.example")
    make_offer(bakery, title="Découvrir le fournil", sector_code="hotellerie-restauration",
               description="Pétrir et cuire le pain avec l'équipe du fournil.")
    pupil = make_pupil_user(school)
    db.session.commit()
    sign_in(page, live_server, pupil)
    page.goto(live_server + "/offres/")
    page.get_by_label("Mots-clés").fill("boulangère")
    page.get_by_label("Mots-clés").press("Enter")
    assert_accessible(page)
    page.get_by_role("link", name="Découvrir le fournil").click()
    assert fits_width(page)
    assert_accessible(page)
    page.get_by_role("button", name="Ajouter cette offre à mes vœux").click()
    page.get_by_role("link", name="Voir ma demande et mes vœux").click()
    assert "Découvrir le fournil" in page.locator("main").inner_text()
    assert fits_width(page)
    assert_accessible(page)
    screenshot(page, "pupil-search-wish")
