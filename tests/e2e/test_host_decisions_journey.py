"""After publication, a host decides on blind proposals, declines one with a reason, sees a
pupil's name only once both sides confirmed, then asks the steering group to withdraw that
placement, and the steering group refuses — in a browser, on desktop and phone."""

from __future__ import annotations

import re

from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import AssignmentState, OutboxMessage, WithdrawalState
from stagebourse.services import matching
from tests.e2e.conftest import assert_accessible, screenshot
from tests.factories import TEST_PASSWORD
from tests.scenarios import HOST_MEMBER, ROUND_STEERING, ROUND_TEACHER, published_round


def sign_in(page, live_server: str, email: str) -> None:
    page.context.clear_cookies()
    page.goto(live_server + "/connexion")
    page.get_by_role("textbox", name="Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(TEST_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def recipients(template: str) -> set[str]:
    db.session.expire_all()
    return set(db.session.scalars(select(OutboxMessage.recipient).where(
        OutboxMessage.template == template)))


def test_host_declines_blind_then_asks_a_withdrawal_that_the_steering_group_refuses(
        page, live_server, app):
    world = published_round()
    declined, revealed = sorted(world.run.assignments, key=lambda a: a.id)[:2]
    names = [name for pupil in world.pupils for name in (pupil.first_name, pupil.last_name)]

    sign_in(page, live_server, HOST_MEMBER)
    page.goto(live_server + "/structure/accueils")
    main = page.locator("main").inner_text()
    assert "Âge le premier jour" in main
    assert [name for name in names if name in main] == []
    assert_accessible(page)

    # Declining asks for a reason and a confirmation.
    page.get_by_role("link", name=f"Refuser la proposition n° {declined.id}…").click()
    assert_accessible(page)
    page.get_by_label("Raison", exact=True).select_option(label="tuteur ou tutrice indisponible")
    page.get_by_label(re.compile("Je confirme que notre structure")).check()
    page.get_by_role("button", name="Refuser cette proposition").click()
    assert "Refus enregistré" in page.locator(".flash").first.inner_text()
    assert "refusée par la structure" in page.locator("main").inner_text()
    screenshot(page, "host-proposals")
    family = declined.pupil.guardian_email
    assert family in recipients("host_declined_pupil")
    assert ROUND_TEACHER in recipients("host_declined_teacher")
    assert ROUND_STEERING in recipients("host_declined_steering")

    # Both sides confirm another proposal: its pupil's name appears, no other.
    page.get_by_role("button", name=f"Confirmer la proposition n° {revealed.id}").click()
    assert "Accueil confirmé" in page.locator(".flash").first.inner_text()
    db.session.expire_all()
    matching.answer_for_pupil(world.teacher, revealed, True)
    db.session.commit()  # as the teacher's request does
    page.goto(live_server + "/structure/accueils")
    main = page.locator("main").inner_text()
    pupil = revealed.pupil
    assert pupil.last_name in main
    assert [n for n in names if n in main and n not in (pupil.first_name, pupil.last_name)] == []

    # After the reveal, the host can only ask the steering group.
    page.get_by_role("link", name=f"Demander le retrait du stage n° {revealed.id}…").click()
    assert_accessible(page)
    page.get_by_label("Raison", exact=True).select_option(label="plus de place cette semaine-là")
    page.get_by_label(re.compile("Je demande au groupe de pilotage")).check()
    page.get_by_role("button", name="Envoyer la demande au groupe de pilotage").click()
    assert "Demande envoyée" in page.locator(".flash").first.inner_text()
    assert ROUND_STEERING in recipients("withdrawal_requested")

    sign_in(page, live_server, ROUND_STEERING)
    page.goto(live_server + "/pilotage/retraits")
    assert pupil.last_name in page.locator("main").inner_text()
    assert_accessible(page)
    page.get_by_role("link", name=re.compile(r"Décider \(demande n° \d+\)")).click()
    page.get_by_label("Refuser : le stage est maintenu").check()
    page.get_by_label(re.compile("Message à la structure")).fill(
        "L'élève est attendu : le tuteur suppléant l'accueillera.")
    page.get_by_role("button", name="Enregistrer la décision").click()
    assert "Décision enregistrée" in page.locator(".flash").first.inner_text()
    assert_accessible(page)
    screenshot(page, "steering-withdrawal-refused")
    db.session.expire_all()
    [request] = revealed.withdrawal_requests
    assert request.state == WithdrawalState.REFUSED
    assert revealed.state == AssignmentState.CONFIRMED
    assert HOST_MEMBER in recipients("withdrawal_decided")
