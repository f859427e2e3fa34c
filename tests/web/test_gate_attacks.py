"""The front gate attacked from outside: demo credentials in production, guessing behind a
reverse proxy, the join-request mail relay, reset mail floods, account probing through
sign-in timing and sign-up answers, and hostile ``next=`` values.

Every attack goes through the real routes (and the real SMTP server for mail); time moves
with time_machine, never with sleeps.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
import time_machine
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from stagebourse.config import ConfigError
from stagebourse.extensions import db
from stagebourse.models import JoinRequest, OutboxMessage, Role, User
from stagebourse.services.accounts import set_access_code
from stagebourse.services.demo import DemoSize, seed_demo
from stagebourse.services.outbox import deliver_due
from stagebourse.web import create_app
from tests.factories import TEST_PASSWORD, first_school, make_company, make_pupil_user, make_user
from tests.fixtures.app import IsolatedClient, make_config
from tests.personas import login_as, page_text
from tests.smtp_server import LoopbackSmtp

# Throttles and quotas count by side writes, and the production app reads the database from
# connections of its own: every test commits for real.
pytestmark = pytest.mark.committing

PRODUCTION_KEY = "k" * 20 + "production-secret-0123456789"
TINY_DEMO = DemoSize(pupils_3e=12, pupils_2de=0, companies=3, offers=6, past_pupils_3e=0)
STEERING = {"email": "pilotage@test.fr", "password": TEST_PASSWORD}
WRONG = {"email": "pilotage@test.fr", "password": "not the password"}


def _from(address: str) -> dict[str, dict[str, str]]:
    return {"environ_base": {"REMOTE_ADDR": address}}


def _wait_seconds(page: str) -> int:
    """The wait the refusal announces, in seconds."""
    match = re.search(r"réessayez dans (\d+) (seconde|minute)", page)
    assert match, page
    return int(match.group(1)) * (60 if match.group(2) == "minute" else 1)


def _body(message: EmailMessage) -> str:
    return "\n".join(part.get_content() for part in message.walk()
                     if part.get_content_type() in ("text/plain", "text/html"))


# 1. Demo credentials never work in production ----------------------------------------------

@pytest.fixture
def production_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STAGEBOURSE_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", PRODUCTION_KEY)
    monkeypatch.setenv("PUBLIC_URL", "https://stages.example.fr")


def _production_app(app: Flask, tmp_path: Path) -> Flask:
    config = make_config(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path)
    config["SECRET_KEY"] = PRODUCTION_KEY
    return create_app(config)


def test_production_refuses_to_start_on_a_demo_seeded_database(app, tmp_path, production_env):
    seed_demo(today=dt.date(2026, 11, 28), size=TINY_DEMO, history=False)
    db.session.commit()
    with pytest.raises(ConfigError) as refusal:
        _production_app(app, tmp_path)
    message = str(refusal.value)
    assert "démonstration" in message and "DATABASE_URL" in message


def test_production_refuses_to_start_while_only_the_demo_pupil_code_is_left(
        app, tmp_path, production_env):
    pupil = make_pupil_user()
    set_access_code(pupil, "DEMO-ELEVE")
    db.session.commit()
    with pytest.raises(ConfigError):
        _production_app(app, tmp_path)


def test_production_starts_on_a_database_without_demo_data(app, tmp_path, production_env):
    make_user(Role.STEERING, "pilotage@agglo-valenciennes.fr")
    db.session.commit()
    production = _production_app(app, tmp_path)
    assert production.config["STAGEBOURSE_ENV"] == "production"
    with production.app_context():
        db.engine.dispose()


def test_demo_credentials_are_refused_at_sign_in_in_production(
        app, client, monkeypatch: pytest.MonkeyPatch):
    """Defence in depth: should demo rows appear after start-up, they still open nothing."""
    demo_steering = make_user(Role.STEERING, "pilotage@demo.stagebourse.fr")
    demo_steering.password_hash = PasswordHasher().hash("demo")  # the README's password
    pupil = make_pupil_user()
    set_access_code(pupil, "DEMO-ELEVE")
    db.session.commit()
    monkeypatch.setitem(app.config, "STAGEBOURSE_ENV", "production")
    response = client.post("/connexion", data={"email": "pilotage@demo.stagebourse.fr",
                                               "password": "demo"})
    assert response.status_code == 200
    assert "mot de passe incorrect" in page_text(response)
    assert client.get("/pilotage/").status_code == 302
    response = client.post("/connexion/eleve", data={"code": "DEMO-ELEVE"},
                           **_from("10.0.0.2"))
    assert response.status_code == 200 and "Ce code ne fonctionne pas" in page_text(response)
    assert client.get("/eleve/").status_code == 302


# 2. Guessing is slowed per address, never for everyone ------------------------------------

@pytest.fixture
def behind_one_proxy(app: Flask, tmp_path: Path) -> Iterator[Flask]:
    """The app as deployed behind one reverse proxy that appends the client's address."""
    config = make_config(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path)
    proxied = create_app({**config, "TRUSTED_PROXIES": 1})
    proxied.test_client_class = IsolatedClient
    yield proxied
    with proxied.app_context():
        db.session.remove()
        db.engine.dispose()


