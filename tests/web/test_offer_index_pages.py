"""The offer pages read an index of offers (distances, seats per week) kept current by every
write: what a pupil sees changes as soon as the offer does, and the distances are the
engine's. Also: each heavy page runs a small, fixed number of SQL statements."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask.testing import FlaskClient
from flask_babel import refresh
from sqlalchemy import event, select

from stagebourse.extensions import db
from stagebourse.models import (
    Commune,
    Company,
    CompanyState,
    Offer,
    OfferDistance,
    OfferState,
    OfferSummary,
    OfferWeek,
    Request,
    RequestState,
    Role,
    Wish,
)
from stagebourse.services import offer_index
from stagebourse.services.offers.writing import withdraw_offer
from tests.factories import (
    UPCOMING_CAMPAIGN,
    UPCOMING_WEEK,
    first_school,
    make_campaign,
    make_company,
    make_offer,
    make_pupil_user,
    make_teacher,
    offer_writer,
)
from tests.personas import login_as


@pytest.fixture
def board(app: Any) -> dict[str, Any]:
    school = first_school()
    campaign = make_campaign([school], **UPCOMING_CAMPAIGN)
    company = make_company()
    offers = [make_offer(company, title=f"Offre {n:02d}", sector_code="sante",
                         seats={UPCOMING_WEEK: 2}, lat=50.35 + n / 200, lon=3.52)
              for n in range(25)]
    pupil = make_pupil_user(school)
    teacher = make_teacher("prof-index@test.fr", school)
    request = Request(campaign=campaign, pupil=pupil.pupil, state=RequestState.DRAFT)
    request.wishes.append(Wish(rank=1, sector_code="sante"))
    request.wishes.append(Wish(rank=2, offer_id=offers[3].id))
    db.session.add(request)
    db.session.commit()
    return {"campaign": campaign, "company": company, "offers": offers, "pupil": pupil,
            "teacher": teacher}


def _distance_text(client: FlaskClient, offer: Offer) -> str:
    page = client.get("/offres/?sector=sante").get_data(as_text=True)
    block = page.split(f'/offres/{offer.id}"', 1)[1].split("</p>", 1)[0]
    found = re.search(r"(\d+[.,]\d) km", block)
    assert found, block
    return found.group(1)


def test_seats_set_to_zero_take_the_offer_off_the_pages_at_once(client: FlaskClient, board):
    login_as(client, board["pupil"])
    offer = board["offers"][0]
    assert f"/offres/{offer.id}\"" in client.get("/offres/?sector=sante").get_data(as_text=True)
    assert _sante_offers(client) == 25  # read once: what the pages keep is now in their cache
    week = db.session.scalar(select(OfferWeek).where(OfferWeek.offer_id == offer.id))
    week.seats = 0
    db.session.commit()
    assert f"/offres/{offer.id}\"" not in client.get("/offres/?sector=sante").get_data(
        as_text=True)
    sector_page = client.get("/eleve/offres?secteur=sante").get_data(as_text=True)
    assert f'name="offer_id" value="{offer.id}"' not in sector_page
    assert _sante_offers(client) == 24


def _sante_offers(client: FlaskClient) -> int:
    """The number of health offers the sectors page counts for the pupil (near + further)."""
    page = client.get("/eleve/offres").get_data(as_text=True)
    hint = page.split('secteur=sante">', 1)[1].split("</li>", 1)[0]
    near = re.search(r"(\d+) offres? près", hint)
    further = re.search(r"(\d+) plus loin", hint)
    return (int(near.group(1)) if near else 0) + (int(further.group(1)) if further else 0)


def test_seats_changed_show_on_the_search(client: FlaskClient, board):
    login_as(client, board["pupil"])
    week = db.session.scalar(select(OfferWeek).where(
        OfferWeek.offer_id == board["offers"][0].id))
    week.seats = 7
    db.session.commit()
    page = client.get("/offres/?sector=sante").get_data(as_text=True)
    assert "7 place(s)" in page


def test_an_offer_page_shows_each_change_at_once(client: FlaskClient, board):
    """An offer's page is read from a card kept while nothing changes: a change of its text,
    its structure's name, its tutor, its sector's label, its commune's name or its seats
    shows on the very next request."""
    login_as(client, board["pupil"])
    offer = board["offers"][0]

    def page() -> str:
        return client.get(f"/offres/{offer.id}").get_data(as_text=True)

    assert "Offre 00" in page()  # read once: the card is now kept
    changes = [
        (lambda: setattr(offer, "description", "On répare des vélos."), "On répare des vélos."),
        (lambda: setattr(board["company"], "name", "Cycles du Hainaut"), "Cycles du Hainaut"),
        (lambda: setattr(offer.tutor, "job_title", "Mécanicienne"), "Mécanicienne"),
        (lambda: setattr(offer.sector, "label", "Santé et soins"), "Santé et soins"),
        (lambda: setattr(offer.commune, "name", "Valenciennes-Centre"), "Valenciennes-Centre"),
        (lambda: setattr(offer.weeks[0], "seats", 9), "9 place(s)"),
    ]
    for change, shown in changes:
        assert shown not in page()
        change()
        db.session.commit()
        assert shown in page(), shown
    offer.state = OfferState.WITHDRAWN
    db.session.commit()
    assert client.get(f"/offres/{offer.id}").status_code == 404


def test_the_wish_pages_offer_dropdown_shows_each_change_at_once(client: FlaskClient, board):
    """The dropdown's options are kept rendered: a new title, a new commune name, an offer
    gone, or another language shows on the very next view, and a title stays escaped."""
    login_as(client, board["pupil"])
    offer, gone = board["offers"][0], board["offers"][1]

    def options() -> str:
        page = client.get("/eleve/demande").get_data(as_text=True)
        return page.split('<select name="offer_id"', 1)[1].split("</select>", 1)[0]

    assert "Offre 00" in options() and f'value="{gone.id}"' in options()
    offer.title = "Vélos <b>& co</b>"
    db.session.commit()
    assert "Vélos &lt;b&gt;&amp; co&lt;/b&gt;" in options()
    offer.commune.name = "Valenciennes-Centre"
    db.session.commit()
    assert "Valenciennes-Centre" in options()
    gone.state = OfferState.WITHDRAWN
    db.session.commit()
    assert f'value="{gone.id}"' not in options()
    assert "10,7 km (trop loin)" in options()
    client.get("/langue/en")
    refresh()  # the tests' application context outlives a request: forget its language
    assert "10.7 km (too far)" in options()


def test_a_withdrawn_offer_or_a_rejected_structure_leaves_the_pages(client: FlaskClient, board):
    login_as(client, board["pupil"])
    first, second = board["offers"][0], board["offers"][1]
    withdraw_offer(offer_writer(board["company"]), first)
    db.session.commit()
    page = client.get("/offres/?sector=sante").get_data(as_text=True)
    assert f"/offres/{first.id}\"" not in page and f"/offres/{second.id}\"" in page
    board["company"].state = CompanyState.REJECTED
    db.session.commit()
    assert "Aucune offre" in client.get("/offres/?sector=sante").get_data(as_text=True)
    board["company"].state = CompanyState.VALIDATED
    db.session.commit()
    assert f"/offres/{second.id}\"" in client.get("/offres/?sector=sante").get_data(
        as_text=True)


def test_a_moved_offer_shows_its_new_distance(client: FlaskClient, board):
    login_as(client, board["pupil"])
    offer = board["offers"][0]
    school = board["pupil"].pupil.school
    offer.lat, offer.lon = school.lat + 0.003, school.lon
    db.session.commit()
    # Measured here independently: haversine on the engine's sphere (6,371.0 km), to the metre.
    phi1, phi2 = math.radians(school.lat), math.radians(offer.lat)
    expected = 2 * 6371.0 * math.asin(math.sqrt(math.sin((phi2 - phi1) / 2) ** 2))
    assert _distance_text(client, offer) == f"{round(expected * 1000) / 1000:.1f}"


def test_index_distances_are_the_engines_and_a_rebuild_changes_nothing(board):
    from stagebourse.matching.costs import distance_metres

    stored = {(d.origin, d.offer_id): d.metres
              for d in db.session.scalars(select(OfferDistance))}
    communes = db.session.scalars(select(Commune)).all()
    offers = db.session.scalars(select(Offer)).all()
    for commune in communes[:5]:
        for offer in offers:
            assert stored[(offer_index.commune_origin(commune.code_insee), offer.id)] == int(
                distance_metres(commune.lat, commune.lon, offer.lat, offer.lon))
    summaries = {(s.offer_id, s.week, s.seats) for s in db.session.scalars(select(OfferSummary))}
    offer_index.rebuild()
    db.session.flush()
    assert {(d.origin, d.offer_id): d.metres
            for d in db.session.scalars(select(OfferDistance))} == stored
    assert {(s.offer_id, s.week, s.seats)
            for s in db.session.scalars(select(OfferSummary))} == summaries


def test_a_new_commune_gets_its_distances(board):
    db.session.add(Commune(code_insee="59999", name="Nouvelle", postcodes="59000", lat=50.3,
                           lon=3.5))
    db.session.flush()
    count = db.session.scalar(select(db.func.count()).select_from(OfferDistance).where(
        OfferDistance.origin == "c:59999"))
    assert count == len(board["offers"])


# Query budget ----------------------------------------------------------------------------------

@contextmanager
def counted() -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # The test's own savepoints (PostgreSQL runs each test in a rolled-back transaction)
        # are not the page's.
        if not statement.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO")):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


# Statements per page, whatever the number of offers and pupils. Raise a figure only with a
# reason: a loop that queries once per row shows here first.
# The offer pages read the signed-in user and the index's token, then what the cache lacks;
# the pupil's pages add the campaign, the request with its wishes and the school's weeks; a
# class board reads the user, the campaign of the class's level, then the class with its
# requests, placements and the school's first week.
BUDGET = {
    "/eleve/demande": 5,
    "/eleve/offres": 5,
    "/eleve/offres?secteur=sante": 6,
    "/offres/": 2,
    "/offres/?sector=sante&accessible=1": 2,
    "/offres/{offer}": 2,
    "/professeur/classes/3A": 3,
}


@pytest.mark.parametrize("more_offers", [0, 15])
def test_heavy_pages_run_a_fixed_small_number_of_statements(app: Any, board,
                                                           more_offers: int):
    """The same count with 15 more offers and 15 more pupils in the class."""
    other = make_company(siret="35600000049837", name="Autre Structure")
    for n in range(more_offers):
        make_offer(other, title=f"Autre {n}", sector_code="commerce",
                   seats={UPCOMING_WEEK: 1}, lat=50.3, lon=3.5 + n / 300)
        make_pupil_user(board["pupil"].pupil.school, last_name=f"Élève {n}")
    db.session.commit()
    for user in (board["pupil"], board["teacher"]):
        client = app.test_client()
        login_as(client, user)
        for url, budget in BUDGET.items():
            if url.startswith("/professeur") != (user.role == Role.TEACHER):
                continue
            url = url.format(offer=board["offers"][0].id)
            client.get(url)  # first visit: reference data the page caches
            with counted() as statements:
                assert client.get(url).status_code == 200, url
            assert len(statements) <= budget, (url, len(statements), statements)
    assert db.session.get(Company, other.id) is not None


def test_the_demo_fills_the_index_as_a_rebuild_would(app):
    from stagebourse.services.demo import seed_demo
    from tests.services.test_demo import DAY

    seed_demo(today=DAY)
    db.session.flush()
    distances = db.session.scalar(select(db.func.count()).select_from(OfferDistance))
    summaries = {(s.offer_id, s.week, s.seats, s.title_key)
                 for s in db.session.scalars(select(OfferSummary))}
    assert distances and summaries
    assert offer_index.rebuild() == (distances, len(summaries))
