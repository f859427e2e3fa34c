"""The Charter gate: a structure's offers reach pupils only once the steering group verified its
Diversity Charter signature (CHARTER_GATE, on by default). A pupil crawling every page that
lists or shows offers, and the matching's seats, never meet an offer of an unverified
structure; the steering group's verification lets it in at once; with the setting off, a
validated structure is enough."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import CharterStatus, Request, RequestState, Wish
from stagebourse.services.offers import campaign_capacities
from tests.factories import (
    UPCOMING_CAMPAIGN,
    UPCOMING_WEEK,
    first_school,
    make_campaign,
    make_company,
    make_offer,
    make_pupil_user,
    make_user,
)
from tests.personas import login_as, page_text

HIDDEN_TITLE = "Atelier de la structure non vérifiée"


def _world(app: Flask) -> dict[str, Any]:
    from stagebourse.models import Role

    school = first_school()
    campaign = make_campaign([school], **UPCOMING_CAMPAIGN)
    verified = make_company()
    unverified = make_company(siret="35600000049837", name="Structure Sans Charte",
                              contact_email="contact@sans-charte.fr",
                              charter_status=CharterStatus.DECLARED)
    shown = make_offer(verified, title="Atelier de la structure vérifiée", sector_code="sante",
                       seats={UPCOMING_WEEK: 2})
    hidden = make_offer(unverified, title=HIDDEN_TITLE, sector_code="sante",
                        seats={UPCOMING_WEEK: 2})
    pupil = make_pupil_user(school)
    db.session.add(Request(campaign=campaign, pupil=pupil.pupil, state=RequestState.DRAFT))
    steering = make_user(Role.STEERING, "pilotage-charte@test.fr")
    db.session.commit()
    return {"campaign": campaign, "shown": shown, "hidden": hidden, "pupil": pupil,
            "unverified": unverified, "steering": steering}


def _pages(client: FlaskClient, first: str) -> list[str]:
    """A listing and every page its pager links to."""
    seen, todo, bodies = set(), [first], []
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        assert response.status_code == 200, url
        body = page_text(response)
        bodies.append(body)
        path = url.split("?", 1)[0]
        for query in re.findall(r'href="\?([^"]*page=\d+[^"]*)"', body):
            todo.append(f"{path}?{query}")
        for link in re.findall(rf'href="({re.escape(path)}\?[^"]*page=\d+[^"]*)"', body):
            todo.append(link)
    return bodies


def _what_the_pupil_meets(client: FlaskClient, world: dict[str, Any]) -> str:
    """Everything a pupil can read about offers, concatenated."""
    texts = []
    texts += _pages(client, "/offres/")
    texts += _pages(client, "/offres/?sector=sante")
    texts.append(client.get("/offres/?format=csv").get_data(as_text=True))
    texts += _pages(client, "/eleve/offres")
    texts += _pages(client, "/eleve/offres?secteur=sante")
    texts.append(page_text(client.get("/eleve/demande")))
    return "\n".join(texts)


def _can_open_and_wish(client: FlaskClient, offer_id: int) -> tuple[int, bool]:
    detail = client.get(f"/offres/{offer_id}").status_code
    client.post("/eleve/demande/add-offer", data={"offer_id": offer_id})
    wished = db.session.scalar(select(Wish).where(Wish.offer_id == offer_id)) is not None
    return detail, wished


def test_an_unverified_structure_s_offer_never_reaches_a_pupil_until_verified(
        app: Flask, client: FlaskClient):
    world = _world(app)
    hidden, shown = world["hidden"], world["shown"]
    login_as(client, world["pupil"])
    seen = _what_the_pupil_meets(client, world)
    assert "Atelier de la structure vérifiée" in seen  # the crawl does reach offers
    assert HIDDEN_TITLE not in seen and "Structure Sans Charte" not in seen
    assert f"/offres/{hidden.id}\"" not in seen
    assert _can_open_and_wish(client, hidden.id) == (404, False)
    seats = {c.offer_id for c in campaign_capacities(world["campaign"])}
    assert seats == {shown.id}  # the matching instance has no seat of it either

    steering = app.test_client()
    login_as(steering, world["steering"])
    validation = page_text(steering.get(f"/pilotage/structures/{world['unverified'].id}"))
    assert "restent invisibles pour les élèves" in validation
    done = steering.post(f"/pilotage/structures/{world['unverified'].id}/charte-verifiee",
                         follow_redirects=True)
    assert "Signature de la Charte de Structure Sans Charte vérifiée" in page_text(done)
    assert "restent invisibles pour les élèves" not in page_text(done)

    seen = _what_the_pupil_meets(client, world)
    assert HIDDEN_TITLE in seen and f"/offres/{hidden.id}\"" in seen
    assert _can_open_and_wish(client, hidden.id) == (200, True)
    assert {c.offer_id for c in campaign_capacities(world["campaign"])} == {shown.id, hidden.id}


def test_a_validation_without_verified_charter_says_the_offers_stay_hidden(
        app: Flask, client: FlaskClient):
    from stagebourse.models import CompanyState

    world = _world(app)
    company = world["unverified"]
    company.state = CompanyState.PENDING
    db.session.commit()
    login_as(client, world["steering"])
    done = client.post(f"/pilotage/structures/{company.id}/valider", follow_redirects=True)
    assert "tant que la signature de la Charte n'est pas vérifiée" in page_text(done)


@pytest.mark.parametrize("gate", [False])
def test_with_the_gate_off_a_validated_structure_is_enough(app: Flask, client: FlaskClient,
                                                            gate: bool):
    app.config["CHARTER_GATE"] = gate  # a deployment setting: set before any offer is indexed
    world = _world(app)
    login_as(client, world["pupil"])
    seen = _what_the_pupil_meets(client, world)
    assert HIDDEN_TITLE in seen
    assert _can_open_and_wish(client, world["hidden"].id) == (200, True)
    assert world["hidden"].id in {c.offer_id for c in campaign_capacities(world["campaign"])}
