"""In a browser, at desktop width and at 375 px: the pupil finds the placement on the home page,
accepts it through the confirmation step, reads what comes next, and opens the family sheet
and the preparation page."""

from __future__ import annotations

from tests.e2e.conftest import assert_accessible, screenshot
from tests.factories import access_code
from tests.web.test_pupil_placement_journey import placed


def fits_width(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_a_pupil_accepts_the_placement_from_the_home_page(page, live_server, app):
    pupil, _teacher, _assignment = placed()
    page.goto(live_server + "/connexion/eleve")
    page.get_by_label("Ton code d'accès").fill(access_code(pupil))
    page.get_by_role("button", name="Entrer").click()
    main = page.locator("main")
    assert "du lundi 1er février au vendredi 5 février 2027" in main.inner_text()
    assert "mercredi 20 janvier 2027" in main.inner_text()
    assert fits_width(page)
    assert_accessible(page)
    screenshot(page, "pupil-home-placement")
    page.get_by_role("link", name="Répondre à cette proposition").click()
    page.get_by_role("button", name="J'accepte ce stage…").click()
    assert "Accepter ce stage ?" in page.get_by_role("heading", level=1).inner_text()
    assert_accessible(page)
    page.get_by_role("button", name="Oui, j'accepte ce stage").click()
    assert "Et maintenant ?" in page.get_by_role("heading", level=1).inner_text()
    assert "59300 Valenciennes" in main.inner_text()
    assert fits_width(page)
    assert_accessible(page)
    screenshot(page, "pupil-placement-next")
    page.get_by_role("link", name="Fiche à imprimer pour ta famille").click()
    assert "convention de stage signée" in main.inner_text()
    assert_accessible(page)
    page.goto(live_server + "/eleve/preparation")
    assert page.locator("article").count() >= 1
    assert fits_width(page)
    assert_accessible(page)
