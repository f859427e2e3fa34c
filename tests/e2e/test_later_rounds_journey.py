"""After a published round, in a browser: a pupil declines through the confirmation step; the
steering group reads why the next round would place nobody, and the hosts' decisions."""

from __future__ import annotations

from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import Role, User
from stagebourse.services import matching
from stagebourse.services.matching import RunOptions
from tests.e2e.conftest import assert_accessible, screenshot
from tests.factories import TEST_PASSWORD, give_access_code, make_user
from tests.scenarios import round_with_host_decisions, wishes_one_sector


def test_a_pupil_declines_after_reading_what_follows(page, live_server, app):
    steering, campaign = wishes_one_sector(pupils=2)
    run = matching.run_round(steering, campaign, RunOptions(seed=1))
    matching.publish(steering, run)
    [assignment] = run.assignments
    pupil = db.session.scalar(select(User).where(User.pupil_id == assignment.pupil_id))
    code = give_access_code(pupil)
    db.session.commit()
    page.goto(live_server + "/connexion/eleve")
    page.get_by_label("Ton code d'accès").fill(code)
    page.get_by_role("button", name="Entrer").click()
    page.goto(live_server + "/eleve/affectation")
    page.get_by_role("link", name="Je refuse ce stage…").click()
    assert "Refuser ce stage ?" in page.get_by_role("heading", level=1).inner_text()
    assert "tu ne seras pas placé·e dans les tours suivants" in page.locator("main").inner_text()
    assert_accessible(page)
    screenshot(page, "pupil-decline-confirmation")
    page.get_by_role("button", name="Oui, je refuse ce stage").click()
    assert "Prochaine étape" in page.locator("main").inner_text()
    assert_accessible(page)


def test_steering_reads_the_feasibility_and_the_hosts_decisions(page, live_server, app):
    _steering, campaign, run, proposals = round_with_host_decisions()
    member = make_user(Role.STEERING, "pilote.navigateur@metropole-test.fr")
    db.session.commit()
    page.goto(live_server + "/connexion")
    page.get_by_role("textbox", name="Adresse e-mail").fill(member.email)
    page.get_by_label("Mot de passe", exact=True).fill(TEST_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.goto(live_server + f"/pilotage/campagnes/{campaign.id}/tours")
    assert "Avant de lancer le tour 2" in page.locator("main").inner_text()
    assert_accessible(page)
    page.goto(live_server + f"/pilotage/tours/{run.id}")
    assert "Décisions des structures" in page.locator("main").inner_text()
    assert_accessible(page)
    page.goto(live_server + "/pilotage/observatoire")
    page.get_by_role("link", name=f"Refus des structures avant et après les noms : {campaign.name}"
                     ).click()
    assert "Refus avant et après" in page.locator("main").inner_text()
    assert_accessible(page)
    page.goto(live_server + f"/pilotage/structures/{proposals[0].offer.company_id}")
    assert "Décisions sur les propositions" in page.locator("main").inner_text()
    assert_accessible(page)
    screenshot(page, "steering-host-record")
