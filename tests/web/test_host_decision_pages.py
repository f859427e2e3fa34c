"""The host's decline and withdrawal pages, the steering group's page of withdrawal requests,
and the teacher's list telling a host's refusal from the pupil's own — without JavaScript."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from stagebourse.extensions import db
from stagebourse.models import AssignmentState, WithdrawalState
from stagebourse.services import matching
from tests.personas import page_text
from tests.scenarios import PublishedRound, published_round
from tests.web.route_map import sign_in

pytestmark = pytest.mark.database


@pytest.fixture
def world(app: Flask) -> PublishedRound:
    return published_round()


def signed_in(app: Flask, user) -> FlaskClient:
    client = app.test_client()
    sign_in(client, user)
    return client


def test_declining_asks_a_reason_and_a_ticked_box_and_keeps_what_was_typed(app, world):
    host = signed_in(app, world.member)
    assignment = world.run.assignments[0]
    url = f"/structure/accueils/{assignment.id}/refuser"
    page = page_text(host.get(url))
    assert "Âge le premier jour" in page and "15 ans" in page
    assert assignment.pupil.first_name not in page
    note = "Notre tuteur sera en congé toute cette semaine."
    response = host.post(url, data={"reason": "other", "note": note})
    assert response.status_code == 422
    page = page_text(response)
    assert "Cochez la case pour confirmer le refus" in page and note in page
    assert re.search(r'<option selected value="other"|<option value="other" selected', page)
    db.session.expire_all()
    assert assignment.state == AssignmentState.PUBLISHED
    response = host.post(url, data={"reason": "other", "note": note, "confirm": "y"},
                         follow_redirects=True)
    assert "Refus enregistré" in page_text(response)
    db.session.expire_all()
    assert assignment.state == AssignmentState.DECLINED and assignment.host_reason_note == note
    # One click no longer refuses: the old button's address is gone.
    other = world.run.assignments[1]
    assert host.post(f"/structure/accueils/{other.id}/decline").status_code in (404, 405)


def test_teacher_and_steering_lists_tell_a_host_refusal_from_the_pupils_own(app, world):
    by_host, by_pupil = world.run.assignments[:2]
    matching.decline_proposal(world.member, by_host, "seat_gone")
    matching.answer_for_pupil(world.teacher, by_pupil, False)
    db.session.commit()
    teacher = signed_in(app, world.teacher)
    for url in ("/professeur/affectations", "/professeur/affectations?format=csv"):
        page = page_text(teacher.get(url))
        assert "refusée par la structure" in page and "refusée par l'élève" in page
    steering = signed_in(app, world.steering)
    page = page_text(steering.get(f"/pilotage/tours/{world.run.id}/affectations"))
    assert "refusée par la structure" in page and "plus de place cette semaine-là" in page


def test_withdrawal_request_and_the_steering_groups_decision(app, world):
    assignment = world.run.assignments[0]
    matching.answer_for_pupil(world.teacher, assignment, True)
    matching.answer_for_company(world.member, assignment, True)
    db.session.commit()
    host = signed_in(app, world.member)
    assert "Demander le retrait" in page_text(host.get("/structure/accueils"))
    url = f"/structure/accueils/{assignment.id}/retrait"
    assert assignment.pupil.last_name in page_text(host.get(url))
    response = host.post(url, data={"reason": "tutor_unavailable", "confirm": "y"},
                         follow_redirects=True)
    assert "Demande envoyée au groupe de pilotage" in page_text(response)
    [request] = assignment.withdrawal_requests
    # A second request waits for the first to be decided.
    assert "une seule à la fois" in page_text(host.get(url, follow_redirects=True))

    steering = signed_in(app, world.steering)
    page = page_text(steering.get("/pilotage/retraits"))
    assert assignment.pupil.last_name in page and "tuteur ou tutrice indisponible" in page
    csv = page_text(steering.get("/pilotage/retraits?format=csv"))
    assert "tuteur ou tutrice indisponible" in csv and "en attente de décision" in csv
    assert f'value="{request.id}"' in page_text(steering.get(f"/pilotage/retraits?demande="
                                                              f"{request.id}"))
    response = steering.post("/pilotage/retraits", data={"request_id": request.id,
                                                         "decision": "refuse"})
    assert response.status_code == 422
    assert "pourquoi le stage est maintenu" in page_text(response)
    response = steering.post("/pilotage/retraits", data={
        "request_id": request.id, "decision": "refuse",
        "note": "L'élève est attendu : le tuteur suppléant l'accueillera."},
        follow_redirects=True)
    assert "Décision enregistrée" in page_text(response)
    db.session.expire_all()
    assert request.state == WithdrawalState.REFUSED
    assert assignment.state == AssignmentState.CONFIRMED
    assert "le stage est maintenu" in page_text(host.get("/structure/accueils"))
