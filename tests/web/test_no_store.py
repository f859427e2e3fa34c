"""No browser or proxy may keep a copy of a personal-data response.

The crawl requests every GET route as each signed-in persona (and the token API), plus the
downloads behind a ``format`` argument, and requires ``Cache-Control: no-store`` on every
answer except the fingerprinted static assets. The class list, agreement PDFs and the
subject access export are also requested by name, so that they cannot drop out of the crawl
unnoticed."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import Flask

from stagebourse.extensions import db
from stagebourse.services.companies import declare_charter
from tests.web.route_map import build_url, rules, sign_in

# GET routes that serve a download when given one of these query strings.
FORMATS = {
    "offers.browse": ["format=csv"],
    "steering.signatories": ["format=csv"],
    "steering.personal_data_pupil": ["format=json", "format=csv"],
}
PERSONAS = ["steering", "teacher", "company", "pupil", "tutor"]


def directives(response) -> set[str]:
    return {d.strip().lower() for d in response.headers.get("Cache-Control", "").split(",")}


def crawl(app: Flask, client, values: dict) -> list[tuple[str, int, set[str]]]:
    seen = []
    for rule, method in rules(app):
        if method != "GET" or rule.endpoint in ("static", "auth.sign_out"):
            continue
        url = build_url(rule, values)
        for query in ["", *FORMATS.get(rule.endpoint, [])]:
            full = f"{url}?{query}" if query else url
            response = client.get(full)
            seen.append((full, response.status_code, directives(response)))
            response.close()
    return seen


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_response_to_a_signed_in_persona_is_no_store(app: Flask, world, persona):
    if persona == "company":
        # A Charter proof on file: send_file's own caching headers must not win.
        declare_charter(world["users"]["company"], dt.date(2026, 1, 5), None,
                        b"%PDF-1.4 preuve")
        db.session.commit()
    client = app.test_client()
    sign_in(client, world["users"][persona])
    seen = crawl(app, client, world["values"])
    answered = [(url, status, found) for url, status, found in seen if status < 400]
    assert len(answered) > 10
    assert [(url, status) for url, status, found in answered if "no-store" not in found] == []
    if persona == "company":
        assert [s for u, s, _ in answered if u.endswith("/structure/charte/justificatif")] == [
            200]


def test_named_personal_data_downloads_are_no_store(app: Flask, world):
    values = world["values"]
    steering, teacher = app.test_client(), app.test_client()
    company = app.test_client()
    sign_in(steering, world["users"]["steering"])
    sign_in(teacher, world["users"]["teacher"])
    sign_in(company, world["users"]["company"])
    downloads = [
        (teacher, f"/professeur/classes/{values['class_name']}/export.csv", "text/csv"),
        (teacher, f"/professeur/conventions/{values['agreement_id']}/pdf", "application/pdf"),
        (company, f"/structure/conventions/{values['agreement_id']}/pdf", "application/pdf"),
        (steering, f"/pilotage/donnees-personnelles/{values['pupil_id']}?format=json",
         "application/json"),
        (steering, f"/pilotage/donnees-personnelles/{values['pupil_id']}?format=csv",
         "text/csv"),
    ]
    for client, url, mimetype in downloads:
        response = client.get(url)
        assert (url, response.status_code, response.mimetype) == (url, 200, mimetype)
        assert "no-store" in directives(response), url


@pytest.mark.committing  # the API's rate counter is a side write
def test_api_answers_are_no_store(app: Flask, world):
    db.session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {world['api_token']}"}
    for path in ("/api/v1/offers", f"/api/v1/offers/{world['values']['offer_id']}",
                 "/api/v1/weeks"):
        response = client.get(path, headers=headers)
        assert response.status_code == 200, path
        assert "no-store" in directives(response), path


def test_fingerprinted_assets_stay_cacheable(app: Flask, client):
    page = client.get("/").get_data(as_text=True)
    url = re.search(r'href="(/static/style\.css\?v=[0-9a-f]+)"', page).group(1)
    response = client.get(url)
    response.close()
    assert "no-store" not in directives(response) and "immutable" in directives(response)
