"""A pupil answers the anonymous return questionnaire with the code from the e-mail, on a phone
and on a desktop, reports a remark and sees where to get help."""

from __future__ import annotations

from stagebourse.services import questionnaires
from tests.e2e.conftest import assert_accessible, screenshot
from tests.questionnaire_factories import AFTER, emailed_code, finished_campaign, responses


def test_pupil_answers_with_a_code_and_sees_the_help(page, live_server, app):
    done = finished_campaign(by_email=2, on_paper=0)
    questionnaires.invite(None, done.campaign, AFTER)
    code = emailed_code(done.by_email[0].guardian_email)

    page.goto(live_server + "/questionnaire")
    assert_accessible(page)
    page.get_by_label("Ton code de questionnaire").fill("ZZZZ-ZZZZ-ZZZZ")
    page.get_by_role("button", name="Commencer").click()
    assert "Ce code ne fonctionne pas" in page.get_by_role("alert").inner_text()
    assert_accessible(page)

    page.get_by_label("Ton code de questionnaire").fill(code)
    page.get_by_role("button", name="Commencer").click()
    page.get_by_role("group", name="Ton stage correspondait-il").get_by_label(
        "Oui, c'était un de mes vœux").check()
    remarks = page.get_by_role("group", name="as-tu entendu des remarques")
    remarks.get_by_label("Le quartier où l'on habite").check()
    remarks.get_by_label("Le nom ou le prénom").check()
    assert_accessible(page)
    screenshot(page, "questionnaire-answer")
    page.get_by_role("button", name="Envoyer mes réponses").click()

    assert "Merci pour tes réponses" in page.get_by_role("heading", level=1).inner_text()
    help_box = page.locator(".help-box").inner_text()
    for words in ("Défenseur des droits", "3928", "Pôle Anti-Discrimination du Parquet de "
                  "Valenciennes", "CIDFF Nord Valenciennes", "professeur référent"):
        assert words in help_box
    assert_accessible(page)
    screenshot(page, "questionnaire-help")
    assert page.context.cookies() == []  # nothing stored in the browser either
    assert responses()[0].answers["remarks"] == ["neighbourhood", "name"]
