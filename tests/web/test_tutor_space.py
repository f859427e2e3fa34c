"""Tutors for real: a structure names the tutor of an offer, the tutor receives a personal link
by e-mail, signs in with it, reads and acknowledges the materials, and sees their intern only
once the placement is confirmed. The link expires, and the structure or the steering group can
cut it: the link then opens nothing, and the sessions it opened end."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import (
    AssignmentState,
    CampaignState,
    MaterialAcknowledgement,
    Role,
    Tutor,
    TutorLink,
)
from stagebourse.services.materials import load_materials
from stagebourse.services.outbox import deliver_due
from stagebourse.services.preparation import make_token
from tests.factories import (
    WEEK_A,
    assign,
    first_school,
    make_campaign,
    make_company,
    make_offer,
    make_pupil_user,
    make_user,
)
from tests.personas import login_as, page_text
from tests.smtp_server import LoopbackSmtp

pytestmark = pytest.mark.database

TUTOR_EMAIL = "jeanne.tutrice@atelier-test.fr"
LINK_RE = re.compile(r"http://stagebourse\.test(/acces-tuteur/[A-Za-z0-9_-]+)")


@pytest.fixture
def host(app: Flask):
    """A structure with one member and one offer in an open campaign; the tutor materials."""
    campaign = make_campaign([first_school()], state=CampaignState.OPEN)
    company = make_company()
    member = make_user(Role.COMPANY, "membre@atelier-test.fr", company=company)
    offer = make_offer(company, title="Atelier de menuiserie")
    load_materials()
    db.session.commit()
    return {"campaign": campaign, "company": company, "member": member, "offer": offer}


def name_tutor(client: FlaskClient, host) -> None:
    login_as(client, host["member"])
    response = client.post("/structure/tuteurs", data={
        "offer": str(host["offer"].id), "full_name": "Jeanne Tutrice",
        "job_title": "Cheffe d'atelier", "email": TUTOR_EMAIL}, follow_redirects=True)
    assert response.status_code == 200, page_text(response)
    assert "Un lien de connexion personnel lui est envoyé" in page_text(response)
    db.session.commit()


def mailed_link(smtp_server: LoopbackSmtp) -> str:
    assert deliver_due("test").sent >= 1
    [mail] = smtp_server.received_by(TUTOR_EMAIL)
    text = mail.get_body(("plain",)).get_content()
    assert "Jeanne Tutrice" in text and "Atelier Test" in text
    found = LINK_RE.search(text)
    assert found is not None, text
    return found.group(1)


def issued_link(client: FlaskClient, host) -> str:
    """Name the tutor and read the link from the outbox (no SMTP round trip)."""
    from stagebourse.models import OutboxMessage

    name_tutor(client, host)
    body = db.session.scalars(select(OutboxMessage.body_text).where(
        OutboxMessage.recipient == TUTOR_EMAIL)).one()
    found = LINK_RE.search(body)
    assert found is not None
    return found.group(1)


def tutor() -> Tutor:
    return db.session.scalars(select(Tutor).where(Tutor.email == TUTOR_EMAIL)).one()


@pytest.mark.committing  # the worker's side writes (outbox claims)
def test_named_tutor_signs_in_by_mail_reads_acknowledges_and_sees_interns_once_confirmed(
        app: Flask, host, smtp_server: LoopbackSmtp):
    name_tutor(app.test_client(), host)
    path = mailed_link(smtp_server)
    token = path.rsplit("/", 1)[1]
    # Only a hash of the token is kept, nowhere the token itself.
    [link] = db.session.scalars(select(TutorLink)).all()
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr([link.token_hash, link.id, link.tutor_id])
    assert host["offer"].tutor.email == TUTOR_EMAIL

    client = app.test_client()
    response = client.get(path)
    assert response.status_code == 302 and response.headers["Location"].endswith("/tuteur/")
    home = page_text(client.get("/tuteur/"))
    assert "Bonjour Jeanne Tutrice" in home and "Atelier de menuiserie" in home
    assert "Vous êtes tuteur ou tutrice" in home
    assert "Aucun stage n'est encore confirmé pour vous" in home

    documents = page_text(client.get("/tuteur/documents"))
    assert "Accueillir un ou une stagiaire sans discriminer" in documents
    assert "J'ai lu ces documents" in documents
    response = client.post("/tuteur/documents", data={}, follow_redirects=True)
    assert "Votre lecture est enregistrée" in page_text(response)
    acknowledged = db.session.scalars(select(MaterialAcknowledgement).where(
        MaterialAcknowledgement.tutor_id == tutor().id)).all()
    assert acknowledged and {a.campaign_id for a in acknowledged} == {host["campaign"].id}
    assert "Vous avez confirmé avoir lu ces documents" in page_text(
        client.get("/tuteur/documents"))

    # A proposal the pupil and the structure have not both confirmed: the tutor sees nobody.
    pupil = make_pupil_user(first_name="Yasmine", last_name="Belkacem").pupil
    assignment = assign(pupil, host["offer"], WEEK_A, host["campaign"],
                        state=AssignmentState.PUBLISHED)
    db.session.commit()
    assert "Belkacem" not in page_text(client.get("/tuteur/"))
    assignment.state = AssignmentState.CONFIRMED
    db.session.commit()
    home = page_text(client.get("/tuteur/"))
    # The week in words (2027-W05 is the week of Monday 1 February 2027), not its ISO code.
    assert "Yasmine Belkacem" in home and "semaine du lundi 1er février 2027" in home


def test_expired_link_is_refused_and_ends_its_session(app: Flask, host):
    days = app.config["TUTOR_LINK_DAYS"]
    # Only the link's expiry may end this session here, not the session limits.
    app.config["SESSION_IDLE_MINUTES"] = 60 * 24 * 365
    app.config["SESSION_LIFETIME_HOURS"] = 24 * 365
    app.config["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(days=365)
    path = issued_link(app.test_client(), host)
    client = app.test_client()
    assert client.get(path).status_code == 302
    assert client.get("/tuteur/").status_code == 200
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=days, hours=1)):
        response = client.get("/tuteur/")
        assert response.status_code == 403
        assert "votre session est fermée" in page_text(response)
        response = app.test_client().get(path)
        assert response.status_code == 410
        assert "Ce lien a expiré" in page_text(response)


def test_forged_link_is_refused(app: Flask, host):
    issued_link(app.test_client(), host)
    response = app.test_client().get("/acces-tuteur/" + "A" * 43)
    assert response.status_code == 400
    assert "Ce lien n'est pas valide" in page_text(response)


@pytest.mark.parametrize("who", ["host", "steering"])
def test_revoked_link_opens_nothing_and_ends_the_sessions_it_opened(app: Flask, host, who):
    path = issued_link(app.test_client(), host)
    tutor_client = app.test_client()
    tutor_client.get(path)
    assert tutor_client.get("/tuteur/").status_code == 200
    # The preparation link a published round mails the same tutor, made before the revocation.
    preparation_link = f"/preparation/{make_token(tutor(), host['campaign'])}"
    assert app.test_client().get(preparation_link).status_code == 200

    revoker = app.test_client()
    if who == "host":
        login_as(revoker, host["member"])
        url = f"/structure/tuteurs/{tutor().id}/revoquer"
    else:
        login_as(revoker, make_user(Role.STEERING, "pilotage@test.fr"))
        assert "Jeanne Tutrice" in page_text(revoker.get("/pilotage/tuteurs"))
        url = f"/pilotage/tuteurs/{tutor().id}/revoquer"
    response = revoker.post(url, data={}, follow_redirects=True)
    assert "L'accès de Jeanne Tutrice est coupé" in page_text(response)
    db.session.commit()

    response = tutor_client.get("/tuteur/")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]
    response = app.test_client().get(path)
    assert response.status_code == 403
    text = page_text(response)
    assert "Ce lien a été désactivé" in text and "demandez un nouveau lien" in text
    assert "Jeanne" not in text
    response = app.test_client().get(preparation_link)
    assert response.status_code == 403 and "a été désactivé" in page_text(response)


def test_another_structure_cannot_see_or_revoke_the_tutor(app: Flask, host):
    path = issued_link(app.test_client(), host)
    other = make_user(Role.COMPANY, "membre@autre-test.fr",
                      company=make_company(siret="44306184100047", name="Autre Atelier"))
    client = app.test_client()
    login_as(client, other)
    assert "Jeanne" not in page_text(client.get("/structure/tuteurs"))
    assert client.post(f"/structure/tuteurs/{tutor().id}/revoquer").status_code == 404
    tutor_client = app.test_client()
    assert tutor_client.get(path).status_code == 302
    assert tutor_client.get("/tuteur/").status_code == 200


@pytest.mark.committing  # the reset request is counted by the throttle on a connection of its own
def test_a_link_made_tutor_cannot_get_a_password_around_revocation(app: Flask, host):
    from stagebourse.models import OutboxMessage

    path = issued_link(app.test_client(), host)
    app.test_client().get(path)  # the account exists from the first use
    db.session.commit()
    response = app.test_client().post("/mot-de-passe-oublie", data={"email": TUTOR_EMAIL})
    assert response.status_code == 302
    assert db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.template == "password_reset")).all() == []
