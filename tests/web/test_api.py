"""The partner API: every response checked against the served OpenAPI document."""

import datetime as dt
import re

import jsonschema
import pytest
from openapi_spec_validator import validate as validate_spec
from sqlalchemy import func, select

from stagebourse.extensions import db
from stagebourse.models import Offer, Role
from stagebourse.services import companies
from tests.factories import WEEK_A, WEEK_B, first_school, make_campaign, make_company, make_user

pytestmark = pytest.mark.committing  # the API's rate counter is a side write

DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi")


def payload(**overrides):
    body = {
        "external_ref": "RH-42", "title": "Découverte du service logistique",
        "sector": "industrie",
        "description": "L'élève découvre la réception des marchandises et la préparation.",
        "address": "1 rue du Quai", "commune": "59606", "levels": ["3e"], "min_age": 14,
        "accessible": True, "safety_attested": True,
        "schedule": [{"day": d, "start": "09:00", "end": "12:00"} for d in DAYS]
                    + [{"day": d, "start": "13:00", "end": "16:00"} for d in DAYS],
        "tutor": {"full_name": "Lou Lemaire", "job_title": "Cheffe d'équipe",
                  "email": "lou@logistique-test.fr"},
        "weeks": [{"week": WEEK_A, "seats": 2}, {"week": WEEK_B, "seats": 1}],
    }
    body.update(overrides)
    return body


class Api:
    """A test client that checks each answer against the OpenAPI document."""

    def __init__(self, client, token=None):
        self.client = client
        self.token = token
        self.document = client.get("/api/v1/openapi.json").get_json()

    def call(self, method, path, token=..., **kwargs):
        token = self.token if token is ... else token
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = self.client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)
        self.check(method, path, response)
        return response

    def check(self, method, path, response):
        template = re.sub(r"/\d+", "/{offer_id}", path)
        operation = self.document["paths"][template][method.lower()]
        status = str(response.status_code)
        assert status in operation["responses"], f"{method} {path}: {status} not documented"
        content = operation["responses"][status].get("content")
        if content:
            assert response.mimetype == "application/json"
            schema = {**content["application/json"]["schema"],
                      "components": self.document["components"]}
            jsonschema.validate(response.get_json(), schema,
                                cls=jsonschema.Draft202012Validator)


@pytest.fixture
def setup(app):
    make_campaign([first_school()])
    steering = make_user(Role.STEERING, "pilotage@vm-test.fr")
    company = make_company()
    clear = companies.create_api_token(steering, company, "Logiciel RH", None)
    return {"steering": steering, "company": company, "token": clear}