def _via_proxy(client_address: str) -> dict[str, object]:
    # The proxy itself is 127.0.0.1; it adds the address it saw.
    return {"headers": {"X-Forwarded-For": client_address},
            "environ_base": {"REMOTE_ADDR": "127.0.0.1"}}


def test_bad_codes_from_one_client_behind_the_proxy_do_not_stop_another(
        personas, behind_one_proxy: Flask):
    attacker = behind_one_proxy.test_client()
    for index in range(10):
        attacker.post("/connexion/eleve", data={"code": f"WRNG-CODE-{index:04d}"},
                      **_via_proxy("203.0.113.7"))
    # The attacker is slowed, even when forging an X-Forwarded-For entry of its own.
    refused = attacker.post("/connexion/eleve", data={"code": "TEST-CODE-0001"},
                            **_via_proxy("198.51.100.99, 203.0.113.7"))
    assert "Trop de tentatives" in page_text(refused)
    # Everyone else behind the same proxy signs in at once.
    teacher = behind_one_proxy.test_client()
    response = teacher.post("/connexion", data={"email": "prof@test.fr",
                                                "password": TEST_PASSWORD},
                            **_via_proxy("198.51.100.20"))
    assert response.status_code == 302
    pupil = behind_one_proxy.test_client()
    response = pupil.post("/connexion/eleve", data={"code": "TEST-CODE-0001"},
                          **_via_proxy("198.51.100.21"))
    assert response.status_code == 302


def test_bad_passwords_from_ten_addresses_do_not_lock_the_account_owner_out(
        client: FlaskClient, personas):
    for index in range(10):
        response = client.post("/connexion", data=WRONG, **_from(f"192.0.2.{index + 1}"))
        assert response.status_code == 200
    response = client.post("/connexion", data=STEERING, **_from("198.51.100.1"))
    assert response.status_code == 302 and response.location.endswith("/pilotage/")


def test_the_wait_grows_after_each_failure_and_the_right_password_then_works(
        client: FlaskClient, personas):
    start = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        for _ in range(3):
            page = page_text(client.post("/connexion", data=WRONG))
            assert "mot de passe incorrect" in page  # typos: answered, not yet slowed
        # Even the right password waits now, from this address, and is told how long.
        first_wait = _wait_seconds(page_text(client.post("/connexion", data=STEERING)))
        assert 1 <= first_wait <= 60
        traveller.shift(first_wait)  # waiting as long as announced is enough
        assert "mot de passe incorrect" in page_text(client.post("/connexion", data=WRONG))
        second_wait = _wait_seconds(page_text(client.post("/connexion", data=STEERING)))
        assert second_wait > first_wait
        traveller.shift(second_wait)
        assert "mot de passe incorrect" in page_text(client.post("/connexion", data=WRONG))
        third_wait = _wait_seconds(page_text(client.post("/connexion", data=STEERING)))
        assert third_wait > second_wait
        assert third_wait <= 15 * 60  # the cap
        traveller.shift(third_wait)
        response = client.post("/connexion", data=STEERING)
        assert response.status_code == 302


def test_unknown_api_tokens_slow_down_their_address_only(app, client: FlaskClient, personas):
    for _ in range(6):
        client.get("/api/v1/offers", headers={"Authorization": "Bearer sb_guess"},
                   **_from("203.0.113.9"))
    slowed = client.get("/api/v1/offers", headers={"Authorization": "Bearer sb_guess"},
                        **_from("203.0.113.9"))
    assert slowed.status_code == 429 and int(slowed.headers["Retry-After"]) > 0
    other = client.get("/api/v1/offers", headers={"Authorization": "Bearer sb_guess"},
                       **_from("198.51.100.5"))
    assert other.status_code == 401


