"""A pupil answers the anonymous return questionnaire with the code from the e-mail, on a phone
and on a desktop, reports a remark and sees where to get help."""

from __future__ import annotations

from stagebourse.extensions import db
from stagebourse.services import questionnaires
from tests.e2e.conftest import assert_accessible, screenshot
from tests.scenarios import AFTER, emailed_code, finished_campaign, responses


def test_pupil_answers_with_a_code_and_sees_the_help(page, live_server, app):
    done = finished_campaign(by_email=2, on_paper=0)
    questionnaires.invite(None, done.campaign, AFTER)
    db.session.commit()  # as the command does
    code = emailed_code(done.by_email[0].guardian_email)

    page.goto(live_server + "/questionnaire")
    assert_accessible(page)
    page.get_by_label("Code de questionnaire").fill("ZZZZ-ZZZZ-ZZZZ")
    page.get_by_role("button", name="Commencer").click()
    assert "Ce code ne fonctionne pas" in page.get_by_role("alert").inner_text()
    assert_accessible(page)

    page.get_by_label("Code de questionnaire").fill(code)
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


def test_anyone_reads_the_released_figures_and_the_steering_group_its_report(
        page, live_server, app):
    from sqlalchemy import select

    from stagebourse.models import Role, SchoolKind, Sector
    from stagebourse.services import observatory
    from tests.factories import TEST_PASSWORD, add_responses, make_user

    done = finished_campaign(by_email=1, on_paper=0)
    sector = db.session.scalars(select(Sector).order_by(Sector.code)).first().code
    add_responses(done.campaign, 30, {"matched_wish": "yes", "sector": sector, "gender": "F",
                                      "remarks": ["none"]}, priority_area="REP+",
                  qpv_resident=True)
    add_responses(done.campaign, 15, {"matched_wish": "no", "gender": "M",
                                      "remarks": ["origin"]}, school_kind=SchoolKind.LYCEE,
                  priority_area="none", qpv_resident=False)
    steering = make_user(Role.STEERING, "pilote@agglo-test.fr")
    observatory.close_questionnaire(steering, done.campaign)
    observatory.compute_campaign_release(steering, done.campaign)
    db.session.commit()  # as the steering button's request does

    # The public page, without signing in: charts, each followed by its table.
    page.goto(live_server + "/")
    page.get_by_role("contentinfo").get_by_role(
        "link", name="Observatoire des discriminations").click()
    main = page.locator("main")
    assert "Évolution d'une campagne à l'autre" in main.inner_text()
    assert "Audit de l'affectation" in main.inner_text()
    page.get_by_text("Tableaux détaillés de").first.click()
    assert page.locator("svg.chart").count() > 10
    assert "secret" in main.inner_text()
    assert_accessible(page)
    screenshot(page, "observatory-public")

    page.goto(live_server + "/connexion")
    page.get_by_role("textbox", name="Adresse e-mail").fill("pilote@agglo-test.fr")
    page.get_by_label("Mot de passe", exact=True).fill(TEST_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.goto(live_server + "/pilotage/observatoire")
    assert_accessible(page)
    page.get_by_role("link", name=f"Chiffres publiés de {done.campaign.name}").click()
    assert page.locator("svg.chart").count() > 10
    assert_accessible(page)
    page.get_by_role("link", name="Rapport 2027").click()
    assert "Méthode" in page.locator("main").inner_text()
    assert_accessible(page)
