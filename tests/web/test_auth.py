"""Sign-in, sign-out, throttling, CSRF and password reset, through the real routes."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import OutboxMessage, User
from tests.factories import TEST_PASSWORD, make_pupil_user
from tests.personas import login_as, page_text

pytestmark = pytest.mark.committing  # failed sign-ins are counted by side writes

HOMES = {
    "steering": ("/pilotage/", "Tableau de bord du groupe de pilotage"),
    "teacher": ("/professeur/", "Mes classes"),
    "company": ("/structure/", "Atelier Test"),
    "tutor": ("/tuteur/", "Espace tuteur"),
    "pupil": ("/eleve/", "Bonjour Lina"),
}


@pytest.mark.parametrize("role", sorted(HOMES))
def test_each_role_lands_on_its_own_french_home(client: FlaskClient, personas, role: str):
    login_as(client, personas[role])
    response = client.get("/", follow_redirects=True)
    path, heading = HOMES[role]
    assert response.request.path == path
    page = page_text(response)
    assert heading in page
    assert '<html lang="fr">' in page


def test_each_pupil_signed_in_sees_their_own_page(app: Flask, personas):
    """login_as signs in the pupil it is given, with the code that pupil received."""
    other = make_pupil_user(first_name="Yanis", last_name="Autre")
    lina_client, yanis_client = app.test_client(), app.test_client()
    login_as(lina_client, personas["pupil"])
    login_as(yanis_client, other)
    lina_home = page_text(lina_client.get("/eleve/"))
    yanis_home = page_text(yanis_client.get("/eleve/"))
    assert "Bonjour Lina" in lina_home and "Yanis" not in lina_home
    assert "Bonjour Yanis" in yanis_home and "Lina" not in yanis_home


@pytest.mark.parametrize("role", sorted(HOMES))
def test_other_roles_pages_are_forbidden(client: FlaskClient, personas, role: str):
    login_as(client, personas[role])
    for other, (path, _) in HOMES.items():
        if other != role:
            assert client.get(path).status_code == 403, (role, path)


def test_anonymous_visitor_is_sent_to_sign_in_with_next(client: FlaskClient, personas):
    response = client.get("/pilotage/")
    assert response.status_code == 302
    assert "/connexion?next=/pilotage/" in response.headers["Location"]


def test_sign_in_follows_next_only_within_the_site(client: FlaskClient, personas):
    data = {"email": "pilotage@test.fr", "password": TEST_PASSWORD}
    response = client.post("/connexion", data={**data, "next": "https://evil.example/"})
    assert response.headers["Location"].endswith("/pilotage/")
    client.post("/deconnexion")
    response = client.post("/connexion", data={**data, "next": "/pilotage/"})
    assert response.headers["Location"].endswith("/pilotage/")


def test_wrong_password_is_refused_in_french_and_email_is_kept(client: FlaskClient, personas):
    response = client.post("/connexion", data={"email": "pilotage@test.fr", "password": "nope"})
    page = page_text(response)
    assert response.status_code == 200
    assert "Adresse e-mail ou mot de passe incorrect" in page
    assert 'value="pilotage@test.fr"' in page


def test_unknown_pupil_code_is_refused_kindly(client: FlaskClient, personas):
    response = client.post("/connexion/eleve", data={"code": "ABCD-EFGH-JKLM"})
    page = page_text(response)
    assert response.status_code == 200
    assert "Ce code ne fonctionne pas" in page
    assert "demande un nouveau code à ton professeur" in page


def test_pupil_code_ignores_case_and_dashes(client: FlaskClient, personas):
    response = client.post("/connexion/eleve", data={"code": "test code 0001"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/eleve/")


def test_ten_failures_throttle_the_account_and_say_how_long(client: FlaskClient, personas):
    for _ in range(10):
        client.post("/connexion", data={"email": "pilotage@test.fr", "password": "wrong"})
    response = client.post("/connexion", data={"email": "pilotage@test.fr",
                                                "password": TEST_PASSWORD})
    page = page_text(response)
    assert response.status_code == 200  # refused, even with the right password
    assert re.search(r"réessayez dans 1[45] minute\(s\)", page), page


def test_throttling_is_per_address_too(client: FlaskClient, personas):
    for index in range(10):
        client.post("/connexion", data={"email": f"nobody{index}@test.fr", "password": "x"})
    response = client.post("/connexion", data={"email": "pilotage@test.fr",
                                                "password": TEST_PASSWORD})
    assert "Trop de tentatives" in page_text(response)
    # Another address is not affected.
    other = client.post("/connexion", data={"email": "pilotage@test.fr",
                                             "password": TEST_PASSWORD},
                        environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert other.status_code == 302


def test_pupil_codes_are_throttled_per_address(client: FlaskClient, personas):
    for index in range(10):
        client.post("/connexion/eleve", data={"code": f"WRONG-CODE-{index:04d}"})
    response = client.post("/connexion/eleve", data={"code": "TEST-CODE-0001"})
    assert "Trop de tentatives" in page_text(response)


def test_sign_out_revokes_the_session_cookie_everywhere(app: Flask, personas):
    first, second = app.test_client(), app.test_client()
    login_as(first, personas["steering"])
    login_as(second, personas["steering"])
    stolen_cookie = first.get_cookie("session", domain="stagebourse.test")
    assert stolen_cookie is not None
    first.post("/deconnexion")
    assert second.get("/pilotage/").status_code == 302  # the other device is signed out
    replay = app.test_client()
    replay.set_cookie("session", stolen_cookie.value, domain=stolen_cookie.domain)
    assert replay.get("/pilotage/").status_code == 302


@pytest.mark.parametrize("role", sorted(HOMES))
def test_a_session_naming_another_role_is_signed_out(app: Flask, personas, role: str):
    """The session names the account's role, so that each page joins only what that role
    reads; a session naming another role opens nothing, not even the account's own pages.
    One written before the role was named still opens the account's home."""
    user = personas[role]
    other = "steering" if role != "steering" else "teacher"
    home, heading = HOMES[role]
    client = app.test_client()
    login_as(client, user)
    with client.session_transaction() as session:
        assert session["_user_id"] == f"{user.id}:{user.session_version}:{role}"
        session["_user_id"] = f"{user.id}:{user.session_version}"
    assert heading in page_text(client.get(home))
    with client.session_transaction() as session:
        session["_user_id"] = f"{user.id}:{user.session_version}:{other}"
    assert client.get(HOMES[other][0]).status_code == 302
    assert client.get(home).status_code == 302