# 3. No anonymous mail relay --------------------------------------------------------------

ATTACKER_NAME = "Service Juridique URGENT"
ATTACKER_TEXT = "Votre compte sera clos : payez sur https://evil.example/pay"


def _join(client: FlaskClient, siret: str, address: str, index: int = 0) -> object:
    return client.post("/structures/rejoindre", data={
        "siret": siret, "name": ATTACKER_NAME, "email": f"x{index}@evil.example",
        "message": ATTACKER_TEXT}, **_from(address))


def test_join_request_mail_carries_none_of_the_requester_words(
        app, client: FlaskClient, smtp_server: LoopbackSmtp):
    company = make_company()
    member = make_user(Role.COMPANY, "membre@atelier-test.fr", company=company)
    db.session.commit()
    response = _join(client, company.siret, "203.0.113.50")
    assert response.status_code == 302
    deliver_due("test")
    [message] = smtp_server.received_by("membre@atelier-test.fr")
    whole = str(message["Subject"]) + "\n" + _body(message)
    for words in (ATTACKER_NAME, "URGENT", "evil.example", "payez", "x0@"):
        assert words not in whole
    # The request waits in the app, for the members only.
    member_client = app.test_client()
    login_as(member_client, member)
    page = page_text(member_client.get("/structure/membres"))
    assert ATTACKER_NAME in page and ATTACKER_TEXT in page


def test_join_requests_are_capped_per_address_and_per_structure_whatever_the_address(
        app, client: FlaskClient, smtp_server: LoopbackSmtp, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(app.config, "JOIN_REQUESTS_PER_ADDRESS_PER_DAY", 2)
    monkeypatch.setitem(app.config, "JOIN_REQUESTS_PER_COMPANY_PER_DAY", 4)
    company = make_company()
    make_user(Role.COMPANY, "membre@atelier-test.fr", company=company)
    make_user(Role.COMPANY, "autre@atelier-test.fr", company=company,
              display_name="Autre Membre")
    db.session.commit()
    same = [_join(client, company.siret, "203.0.113.60", n) for n in range(3)]
    assert [r.status_code for r in same] == [302, 302, 200]
    varied = [_join(client, company.siret, f"198.51.100.{n + 1}", 10 + n) for n in range(6)]
    assert [r.status_code for r in varied] == [302, 302, 200, 200, 200, 200]
    assert db.session.scalar(select(func.count()).select_from(JoinRequest)) == 4
    deliver_due("test")
    # However many requests came, each member heard once today.
    assert len(smtp_server.received_by("membre@atelier-test.fr")) == 1
    assert len(smtp_server.received_by("autre@atelier-test.fr")) == 1


def test_reset_mail_is_capped_per_account_and_per_address(
        app, client: FlaskClient, personas, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(app.config, "RESET_MAILS_PER_ACCOUNT_PER_DAY", 2)
    monkeypatch.setitem(app.config, "RESET_REQUESTS_PER_ADDRESS_PER_DAY", 3)
    with time_machine.travel(dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC),
                             tick=False) as traveller:
        for n in range(8):  # a new address each time, a minute apart
            response = client.post("/mot-de-passe-oublie",
                                   data={"email": "pilotage@test.fr"},
                                   **_from(f"192.0.2.{n + 1}"))
            assert response.status_code == 302
            traveller.shift(60)
    sent = db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.recipient == "pilotage@test.fr",
        OutboxMessage.template == "password_reset"))
    assert sent == 2
    answers = [client.post("/mot-de-passe-oublie", data={"email": f"n{n}@test.fr"},
                           **_from("203.0.113.70")) for n in range(4)]
    assert [r.status_code for r in answers] == [302, 302, 302, 200]
    assert "Trop de demandes" in page_text(answers[-1])


# 4. No account probing -------------------------------------------------------------------

@pytest.fixture
def argon2_calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Counts the argon2 work done (the library's own methods, still doing the work)."""
    calls = {"verify": 0, "hash": 0}
    verify, hash_ = PasswordHasher.verify, PasswordHasher.hash

    def counting_verify(self, *args, **kwargs):
        calls["verify"] += 1
        return verify(self, *args, **kwargs)

    def counting_hash(self, *args, **kwargs):
        calls["hash"] += 1
        return hash_(self, *args, **kwargs)

    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)
    monkeypatch.setattr(PasswordHasher, "hash", counting_hash)
    return calls


