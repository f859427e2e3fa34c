"""Every route of the app, requested by every kind of visitor.

The routes come from the URL map, so a new route cannot escape: it needs a value for each of
its URL arguments (tests/web/conftest.py, route_map.py) and is then checked for every persona:
anonymous visitors are sent to sign in, other roles get 403, another school's teacher and
another company get 404 on objects that are not theirs, nobody ever gets a 500, every response
carries the security headers, and every form refuses a POST without its CSRF token.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from stagebourse.services.companies import reject_company
from tests.personas import CLOSED_PERSONAS, close_account
from tests.web.route_map import build_url, rules, sign_in

# Which personas a blueprint serves. Blueprints not listed are public (or token-authenticated).
SERVED_BY = {
    "pupil": {"pupil"},
    "teacher": {"teacher", "other_teacher"},
    "company": {"company", "other_company"},
    "tutor": {"tutor"},
    "steering": {"steering"},
    "offers": {"pupil", "teacher", "other_teacher", "steering"},
    # The wider steering group: aggregate figures only; every other room answers 403.
    "observer": {"observer"},
}
PUBLIC = {"public", "auth", "tutor_preparation", "tutor_link", "static", "questionnaire",
          "agreement_sign"}
TOKEN_API = {"api"}
# The anonymous questionnaire keeps no session at all (a CSRF token would need one): the code
# typed into the form is its only credential. docs/privacy.md explains the choice.
CSRF_EXEMPT = {"questionnaire"}
PERSONAS = ["anonymous", "pupil", "tutor", "company", "other_company", "other_teacher",
            "steering", "teacher", "observer", *CLOSED_PERSONAS]
# URL arguments naming an object that belongs to the first school / first company: the other
# school's teacher and the other company must get 404 (not 403: nothing may confirm it exists).
OWNED_BY_SCHOOL = {"pupil_id", "class_name", "assignment_id", "agreement_id"}
OWNED_BY_COMPANY = {"offer_id", "assignment_id", "agreement_id", "tutor_id"}
# Files that exist only once uploaded: 404 is their honest answer when there is none.
OPTIONAL_FILES = {"company.charter_evidence", "steering.company_evidence",
                  "steering.material_attachment", "tutor_preparation.attachment",
                  "teacher.agreement_scan", "tutor.material_attachment",
                  "steering.host_scan_file"}
SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy")


def expectation(blueprint: str, persona: str, arguments: set[str]) -> str:
    if blueprint in PUBLIC:
        return "public"
    if blueprint in TOKEN_API:
        return "token"
    if persona == "anonymous" or persona in CLOSED_PERSONAS:
        # A closed account's session, or one of a refused structure, is no session at all.
        return "sign-in"
    if persona not in SERVED_BY[blueprint]:
        return "forbidden"
    if persona == "other_teacher" and arguments & OWNED_BY_SCHOOL:
        return "not-found"
    if persona == "other_company" and arguments & OWNED_BY_COMPANY:
        return "not-found"
    return "allowed"


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_route_answers_every_persona_as_expected(app: Flask, world, persona: str):
    client = app.test_client()
    user = world["users"].get(persona)
    if user is not None:
        sign_in(client, user)
    if persona in CLOSED_PERSONAS:
        _close_while_signed_in(app, world, persona)
    problems = []
    for rule, method in rules(app):
        blueprint = rule.endpoint.split(".")[0]
        url = build_url(rule, world["values"])
        response = client.open(url, method=method)
        status = response.status_code
        expected = expectation(blueprint, persona, set(rule.arguments))
        where = f"{persona} {method} {url} ({rule.endpoint}) → {status}"
        if status >= 500:
            problems.append(f"{where}: server error")
        elif expected == "sign-in" and not (status == 302
                                           and "/connexion" in response.headers["Location"]):
            problems.append(f"{where}: expected a redirect to sign in")
        elif expected == "forbidden" and status != 403:
            problems.append(f"{where}: expected 403")
        elif expected == "not-found" and status != 404:
            problems.append(f"{where}: expected 404")
        elif expected == "allowed" and status in (401, 403, 405) or (
                expected == "allowed" and status == 404 and rule.endpoint not in OPTIONAL_FILES):
            problems.append(f"{where}: expected access")
        elif expected == "allowed" and status == 302 and "/connexion" in response.headers[
                "Location"] and rule.endpoint != "auth.sign_out":
            problems.append(f"{where}: signed-in persona sent back to sign in")
        elif expected == "token" and rule.endpoint != "api.openapi" and status != 401:
            problems.append(f"{where}: expected 401 without a token")
        missing = [h for h in SECURITY_HEADERS if h not in response.headers]
        if missing:
            problems.append(f"{where}: missing {missing}")
        response.close()
    assert problems == []


def _close_while_signed_in(app: Flask, world, persona: str) -> None:
    steering = world["users"]["steering"]
    if persona == "rejected_company":
        reject_company(steering, world["refused_company"], "SIRET radié du répertoire")
        return
    pilot = app.test_client()
    sign_in(pilot, steering)
    close_account(pilot, steering, world["users"][persona])


def test_another_school_never_sees_a_pupil_of_this_school(app: Flask, world):
    client = app.test_client()
    sign_in(client, world["users"]["other_teacher"])
    pupil = world["users"]["pupil"].pupil
    for rule, method in rules(app):
        if rule.endpoint.startswith("teacher.") and method == "GET":
            response = client.get(build_url(rule, world["values"]))
            assert pupil.last_name not in response.get_data(as_text=True), rule.endpoint
            response.close()


def test_every_form_refuses_a_post_without_its_csrf_token(app: Flask, world):
    owners = {"pupil": "pupil", "teacher": "teacher", "company": "company", "tutor": "tutor",
              "steering": "steering", "offers": "steering"}
    clients: dict[str, Any] = {}
    app.config["WTF_CSRF_ENABLED"] = False
    for persona in set(owners.values()):
        clients[persona] = app.test_client()
        sign_in(clients[persona], world["users"][persona])
    clients["anonymous"] = app.test_client()
    app.config["WTF_CSRF_ENABLED"] = True
    accepted = []
    for rule, method in rules(app):
        blueprint = rule.endpoint.split(".")[0]
        if method not in ("POST", "PUT") or blueprint in TOKEN_API | CSRF_EXEMPT:
            continue
        client = clients[owners.get(blueprint, "anonymous")]
        response = client.open(build_url(rule, world["values"]), method=method, data={})
        if response.status_code != 400 or "Formulaire expiré" not in response.get_data(
                as_text=True):
            accepted.append(f"{rule.endpoint} → {response.status_code}")
    assert accepted == []


@pytest.mark.committing  # side writes (throttle, rate counter, outbox)
def test_the_token_api_answers_with_a_token(app: Flask, world):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {world['api_token']}"}
    assert client.get("/api/v1/offers", headers=headers).status_code == 200
