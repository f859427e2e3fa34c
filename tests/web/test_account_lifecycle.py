"""Closing accounts, refused structures, session limits and the observers, through the pages.

Each test acts as the people would: the steering group closes an account on its pages while
the person is still signed in elsewhere; the person's next request must find no session. The
clock is moved with time_machine (no sleeps).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import (
    AssignmentState,
    CompanyState,
    JournalEntry,
    OutboxMessage,
    Role,
    User,
)
from stagebourse.services import agreements
from stagebourse.services.companies import create_api_token
from tests.factories import (
    TEST_PASSWORD,
    assign,
    first_school,
    make_campaign,
    make_offer,
    make_pupil,
    make_teacher,
    make_user,
)
from tests.personas import close_account, login_as, page_text

REASON = "A quitté l'établissement en juin"


def signed_in(app: Flask, user: User) -> FlaskClient:
    client = app.test_client()
    login_as(client, user)
    return client


def sends_to_sign_in(response) -> bool:
    return response.status_code == 302 and "/connexion" in response.headers["Location"]


def journal(action: str) -> list[JournalEntry]:
    return list(db.session.scalars(select(JournalEntry).where(JournalEntry.action == action)
                                   .order_by(JournalEntry.id)))


# Closing and reopening -----------------------------------------------------------------------

def test_a_closed_teachers_open_session_is_refused_on_its_next_request(app: Flask, personas):
    teacher = signed_in(app, personas["teacher"])
    assert teacher.get("/professeur/").status_code == 200
    stolen = teacher.get_cookie("session", domain="stagebourse.test")
    steering = signed_in(app, personas["steering"])
    close_account(steering, personas["steering"], personas["teacher"])

    assert sends_to_sign_in(teacher.get("/professeur/"))
    replay = app.test_client()  # a copy of the cookie taken before the closing
    replay.set_cookie("session", stolen.value, domain=stolen.domain)
    assert sends_to_sign_in(replay.get("/professeur/"))
    refused = page_text(app.test_client().post(
        "/connexion", data={"email": "prof@test.fr", "password": TEST_PASSWORD}))
    assert "Ce compte est désactivé" in refused


def test_closing_asks_a_reason_on_a_confirmation_page_and_journals_it(app: Flask, personas):
    steering = signed_in(app, personas["steering"])
    target = personas["tutor"]
    page = page_text(steering.get(f"/pilotage/comptes/{target.id}/desactiver"))
    assert "Désactiver le compte de" in page and "Confirmer la désactivation" in page
    # No reason: nothing changes, the page says what to do.
    response = steering.post(f"/pilotage/comptes/{target.id}/desactiver", data={"reason": ""})
    assert response.status_code == 200 and "Indiquez la raison" in page_text(response)
    assert db.session.get(User, target.id).is_active
    assert journal("account.deactivated") == []

    steering.post(f"/pilotage/comptes/{target.id}/desactiver", data={"reason": REASON})
    closed = db.session.get(User, target.id)
    assert not closed.is_active and closed.deactivated_reason == REASON
    [entry] = journal("account.deactivated")
    assert entry.actor_id == personas["steering"].id
    assert entry.subject_type == "User" and entry.subject_id == str(target.id)
    assert entry.details["reason"] == REASON


def test_reactivation_restores_access_and_is_journaled(app: Flask, personas):
    steering = signed_in(app, personas["steering"])
    close_account(steering, personas["steering"], personas["company"])
    listing = page_text(steering.get("/pilotage/comptes?state=deactivated"))
    assert "membre@atelier-test.fr" in listing and "Réactiver le compte" in listing

    response = steering.post(f"/pilotage/comptes/{personas['company'].id}/reactiver",
                             data={"reason": "Revenu dans la structure"})
    assert response.status_code == 302
    company = signed_in(app, personas["company"])
    assert company.get("/structure/").status_code == 200
    [entry] = journal("account.reactivated")
    assert entry.details["reason"] == "Revenu dans la structure"


def test_the_steering_group_cannot_close_its_own_account(app: Flask, personas):
    steering = signed_in(app, personas["steering"])
    me = personas["steering"].id
    response = steering.post(f"/pilotage/comptes/{me}/desactiver", data={"reason": REASON})
    assert "votre propre compte" in page_text(response)
    assert db.session.get(User, me).is_active


def test_pupils_are_not_managed_on_the_accounts_page(app: Flask, personas):
    steering = signed_in(app, personas["steering"])
    pupil = personas["pupil"]
    assert steering.get(f"/pilotage/comptes/{pupil.id}/desactiver").status_code == 404
    assert "Lina" not in page_text(steering.get("/pilotage/comptes"))


def test_the_accounts_list_exports_as_csv(app: Flask, personas):
    steering = signed_in(app, personas["steering"])
    close_account(steering, personas["steering"], personas["teacher"])
    response = steering.get("/pilotage/comptes?format=csv")
    assert response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("id;role;nom;email")
    teacher_line = next(line for line in lines if "prof@test.fr" in line)
    assert ";desactive;" in teacher_line and "A quitté son poste en juin" in teacher_line
    assert not any("pupil" in line.split(";")[1] for line in lines[1:])


# A refused structure ----------------------------------------------------------------------

@pytest.mark.committing  # the partner API counts its rate limit on a connection of its own
def test_a_refused_structures_people_lose_pages_agreement_pdfs_and_api(app: Flask, personas):
    company = personas["company"].company
    campaign = make_campaign([first_school()])
    offer = make_offer(company)
    confirmed = assign(personas["pupil"].pupil, offer, "2027-W06", campaign,
                       state=AssignmentState.CONFIRMED)
    agreement = agreements.draft(None, confirmed)
    token = create_api_token(personas["steering"], company, "logiciel RH", None)
    db.session.commit()
    member = signed_in(app, personas["company"])
    tutor = signed_in(app, personas["tutor"])
    pdf = f"/structure/conventions/{agreement.id}/pdf"
    assert member.get(pdf).mimetype == "application/pdf"
    assert tutor.get("/tuteur/").status_code == 200
    api = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/api/v1/offers", headers=api).status_code == 200

    steering = signed_in(app, personas["steering"])
    response = steering.post(f"/pilotage/structures/{company.id}/refuser",
                             data={"reason": "Ne respecte pas la Charte", "confirm": "1"})
    assert response.status_code == 302
    assert db.session.get(type(company), company.id).state == CompanyState.REJECTED

    for path in (pdf, "/structure/", "/structure/conventions", "/structure/offres"):
        assert sends_to_sign_in(member.get(path)), path
    assert sends_to_sign_in(tutor.get("/tuteur/"))
    assert app.test_client().get("/api/v1/offers", headers=api).status_code == 403
    refused = app.test_client().post("/connexion", data={"email": "membre@atelier-test.fr",
                                                         "password": TEST_PASSWORD})
    assert refused.status_code == 200 and "n'est pas (ou plus) admise" in page_text(refused)


# Session limits ---------------------------------------------------------------------------

def test_an_idle_session_ends_after_the_idle_limit(app: Flask, personas):
    start = dt.datetime(2027, 1, 11, 8, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        teacher = signed_in(app, personas["teacher"])
        clock.move_to(start + dt.timedelta(minutes=119))
        assert teacher.get("/professeur/").status_code == 200  # still there: it counts again
        clock.move_to(start + dt.timedelta(minutes=119 + 119))
        assert teacher.get("/professeur/").status_code == 200
        clock.move_to(start + dt.timedelta(minutes=119 + 119 + 121))
        response = teacher.get("/professeur/")
        assert sends_to_sign_in(response)
        assert "Votre session a expiré" in page_text(teacher.get(response.headers["Location"]))


def test_an_active_session_still_ends_after_the_absolute_limit(app: Flask, personas):
    start = dt.datetime(2027, 1, 11, 7, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        steering = signed_in(app, personas["steering"])
        for hour in range(1, 12):  # a request every hour, never idle
            clock.move_to(start + dt.timedelta(hours=hour))
            assert steering.get("/pilotage/").status_code == 200, hour
        clock.move_to(start + dt.timedelta(hours=12, minutes=1))
        assert sends_to_sign_in(steering.get("/pilotage/"))


def test_the_limits_are_settings(app: Flask, personas):
    app.config["SESSION_IDLE_MINUTES"] = 5
    start = dt.datetime(2027, 1, 11, 8, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        teacher = signed_in(app, personas["teacher"])
        clock.move_to(start + dt.timedelta(minutes=6))
        assert sends_to_sign_in(teacher.get("/professeur/"))


# Observers ---------------------------------------------------------------------------------

def test_steering_invites_an_observer_who_chooses_a_password_and_reads_aggregates(
        app: Flask, personas):
    steering = signed_in(app, personas["steering"])
    response = steering.post("/pilotage/comptes/observateurs",
                             data={"display_name": "Mme Parent (FCPE)",
                                   "email": "parent@fcpe-test.fr"})
    assert response.status_code == 302
    message = db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.recipient == "parent@fcpe-test.fr"))
    assert message is not None and "compte d'observation" in message.body_text
    link = re.search(r"http://stagebourse.test(/mot-de-passe/\S+)", message.body_text).group(1)
    chosen = "une phrase de passe assez longue"
    observer = app.test_client()
    assert observer.post(link, data={"password": chosen, "confirm": chosen}).status_code == 302
    home = observer.post("/connexion", data={"email": "parent@fcpe-test.fr",
                                             "password": chosen}, follow_redirects=True)
    assert home.request.path == "/observation/"
    assert "Chiffres d'ensemble" in page_text(home)
    [entry] = journal("account.observer_invited")
    assert entry.actor_id == personas["steering"].id


def test_an_observer_sees_no_person_and_no_other_room(app: Flask, personas):
    campaign = make_campaign([first_school()])
    assign(personas["pupil"].pupil, make_offer(personas["company"].company), "2027-W05",
           campaign)
    observer = signed_in(app, make_user(Role.OBSERVER, "cci@cci-test.fr"))
    home = page_text(observer.get("/observation/"))
    assert "Chiffres d'ensemble" in home
    assert "Lina" not in home and "Essai" not in home  # the pupil's names
    for path in ("/pilotage/", "/pilotage/donnees-personnelles", "/pilotage/comptes",
                 "/professeur/", "/structure/", "/tuteur/", "/eleve/", "/offres/"):
        assert observer.get(path).status_code == 403, path


# A teacher not yet validated -------------------------------------------------------------

def test_a_teacher_not_yet_validated_sees_no_class_names_or_counts(app: Flask, personas):
    school = first_school()
    for first in ("Anna", "Bilal", "Chloé"):
        make_pupil(school, class_name="3-Zéphyr", first_name=first)
    pending = make_teacher("attente@test.fr", school, validated_at=None)
    client = signed_in(app, pending)
    home = page_text(client.get("/professeur/"))
    assert "attend la validation" in home
    assert "3-Zéphyr" not in home and "Élèves inscrits par classe" not in home
    board = client.get("/professeur/classes/3-Zéphyr")
    assert board.status_code in (403, 404) or "3-Zéphyr" not in page_text(board)
    # The same page, once the teacher is validated, does list the class (the test can fail).
    validated = signed_in(app, personas["teacher"])
    assert "3-Zéphyr" in page_text(validated.get("/professeur/"))