def test_openapi_document_is_valid_and_public(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    validate_spec(response.get_json())


def test_create_list_get_update_withdraw_follow_the_document(client, setup):
    api = Api(client, setup["token"])
    created = api.call("POST", "/offers", json=payload())
    assert created.status_code == 201, created.get_json()
    offer = created.get_json()
    assert offer["state"] == "published" and offer["weeks"][0] == {"week": WEEK_A, "seats": 2}
    assert api.call("GET", "/offers").get_json()[0]["id"] == offer["id"]
    assert api.call("GET", f"/offers/{offer['id']}").status_code == 200
    again = api.call("POST", "/offers", json=payload(title="Logistique, nouveau titre"))
    assert again.status_code == 200 and again.get_json()["id"] == offer["id"]
    assert db.session.scalar(select(func.count()).select_from(Offer)) == 1
    updated = api.call("PUT", f"/offers/{offer['id']}", json=payload(min_age=15))
    assert updated.get_json()["min_age"] == 15
    withdrawn = api.call("POST", f"/offers/{offer['id']}/withdraw")
    assert withdrawn.get_json()["state"] == "withdrawn"
    weeks = api.call("GET", "/weeks").get_json()
    assert [w["week"] for w in weeks[0]["weeks"]] == [WEEK_A, WEEK_B]


def test_validation_errors_are_422_with_one_message_per_field(client, setup):
    api = Api(client, setup["token"])
    long_days = [{"day": d, "start": "08:00", "end": "16:00"} for d in DAYS]
    response = api.call("POST", "/offers", json=payload(schedule=long_days,
                                                        safety_attested=False))
    assert response.status_code == 422
    fields = response.get_json()["fields"]
    assert "35 h" in fields["schedule"] and "D. 331-9" in fields["safety_attested"]
    response = api.call("POST", "/offers", json={"title": 3})
    assert response.status_code == 422 and "sector" in response.get_json()["fields"]
    response = api.call("POST", "/offers", json=payload(levels=["CM2"], min_age="14"))
    assert set(response.get_json()["fields"]) == {"levels", "min_age"}
    response = api.call("POST", "/offers", data="{not json", content_type="application/json")
    assert response.status_code == 400


def test_missing_unknown_expired_and_revoked_tokens_get_401(client, setup):
    api = Api(client)
    for token in (None, "sb_nope"):
        response = api.call("GET", "/offers", token=token)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    token = db.session.scalar(select(companies.ApiToken))
    token.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    db.session.commit()
    response = api.call("GET", "/offers", token=setup["token"])
    assert response.status_code == 401 and "expiré" in response.get_json()["error"]
    token.expires_at = None
    companies.revoke_api_token(setup["steering"], token)
    response = api.call("GET", "/offers", token=setup["token"])
    assert response.status_code == 401 and "révoqué" in response.get_json()["error"]


def test_rate_limit_answers_429_with_retry_after(app, client, setup):
    app.config["API_RATE_LIMIT"] = 2
    api = Api(client, setup["token"])
    assert api.call("GET", "/offers").status_code == 200
    assert api.call("GET", "/offers").status_code == 200
    response = api.call("GET", "/offers")
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1


def test_a_token_only_reaches_its_own_structures_offers(client, setup):
    other = make_company(siret="35600000010000", name="Autre")
    clear = companies.create_api_token(setup["steering"], other, "Autre", None)
    offer_id = Api(client, clear).call("POST", "/offers", json=payload()).get_json()["id"]
    api = Api(client, setup["token"])
    assert api.call("GET", f"/offers/{offer_id}").status_code == 404
    assert api.call("PUT", f"/offers/{offer_id}", json=payload()).status_code == 404
    assert api.call("POST", f"/offers/{offer_id}/withdraw").status_code == 404


def test_csrf_does_not_apply_to_the_token_api(app, client, setup):
    app.config["WTF_CSRF_ENABLED"] = True
    api = Api(client, setup["token"])
    assert api.call("POST", "/offers", json=payload()).status_code == 201


def test_steering_creates_a_token_shown_once_and_revokes_it(app, setup):
    from tests.personas import login_as

    client = app.test_client()
    login_as(client, setup["steering"])
    response = client.post("/pilotage/jetons-api", data={
        "company": str(setup["company"].id), "label": "Intégration", "expires_on": "2099-01-01"})
    text = response.get_data(as_text=True)
    clear = re.search(r"<code>(sb_[^<]+)</code>", text).group(1)
    assert clear not in client.get("/pilotage/jetons-api").get_data(as_text=True)
    api = Api(app.test_client(), clear)
    assert api.call("GET", "/offers").status_code == 200
    token = db.session.scalar(select(companies.ApiToken).where(
        companies.ApiToken.label == "Intégration"))
    assert client.post(f"/pilotage/jetons-api/{token.id}/revoquer").status_code == 302
    assert api.call("GET", "/offers").status_code == 401


def test_out_of_range_values_are_422_never_a_server_error(client, setup):
    api = Api(client, setup["token"])
    tutor = {"full_name": "x" * 300, "job_title": "Chef", "email": "chef@logistique-test.fr"}
    response = api.call("POST", "/offers", json=payload(lat=1e308, lon=3.5, tutor=tutor,
                                                        weeks=[{"week": WEEK_A,
                                                                "seats": 10**20}]))
    assert response.status_code == 422
    assert {"lat", "tutor", "seats"} <= set(response.get_json()["fields"])
    response = api.call("POST", "/offers", json=payload(title="t" * 201))
    assert "title" in response.get_json()["fields"]
    response = api.call("POST", "/offers", json=payload(min_age=99))
    assert "min_age" in response.get_json()["fields"]


def test_changing_the_reference_to_another_offers_one_is_a_422(client, setup):
    api = Api(client, setup["token"])
    api.call("POST", "/offers", json=payload(external_ref="A"))
    second = api.call("POST", "/offers", json=payload(external_ref="B")).get_json()
    response = api.call("PUT", f"/offers/{second['id']}", json=payload(external_ref="A"))
    assert response.status_code == 422 and "external_ref" in response.get_json()["fields"]
