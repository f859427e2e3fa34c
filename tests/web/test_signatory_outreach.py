"""Reaching the Charter signatories not registered yet: the list's unmatched rows become
prospects, the steering group invites them once (real SMTP through the outbox), the worker
reminds them once, the personal link pre-fills the sign-up form or says « pas intéressé »,
and a decline is final, even after the list is imported again. Time moves with time_machine."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from stagebourse.cli.worker import _periodic_jobs
from stagebourse.extensions import db
from stagebourse.models import CharterProspect, Company, OutboxMessage, Role, User
from stagebourse.services.outbox import deliver_due
from stagebourse.services.outreach import send_signatory_reminders
from tests.factories import TEST_PASSWORD, VALENCIENNES, make_company
from tests.personas import login_as, page_text
from tests.smtp_server import LoopbackSmtp

# Outbox delivery and sign-in limits write on their own connection: these tests commit.
pytestmark = [pytest.mark.database, pytest.mark.committing]

BAKERY = "contact@boulangerie-nord.fr"
GARAGE = "garage@garage-central.fr"
SIGNATORIES = (
    "nom;siret;email\n"
    "Atelier Test;73282932000074;autre@atelier-test.fr\n"  # registered by the personas
    f"Boulangerie du Nord;443 061 841 00047;{BAKERY}\n"
    f"Garage Central;55203253400646;{GARAGE}\n"
    "Fleuriste Sans Adresse;;\n"
)
START = dt.datetime(2027, 1, 11, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def steering(app: Flask, personas: dict[str, User]) -> FlaskClient:
    client = app.test_client()
    login_as(client, personas["steering"])
    return client


def import_list(client: FlaskClient, text: str = SIGNATORIES) -> str:
    response = client.post("/pilotage/charte/import", data={
        "file": (io.BytesIO(text.encode()), "signataires.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 200
    return page_text(response)


def invite(client: FlaskClient) -> None:
    first = client.post("/pilotage/signataires/inviter", data={})
    assert first.status_code == 200 and "Oui, envoyer les invitations" in page_text(first)
    done = client.post("/pilotage/signataires/inviter", data={"confirm": "1"})
    assert done.status_code == 302


def prospect(name: str) -> CharterProspect:
    return db.session.scalars(select(CharterProspect).where(CharterProspect.name == name)).one()


def links(mail_text: str) -> tuple[str, str]:
    """(sign-up link, decline link) of a mail, as paths."""
    sign_up = re.search(r"https?://\S+/structures/inscription\?invitation=(\S+)", mail_text)
    decline = re.search(r"https?://\S+(/structures/signataire/\S+)", mail_text)
    assert sign_up and decline, mail_text
    return f"/structures/inscription?invitation={sign_up.group(1)}", decline.group(1)


def mail_text(smtp: LoopbackSmtp, address: str) -> str:
    [mail] = smtp.received_by(address)
    return str(mail.get_body(("plain",)).get_content())


def outbox_to(address: str) -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.recipient == address)) or 0


def test_the_import_keeps_only_unregistered_signatories_as_prospects(steering: FlaskClient):
    text = import_list(steering)
    assert "3 nouvelle(s) structure(s) à inviter" in text
    assert "Fleuriste Sans Adresse" in text  # listed as « sans adresse »
    rows = db.session.scalars(select(CharterProspect).order_by(CharterProspect.name)).all()
    assert [(p.name, p.siret, p.email) for p in rows] == [
        ("Boulangerie du Nord", "44306184100047", BAKERY),
        ("Fleuriste Sans Adresse", None, None),
        ("Garage Central", "55203253400646", GARAGE)]
    page = page_text(steering.get("/pilotage/signataires"))
    assert "Sans adresse (ne peuvent pas être invitées) : 1" in page
    assert "À inviter : 2" in page
    # Nothing is sent by an import.
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_invitations_go_once_by_smtp_with_a_link_that_prefills_the_sign_up(
        app: Flask, steering: FlaskClient, smtp_server: LoopbackSmtp):
    import_list(steering)
    # The first post only asks: nothing queued.
    steering.post("/pilotage/signataires/inviter", data={})
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    invite(steering)
    assert deliver_due("test").sent == 2
    text = mail_text(smtp_server, BAKERY)
    assert "Boulangerie du Nord" in text and "Charte de la diversité" in text
    sign_up, decline = links(text)
    token = sign_up.split("=", 1)[1]
    stored = prospect("Boulangerie du Nord")
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in (stored.token_hash or "")
    # Invited again (and the list imported again): nobody gets a second invitation.
    import_list(steering)
    invite(steering)
    assert deliver_due("test").sent == 0
    assert outbox_to(BAKERY) == 1 and outbox_to(GARAGE) == 1

    form = page_text(app.test_client().get(sign_up))
    assert 'value="Boulangerie du Nord"' in form
    assert 'value="44306184100047"' in form
    assert f'value="{BAKERY}"' in form
    page = page_text(steering.get("/pilotage/signataires"))
    assert "Invitées : 2" in page


def sign_up_through(client: FlaskClient, path: str, siret: str, email: str) -> None:
    token = path.split("=", 1)[1]
    response = client.post("/structures/inscription", data={
        "siret": siret, "name": "Boulangerie du Nord", "kind": "company",
        "address": "2 rue du Four", "postcode": "59300", "commune_code": VALENCIENNES,
        "contact_name": "Paule Pain", "display_name": "Paule Pain", "email": email,
        "password": TEST_PASSWORD, "confirm": TEST_PASSWORD, "invitation": token})
    assert response.status_code == 302, page_text(response)


def test_signing_up_through_the_link_marks_the_prospect_joined(
        app: Flask, steering: FlaskClient, smtp_server: LoopbackSmtp):
    import_list(steering)
    invite(steering)
    deliver_due("test")
    sign_up, _decline = links(mail_text(smtp_server, BAKERY))
    sign_up_through(app.test_client(), sign_up, "44306184100047", BAKERY)
    company = db.session.scalars(select(Company).where(Company.siret == "44306184100047")).one()
    joined = prospect("Boulangerie du Nord")
    assert joined.joined_at is not None and joined.company_id == company.id
    assert joined.token_hash is None  # the link served its purpose
    page = page_text(steering.get("/pilotage/signataires"))
    assert "Inscrites : 1" in page


def test_not_interested_is_final_even_after_a_reimport_an_invite_and_a_reminder(
        app: Flask, personas: dict[str, User], smtp_server: LoopbackSmtp):
    with time_machine.travel(START, tick=False) as clock:
        steering = app.test_client()  # signed in at the travelled time (sessions expire)
        login_as(steering, personas["steering"])
        import_list(steering)
        invite(steering)
        deliver_due("test")
        _sign_up, decline = links(mail_text(smtp_server, BAKERY))
        visitor = app.test_client()
        page = visitor.get(decline)
        assert page.status_code == 200 and "Pas intéressé" in page_text(page)
        assert prospect("Boulangerie du Nord").declined_at is None  # a GET writes nothing
        done = visitor.post(decline, data={})
        assert done.status_code == 200 and "nous n'écrirons plus" in page_text(done)
        assert prospect("Boulangerie du Nord").declined_at is not None
        # The link is dead.
        dead = visitor.get(decline)
        assert dead.status_code == 404 and "plus" in page_text(dead)
        smtp_server.clear()

        clock.move_to(START + dt.timedelta(days=30))
        login_as(steering, personas["steering"])
        import_list(steering)  # the same list again, the address included
        invite(steering)
        assert send_signatory_reminders() == 1  # the garage only
        db.session.commit()  # as the worker's unit of work does
        deliver_due("test")
        assert smtp_server.received_by(BAKERY) == []
        assert len(smtp_server.received_by(GARAGE)) == 1
        assert outbox_to(BAKERY) == 1
        assert db.session.scalar(select(func.count()).select_from(CharterProspect)
                                 .where(CharterProspect.name == "Boulangerie du Nord")) == 1
        page = page_text(steering.get("/pilotage/signataires"))
        assert "Pas intéressées : 1" in page


def test_one_reminder_after_the_setting_not_to_those_who_joined(
        app: Flask, personas: dict[str, User], smtp_server: LoopbackSmtp):
    app.config["SIGNATORY_REMINDER_DAYS"] = 14
    assert "relances signataires de la Charte" in [name for name, _e, _j in _periodic_jobs()]
    with time_machine.travel(START, tick=False) as clock:
        steering = app.test_client()
        login_as(steering, personas["steering"])
        import_list(steering)
        invite(steering)
        deliver_due("test")
        smtp_server.clear()
        # The garage registers by itself (no link): same SIRET, so it has joined.
        make_company(siret="55203253400646", name="SARL Garage Central",
                     contact_email="autre@garage-central.fr")
        clock.move_to(START + dt.timedelta(days=13, hours=23))
        assert send_signatory_reminders() == 0
        clock.move_to(START + dt.timedelta(days=14, hours=1))
        assert send_signatory_reminders() == 1
        assert send_signatory_reminders() == 0
        clock.move_to(START + dt.timedelta(days=40))
        assert send_signatory_reminders() == 0
        db.session.commit()  # as the worker's unit of work does
        assert deliver_due("test").sent == 1
        text = mail_text(smtp_server, BAKERY)
        assert "Rappel" in str(smtp_server.received_by(BAKERY)[0]["Subject"])
        assert smtp_server.received_by(GARAGE) == []
        # The reminder's own link works.
        sign_up, _decline = links(text)
        assert 'value="Boulangerie du Nord"' in page_text(app.test_client().get(sign_up))
        login_as(steering, personas["steering"])
        page = page_text(steering.get("/pilotage/signataires"))
        assert "Relancées : 1" in page and "Inscrites : 1" in page


def test_unknown_and_expired_links_answer_with_a_clear_page(
        app: Flask, personas: dict[str, User], smtp_server: LoopbackSmtp):
    visitor = app.test_client()
    unknown = visitor.get("/structures/signataire/nimporte-quoi")
    assert unknown.status_code == 404 and "n'est pas (ou plus) valable" in page_text(unknown)
    assert visitor.post("/structures/signataire/nimporte-quoi", data={}).status_code == 404
    with time_machine.travel(START, tick=False) as clock:
        steering = app.test_client()
        login_as(steering, personas["steering"])
        import_list(steering)
        invite(steering)
        deliver_due("test")
        sign_up, decline = links(mail_text(smtp_server, GARAGE))
        clock.move_to(START + dt.timedelta(days=61))
        expired = visitor.get(decline)
        assert expired.status_code == 404 and "a expiré" in page_text(expired)
        form = visitor.get(sign_up)
        assert form.status_code == 200
        text = page_text(form)
        assert "a expiré" in text and 'value="Garage Central"' not in text
        assert prospect("Garage Central").declined_at is None


def test_only_the_steering_group_reaches_the_signatories(
        app: Flask, personas: dict[str, User], steering: FlaskClient):
    for role in ("company", "teacher", "tutor"):
        client = app.test_client()
        login_as(client, personas[role])
        assert client.get("/pilotage/signataires").status_code == 403
        assert client.post("/pilotage/signataires/inviter",
                           data={"confirm": "1"}).status_code == 403
    anonymous = app.test_client().get("/pilotage/signataires")
    assert anonymous.status_code == 302
    assert personas["steering"].role == Role.STEERING


def test_the_list_exports_as_csv(steering: FlaskClient, smtp_server: LoopbackSmtp):
    import_list(steering)
    invite(steering)
    response = steering.get("/pilotage/signataires?format=csv")
    assert response.status_code == 200 and "text/csv" in response.content_type
    lines = response.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0] == ("nom;siret;email;etat;invitee_le;relancee_le;inscrite_le;"
                        "pas_interessee_le")
    rows = {line.split(";")[0]: line.split(";") for line in lines[1:]}
    assert set(rows) == {"Boulangerie du Nord", "Fleuriste Sans Adresse", "Garage Central"}
    assert rows["Fleuriste Sans Adresse"][3] == "sans adresse"
    assert rows["Garage Central"][3] == "invitée" and rows["Garage Central"][4]
