"""Numbers and bodies at the edge of what parsers accept: an answer, never a server error.

"inf", "1e309" (which Python reads as infinity), "nan" and negative radii once made the offer
search fail; a JSON body nested 1,000 deep once exhausted the API's parser stack."""

from __future__ import annotations

import json

import pytest

from stagebourse.extensions import db
from stagebourse.services.companies import create_api_token
from tests.factories import first_school, make_campaign, make_offer
from tests.personas import login_as, page_text

EDGE_RADII = ["inf", "-inf", "1e309", "-1e309", "nan", "NaN", "-5", "0", "1e-400", "1e308",
              "Infinity", "5,5", "²", "١٠"]


@pytest.mark.parametrize("persona", ["pupil", "teacher", "steering"])
def test_offer_search_answers_any_radius(app, personas, persona):
    make_campaign([first_school()])
    make_offer(personas["company"].company, title="Atelier de précision")
    client = app.test_client()
    login_as(client, personas[persona])
    for radius in EDGE_RADII:
        for extra in ("", "&format=csv", "&page=99999999999999999999", "&page=²"):
            response = client.get(f"/offres/?radius={radius}{extra}")
            assert response.status_code == 200, (radius, extra, response.status_code)
    # A sensible radius still filters, and the form shows it back.
    page = page_text(client.get("/offres/?radius=30"))
    assert 'value="30"' in page and "Atelier de précision" in page


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.committing  # the API's rate counter is a side write
@pytest.mark.parametrize("depth", [1000, 100_000])
def test_api_answers_a_deeply_nested_body_with_400(app, personas, depth):
    make_campaign([first_school()])
    offer = make_offer(personas["company"].company)
    token = create_api_token(personas["steering"], personas["company"].company, "bord", None)
    db.session.commit()  # the API counts its rate limit on a connection of its own
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    bodies = [nested(depth), '{"title": ' + nested(depth) + "}",
              '{"tutor": {"full_name": ' + nested(depth) + "}}"]
    for body in bodies:
        for method, path in (("POST", "/api/v1/offers"), ("PUT", f"/api/v1/offers/{offer.id}")):
            response = client.open(path, method=method, data=body, headers=headers,
                                   content_type="application/json")
            assert response.status_code == 400, (method, depth, response.status_code)
            assert response.mimetype == "application/json"
            assert "error" in json.loads(response.get_data(as_text=True))