def test_sign_in_spends_one_argon2_verification_whether_or_not_the_account_exists(
        client: FlaskClient, personas, argon2_calls: dict[str, int]):
    client.post("/connexion", data={"email": "nobody@test.fr", "password": "guess"},
                **_from("192.0.2.80"))  # warms any one-time setup
    work = {}
    for email in ("pilotage@test.fr", "personne@test.fr"):
        before = dict(argon2_calls)
        response = client.post("/connexion", data={"email": email, "password": "guess"},
                               **_from("192.0.2.81"))
        assert "mot de passe incorrect" in page_text(response)
        work[email] = (argon2_calls["verify"] - before["verify"],
                       argon2_calls["hash"] - before["hash"])
    assert work["pilotage@test.fr"] == work["personne@test.fr"] == (1, 0)


def _teacher_sign_up(client: FlaskClient, email: str, school_id: int) -> object:
    return client.post("/inscription/professeur", data={
        "display_name": "Nina Nouvelle", "email": email, "school_id": str(school_id),
        "password": "un long mot de passe", "confirm": "un long mot de passe"})


def _same_answer(first, second) -> None:
    assert first.status_code == second.status_code == 302
    assert first.location == second.location
    assert "Set-Cookie" not in first.headers or "remember" not in first.headers["Set-Cookie"]


def test_teacher_sign_up_answers_the_same_for_a_taken_address_and_mails_its_owner(
        app, personas, argon2_calls: dict[str, int]):
    school = first_school(index=2)
    new, taken = app.test_client(), app.test_client()
    before = argon2_calls["hash"]
    fresh = _teacher_sign_up(new, "nina@college-test.fr", school.id)
    work_new = argon2_calls["hash"] - before
    before = argon2_calls["hash"]
    existing = _teacher_sign_up(taken, "pilotage@test.fr", school.id)
    work_taken = argon2_calls["hash"] - before
    _same_answer(fresh, existing)
    assert page_text(new.get(fresh.location)) == page_text(taken.get(existing.location))
    assert work_new == work_taken == 1
    owner_mail = db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.recipient == "pilotage@test.fr", OutboxMessage.template == "account_exists"))
    assert owner_mail is not None
    assert db.session.scalar(select(func.count()).select_from(User).where(
        User.email == "pilotage@test.fr")) == 1


COMPANY = {"name": "Garage du Hainaut", "kind": "company", "address": "5 avenue de Denain",
           "postcode": "59300", "commune_code": "59606", "contact_name": "Sam Garage",
           "display_name": "Sam Garage", "password": "un mot de passe solide",
           "confirm": "un mot de passe solide"}


def test_company_sign_up_answers_the_same_for_a_taken_address(app, personas):
    new, taken = app.test_client(), app.test_client()
    fresh = new.post("/structures/inscription", data={
        **COMPANY, "siret": "55210055400013", "email": "sam@garage-hainaut.fr"})
    existing = taken.post("/structures/inscription", data={
        **COMPANY, "siret": "55210056200016", "email": "prof@test.fr"})
    _same_answer(fresh, existing)
    assert page_text(new.get(fresh.location)) == page_text(taken.get(existing.location))
    # Neither is signed in by the answer: the newcomer signs in from the mail's link.
    assert new.get("/structure/").status_code == 302
    assert db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.recipient == "prof@test.fr",
        OutboxMessage.template == "account_exists")) is not None
    assert db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.recipient == "sam@garage-hainaut.fr",
        OutboxMessage.template == "company_signed_up")) is not None
    assert db.session.scalar(select(User.role).where(User.email == "prof@test.fr")) \
        == Role.TEACHER


# 5. Hostile next= -----------------------------------------------------------------------

@pytest.mark.parametrize("target", [
    "/pilotage/\r\nSet-Cookie: stolen=1", "/%0d%0aSet-Cookie:%20x=1", "\r\n/pilotage/",
    "/\\evil.example", "\\\\evil.example/", "http:/\\evil.example", "/pilotage/\x7f",
])
def test_odd_next_gives_a_safe_redirect_never_a_500(client: FlaskClient, personas, target):
    shown = client.get("/connexion", query_string={"next": target})
    assert shown.status_code == 200
    response = client.post("/connexion", data={**STEERING, "next": target})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "\r" not in location and "\n" not in location and "evil" not in location
    assert "stolen" not in response.headers.get("Set-Cookie", "")