def test_regenerated_code_stops_the_old_one(client: FlaskClient, personas):
    from stagebourse.services.accounts import set_access_code

    user = db.session.get(User, personas["pupil"].id)
    set_access_code(user, "NEWC-ODE0-0002")
    db.session.commit()
    assert "Ce code ne fonctionne pas" in page_text(client.post(
        "/connexion/eleve", data={"code": "TEST-CODE-0001"}))
    assert client.post("/connexion/eleve", data={"code": "NEWC-ODE0-0002"}).status_code == 302


def test_session_cookie_flags(app: Flask, personas):
    app.config["SESSION_COOKIE_SECURE"] = True
    client = app.test_client()
    response = client.post("/connexion", data={"email": "pilotage@test.fr",
                                                "password": TEST_PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


def test_missing_or_stale_csrf_token_gets_a_french_page_not_a_500(app: Flask, personas):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    response = client.post("/connexion", data={"email": "pilotage@test.fr",
                                                "password": TEST_PASSWORD})
    assert response.status_code == 400
    assert "Formulaire expiré" in page_text(response)
    response = client.post("/connexion", data={"email": "pilotage@test.fr",
                                                "password": TEST_PASSWORD,
                                                "csrf_token": "stale.token.value"})
    assert response.status_code == 400
    page = page_text(client.get("/connexion"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/connexion", data={"email": "pilotage@test.fr",
                                                "password": TEST_PASSWORD, "csrf_token": token})
    assert response.status_code == 302


def test_password_reset_goes_through_the_outbox_and_works_once(client: FlaskClient, personas):
    response = client.post("/mot-de-passe-oublie", data={"email": "pilotage@test.fr"})
    assert response.status_code == 302
    message = db.session.scalar(select(OutboxMessage))
    assert message is not None and message.recipient == "pilotage@test.fr"
    link = re.search(r"http://stagebourse.test(/mot-de-passe/\S+)", message.body_text).group(1)
    new = "une phrase assez longue"
    assert client.post(link, data={"password": new, "confirm": new}).status_code == 302
    assert client.post("/connexion", data={"email": "pilotage@test.fr",
                                            "password": new}).status_code == 302
    client.post("/deconnexion")
    # The same link cannot be used twice: the password it was made for has changed.
    response = client.post(link, data={"password": "encore une autre", "confirm":
                                       "encore une autre"}, follow_redirects=True)
    assert "n'est plus valable" in page_text(response)


def test_password_reset_for_unknown_address_reveals_nothing(client: FlaskClient, personas):
    response = client.post("/mot-de-passe-oublie", data={"email": "inconnu@test.fr"},
                           follow_redirects=True)
    assert "Si un compte existe pour cette adresse" in page_text(response)
    assert db.session.scalar(select(OutboxMessage)) is None


def test_tampered_reset_token_is_refused(client: FlaskClient, personas):
    response = client.post("/mot-de-passe/not-a-token", data={
        "password": "une phrase assez longue", "confirm": "une phrase assez longue"},
        follow_redirects=True)
    assert "n'est plus valable" in page_text(response)


def test_english_is_available(client: FlaskClient, personas):
    client.get("/langue/en")
    page = page_text(client.get("/connexion"))
    assert '<html lang="en">' in page
    assert "Sign in" in page


def test_templates_translate_in_the_language_in_force(app: Flask):
    """The templates' ``_()`` keeps each language's catalogue: a string follows the visitor's
    language, and a French mail or release written during an English request (force_locale)
    is French, then English again after it."""
    from flask import render_template_string
    from flask_babel import force_locale

    page = ('{{ _("Retirer") }} {{ ngettext("%(num)d message", "%(num)d messages", 2) }} '
            '{{ _("%(n)s vœu(x) sur %(max)s au maximum.", n=1, max=5) }}')
    # Each in an application context of its own, as a served request is (the tests' own
    # context would otherwise share its ``g``, where the language is kept, between them).
    with app.app_context(), app.test_request_context("/", headers={"Accept-Language": "en"}):
        english = render_template_string(page)
        with force_locale("fr"):
            french = render_template_string(page)
        assert render_template_string(page) == english
    with app.app_context(), app.test_request_context("/", headers={"Accept-Language": "fr"}):
        assert render_template_string(page) == french
    assert english.startswith("Remove 2 messages") and french.startswith("Retirer 2 messages")
    assert english != french


def test_security_headers_on_every_page(client: FlaskClient):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "'unsafe-inline'" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_accessibility_statement_is_linked_from_every_page(client: FlaskClient):
    page = page_text(client.get("/"))
    assert 'href="/accessibilite"' in page
    statement = page_text(client.get("/accessibilite"))
    assert "RGAA" in statement and "partiellement conforme" in statement
    assert "axe-core" in statement  # says honestly what was checked


def test_a_nul_character_in_a_field_is_refused_not_a_500(client: FlaskClient, personas):
    # PostgreSQL cannot store NUL; no person types one: refused before any query.
    response = client.post("/connexion", data={"email": "a\x00@b.fr", "password": "x"})
    assert response.status_code == 400
    assert "Requête incorrecte" in page_text(response)
    api = client.post("/api/v1/offers", data='{"title": "a\\u0000"}',
                      content_type="application/json")
    assert api.status_code == 400 and api.is_json


def test_an_id_beyond_any_database_integer_is_404_not_a_500(client: FlaskClient, personas):
    login_as(client, personas["steering"])
    assert client.get("/pilotage/campagnes/19903778169").status_code == 404
