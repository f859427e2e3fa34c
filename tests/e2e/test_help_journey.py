"""Someone who met discrimination finds help from any page's footer, reads who to call by need,
and asks to be called back leaving only a pseudonym and a phone; on a phone and on a desktop."""

from __future__ import annotations

from sqlalchemy import func, select

from stagebourse.extensions import db
from stagebourse.models import CallbackRequest
from tests.e2e.conftest import assert_accessible, screenshot


def test_help_from_the_footer_to_a_call_back(page, live_server, app):
    app.config["HELP_REFERENT_EMAIL"] = "referente-aide@pilotage.test"
    page.goto(live_server + "/")
    page.get_by_role("contentinfo").get_by_role(
        "link", name="Victime de discrimination ? Trouver de l'aide").click()
    assert "Où trouver de l'aide" in page.get_by_role("heading", level=1).inner_text()
    for need in ("En danger, tout de suite", "Signaler une discrimination"):
        assert page.get_by_role("heading", level=2, name=need).is_visible()
    assert page.locator('a[href="tel:119"]').count() == 1
    assert page.locator('a[href="tel:3928"]').count() == 1
    # Nothing wider than the screen (375 px included).
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(page)
    screenshot(page, "help-directory")

    page.get_by_role("link", name="Tu préfères qu'on te rappelle").click()
    page.get_by_label("Prénom ou pseudo (facultatif)").fill("Lou")
    page.get_by_role("button", name="Demander à être rappelé·e").click()
    assert "au moins un moyen de te joindre" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("Prénom ou pseudo (facultatif)").input_value() == "Lou"
    assert_accessible(page)

    page.get_by_label("Téléphone").fill("06 12 34 56 78")
    page.get_by_role("group", name="C'est à propos de").get_by_label(
        "Une discrimination (recherche de stage ou stage)").check()
    page.get_by_role("button", name="Demander à être rappelé·e").click()
    assert "va te recontacter" in page.get_by_role("status").inner_text()
    assert_accessible(page)
    screenshot(page, "help-callback-sent")
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(CallbackRequest)) == 1
