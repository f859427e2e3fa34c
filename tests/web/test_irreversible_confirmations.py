"""Every action that cannot be undone asks first, without JavaScript: the first post writes
nothing and shows a summary; only a second post carrying ``confirm=1`` acts."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import (
    AgreementState,
    AssignmentState,
    Company,
    CompanyState,
    OutboxMessage,
    Pupil,
    Role,
    RunState,
    User,
)
from stagebourse.services import matching
from stagebourse.services.matching import RunOptions
from tests.factories import make_company, make_teacher, make_user
from tests.personas import page_text
from tests.scenarios import AGREEMENT_TEACHER, drafted, published_round, small_round
from tests.web.route_map import sign_in

pytestmark = pytest.mark.database


def signed_in(app: Flask, user: User):
    client = app.test_client()
    sign_in(client, user)
    return client


def pupil_user(pupil: Pupil) -> User:
    return db.session.scalar(select(User).where(User.pupil_id == pupil.id))


def test_publishing_a_round_asks_first(app):
    steering, campaign = small_round(pupils=2, seats=(1,))
    run = matching.run_round(steering, campaign, RunOptions(seed=2))
    db.session.commit()
    client = signed_in(app, steering)
    url = f"/pilotage/tours/{run.id}/publier"
    first = client.post(url)
    assert first.status_code == 200
    page = page_text(first)
    assert "Une publication ne se reprend pas" in page and 'name="confirm" value="1"' in page
    db.session.expire_all()
    assert run.state == RunState.DONE
    assert db.session.scalar(select(OutboxMessage.id).limit(1)) is None
    client.post(url, data={"confirm": "1"})
    db.session.expire_all()
    assert run.state == RunState.PUBLISHED


def test_a_pupil_accepts_or_declines_only_after_confirming(app):
    world = published_round()
    first, second = world.run.assignments[:2]
    client = signed_in(app, pupil_user(first.pupil))
    page = page_text(client.post(f"/eleve/affectation/{first.id}/accept"))
    assert "Accepter ce stage ?" in page
    db.session.expire_all()
    assert first.pupil_confirmed_at is None
    response = client.post(f"/eleve/affectation/{first.id}/accept", data={"confirm": "1"})
    assert response.headers["Location"].endswith(f"/eleve/affectation/{first.id}/suite")
    db.session.expire_all()
    assert first.pupil_confirmed_at is not None

    client = signed_in(app, pupil_user(second.pupil))
    page = page_text(client.post(f"/eleve/affectation/{second.id}/decline"))
    assert "Refuser ce stage ?" in page
    db.session.expire_all()
    assert second.state == AssignmentState.PUBLISHED
    client.post(f"/eleve/affectation/{second.id}/decline", data={"confirm": "1"})
    db.session.expire_all()
    assert second.state == AssignmentState.DECLINED


def test_a_teacher_declines_for_a_pupil_only_after_confirming(app):
    world = published_round()
    assignment = world.run.assignments[0]
    client = signed_in(app, world.teacher)
    client.post(f"/professeur/affectations/{assignment.id}/decline")
    db.session.expire_all()
    assert assignment.state == AssignmentState.PUBLISHED
    client.post(f"/professeur/affectations/{assignment.id}/decline", data={"confirm": "1"})
    db.session.expire_all()
    assert assignment.state == AssignmentState.DECLINED


def test_a_host_declines_only_after_confirming(app):
    world = published_round()
    assignment = world.run.assignments[0]
    client = signed_in(app, world.member)
    url = f"/structure/accueils/{assignment.id}/refuser"
    client.post(url, data={"reason": "seat_gone"})
    db.session.expire_all()
    assert assignment.state == AssignmentState.PUBLISHED
    client.post(url, data={"reason": "seat_gone", "confirm": "1"})
    db.session.expire_all()
    assert assignment.state == AssignmentState.DECLINED


def test_cancelling_an_assignment_asks_first_and_keeps_the_reason(app):
    world = published_round()
    assignment = world.run.assignments[0]
    client = signed_in(app, world.steering)
    url = f"/pilotage/tours/{world.run.id}/affectations"
    form = {"cancel-assignment_id": assignment.id, "cancel-reason": "Structure fermée",
            "cancel-submit": "1"}
    page = page_text(client.post(url, data=form))
    assert "Annuler l'affectation" in page and 'value="Structure fermée"' in page
    db.session.expire_all()
    assert assignment.state == AssignmentState.PUBLISHED
    client.post(url, data={**form, "confirm": "1"})
    db.session.expire_all()
    assert assignment.state == AssignmentState.CANCELLED


def test_erasing_a_pupil_asks_first(app):
    world = published_round()
    pupil = world.pupils[0]
    last_name = pupil.last_name
    client = signed_in(app, world.steering)
    url = f"/pilotage/donnees-personnelles/{pupil.id}/effacer"
    page = page_text(client.post(url, data={"reason": "Demande de la famille"}))
    assert "L'effacement ne se reprend pas" in page and "Demande de la famille" in page
    db.session.expire_all()
    assert pupil.last_name == last_name
    client.post(url, data={"reason": "Demande de la famille", "confirm": "1"})
    db.session.expire_all()
    assert pupil.last_name != last_name


def test_refusing_a_structure_asks_first(app):
    steering = make_user(Role.STEERING, "p@metropole-test.fr")
    company = make_company(state=CompanyState.PENDING)
    db.session.commit()
    client = signed_in(app, steering)
    url = f"/pilotage/structures/{company.id}/refuser"
    client.post(url, data={"reason": "SIRET introuvable"})
    db.session.expire_all()
    assert db.session.get(Company, company.id).state == CompanyState.PENDING
    client.post(url, data={"reason": "SIRET introuvable", "confirm": "1"})
    db.session.expire_all()
    assert db.session.get(Company, company.id).state == CompanyState.REJECTED


def test_sending_an_agreement_asks_first(app):
    agreement = drafted()
    teacher = make_teacher(AGREEMENT_TEACHER)
    db.session.commit()
    client = signed_in(app, teacher)
    url = f"/professeur/conventions/{agreement.id}/envoyer"
    assert "Envoyer la convention pour signature ?" in page_text(client.post(url))
    db.session.expire_all()
    assert agreement.state == AgreementState.DRAFT
    client.post(url, data={"confirm": "1"})
    db.session.expire_all()
    assert agreement.state == AgreementState.TO_SIGN
