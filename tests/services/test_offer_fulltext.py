"""The free-text offer search finds offers by the words of their title, description and
structure name, whatever the accents and the French endings, on SQLite (FTS5) and PostgreSQL
(GIN index) alike: the same expectations run on both (TEST_DATABASE_URL picks the engine).
Words narrow the other filters and never change the order."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from stagebourse.extensions import db
from stagebourse.models import Offer, Role, User
from stagebourse.services import offer_index
from stagebourse.services.offer_search import OfferFilters, search_offers
from stagebourse.services.offers import OfferInput, save_offer, withdraw_offer
from tests.factories import (
    WEEK_A,
    WEEK_B,
    first_school,
    make_campaign,
    make_company,
    make_offer,
    make_pupil_user,
    make_user,
    offer_input,
    offer_writer,
)

BAKERY = "Découvrir le fournil d'une boulangerie"
SHOP = "Vendre le pain en boulangerie"
ELECTRICITY = "Sur les chantiers d'électricité"
GARAGE = "Diagnostiquer une panne de voiture"


@pytest.fixture
def shelf(app: Any) -> dict[str, Any]:
    """Four offers of three structures around the pupil's place (about 1, 2, 3 and 33 km
    north of it)."""
    school = first_school()
    make_campaign([school])
    pupil = make_pupil_user(school)
    here = pupil.pupil.home_commune or school
    lat, lon = here.lat, here.lon
    caudron = make_company(siret="73282932000074", name="Maison Caudron",
                           contact_email="contact@caudron.example")
    volta = make_company(siret="55203253400646", name="Volta Réseaux",
                         contact_email="contact@volta.example")
    garage = make_company(siret="44306184100047", name="Garage du Hainaut",
                          contact_email="contact@garage.example")
    offers = {
        BAKERY: make_offer(caudron, title=BAKERY, sector_code="hotellerie-restauration",
                           description="Pétrir, façonner et cuire avec les boulangers.",
                           seats={WEEK_A: 2}, lat=lat + 0.01, lon=lon),
        SHOP: make_offer(caudron, title=SHOP, sector_code="commerce",
                         description="Accueillir les clients au comptoir.",
                         seats={WEEK_B: 1}, lat=lat + 0.3, lon=lon),
        ELECTRICITY: make_offer(volta, title=ELECTRICITY, sector_code="batiment",
                                description="Tirer des câbles avec une électricienne.",
                                seats={WEEK_A: 1}, lat=lat + 0.02, lon=lon),
        GARAGE: make_offer(garage, title=GARAGE, sector_code="mecanique",
                           description="Le mécanicien montre ses outils.",
                           seats={WEEK_A: 1, WEEK_B: 1}, lat=lat + 0.027, lon=lon),
    }
    db.session.commit()
    return {"pupil": pupil, "offers": offers, "companies": (caudron, volta, garage)}


def titles(user: User, **filters: Any) -> list[str]:
    return [hit.offer.title for hit in search_offers(user, OfferFilters(**filters)).hits]


# What a pupil types, and the offers it must find. One test runs the whole table (a setup costs
# more than all the searches), and shows every case that fails at once.
EXPECTED: dict[str, set[str]] = dict([
    ("boulangerie", {BAKERY, SHOP}),
    ("boulanger", {BAKERY, SHOP}),
    ("boulangère", {BAKERY, SHOP}),
    ("BOULANGÈRES", {BAKERY, SHOP}),
    ("électricité", {ELECTRICITY}),
    ("electricite", {ELECTRICITY}),
    ("ÉLECTRICITÉ", {ELECTRICITY}),
    ("l'électricité", {ELECTRICITY}),
    ("électricienne", {ELECTRICITY}),  # in the description only
    ("façonner", {BAKERY}),
    ("faconner", {BAKERY}),
    ("Caudron", {BAKERY, SHOP}),  # the structure's name only
    ("volta", {ELECTRICITY}),
    ("hainaut", {GARAGE}),
    ("pain boulangerie", {SHOP}),  # every word must be found
    ("boulangerie électricité", set()),
    ("trombone", set()),
    ("zzz", set()),
])


def test_words_find_the_offers_that_have_them(shelf: dict[str, Any]) -> None:
    found = {words: set(titles(shelf["pupil"], q=words)) for words in EXPECTED}
    assert found == EXPECTED


def test_no_words_or_only_small_words_filter_nothing(shelf: dict[str, Any]) -> None:
    everything = titles(shelf["pupil"])
    assert len(everything) == 4
    assert titles(shelf["pupil"], q="") == everything
    assert titles(shelf["pupil"], q="  le de la ") == everything


def test_typed_characters_of_a_query_language_are_only_words(shelf: dict[str, Any]) -> None:
    # FTS5 and tsquery syntax in a query: no error, no match beyond the words themselves.
    for words in ('"boulangerie"', "boulangerie*", "boulangerie OR volta", "pain & !x",
                  "NEAR(pain)", "pain:*", "'; DROP TABLE offers; --", "pain (((", "pain %_"):
        found = set(titles(shelf["pupil"], q=words))
        assert found <= {BAKERY, SHOP}, words
    assert set(titles(shelf["pupil"], q="boulangerie OR volta")) == set()


def test_words_narrow_the_other_filters(shelf: dict[str, Any]) -> None:
    pupil = shelf["pupil"]
    assert titles(pupil, q="boulangerie", sector="hotellerie-restauration") == [BAKERY]
    assert titles(pupil, q="boulangerie", sector="batiment") == []
    assert titles(pupil, q="boulangerie", week=WEEK_B) == [SHOP]
    assert titles(pupil, q="boulangerie", week=WEEK_A) == [BAKERY]
    assert titles(pupil, q="boulangerie", radius_km=10) == [BAKERY]
    assert titles(pupil, q="électricité", radius_km=10, week=WEEK_B) == []


def test_words_keep_the_order_of_the_search(shelf: dict[str, Any]) -> None:
    # Nearest first for a pupil (1, 2, 3 km, then 33 km), by title for the steering group:
    # never by how well the words match.
    pupil = shelf["pupil"]
    assert titles(pupil, q="boulangerie") == [BAKERY, SHOP]
    assert titles(pupil, q="le pain") == [SHOP]
    steering = make_user(Role.STEERING, "pilotage@search.example")
    assert titles(steering, q="boulangerie") == [BAKERY, SHOP]
    assert titles(steering, q="caudron volta hainaut") == []
    found = search_offers(pupil, OfferFilters(q="boulangerie"))
    assert (found.total, found.sort) == (2, "distance")
    assert [round(hit.distance_km or 0) for hit in found.hits] == [1, 33]


def _edit(offer: Offer, **changes: Any) -> None:
    data: OfferInput = offer_input(**{"title": offer.title, "description": offer.description,
                                      "sector_code": offer.sector_code, "lat": offer.lat,
                                      "lon": offer.lon,
                                      "seats": {w.week: w.seats for w in offer.weeks},
                                      **changes})
    save_offer(offer_writer(offer.company), offer.company, data, offer)
    db.session.commit()


def test_the_index_follows_the_offers_as_they_change(shelf: dict[str, Any]) -> None:
    pupil, offers = shelf["pupil"], shelf["offers"]
    garage = offers[GARAGE]
    _edit(garage, title="Réparer les carrosseries")
    assert titles(pupil, q="carrosserie") == ["Réparer les carrosseries"]
    assert titles(pupil, q="diagnostiquer") == []

    _edit(garage, description="Changer un pneu, contrôler les freins.")
    assert titles(pupil, q="frein") == ["Réparer les carrosseries"]
    assert titles(pupil, q="mécanicien") == []

    caudron = shelf["companies"][0]
    caudron.name = "Fournil des Quatre Vents"
    db.session.commit()
    assert set(titles(pupil, q="quatre vents")) == {BAKERY, SHOP}
    assert titles(pupil, q="caudron") == []

    withdraw_offer(offer_writer(caudron), offers[SHOP])
    db.session.commit()
    assert titles(pupil, q="boulangerie") == [BAKERY]

    new = make_offer(shelf["companies"][1], title="Installer des panneaux solaires",
                     sector_code="energie", seats={WEEK_A: 1})
    db.session.commit()
    assert titles(pupil, q="solaire") == [new.title]

    db.session.delete(new)
    db.session.commit()
    assert titles(pupil, q="solaire") == []

    offer_index.rebuild()  # what `stagebourse seed offer-index` runs after the migration
    db.session.commit()
    assert titles(pupil, q="boulangerie") == [BAKERY]
    assert titles(pupil, q="frein") == ["Réparer les carrosseries"]
    # The full-text index itself, not only the search (which also joins the visible offers'
    # rows): the old words are gone, the new ones there, for the offer that has them.
    assert indexed("solair") == indexed("diagnost") == indexed("caudron") == set()
    assert indexed("carross") == indexed("frein") == {garage.id}
    assert indexed("quatr") == {offers[BAKERY].id, offers[SHOP].id}


def indexed(stem: str) -> set[int]:
    """The offers whose indexed words start with ``stem``, asked of the engine's index."""
    if db.session.get_bind().dialect.name == "postgresql":
        query = ("SELECT offer_id FROM offer_texts WHERE to_tsvector('simple'::regconfig, words)"
                 " @@ to_tsquery('simple'::regconfig, :q)")
        return set(db.session.scalars(sa.text(query), {"q": f"{stem}:*"}))
    query = "SELECT rowid FROM offer_texts_fts WHERE offer_texts_fts MATCH :q"
    return set(db.session.scalars(sa.text(query), {"q": f'"{stem}"*'}))


def test_only_what_pupils_may_read_is_searchable(shelf: dict[str, Any]) -> None:
    # The structures' contacts, tutors and street addresses are in the database but not in
    # the offer's public text: a word of them finds nothing, and neither do drafts.
    pupil = shelf["pupil"]
    for words in ("Camille", "Contact", "contact@caudron.example", "Théo Tuteur",
                  "tuteur@atelier-test.fr", "rue de Famars", "73282932000074"):
        assert titles(pupil, q=words) == [], words
    draft = offer_input(title="Brouillon de chaudronnerie", publish=False, seats={WEEK_A: 1})
    save_offer(offer_writer(shelf["companies"][1]), shelf["companies"][1], draft)
    db.session.commit()
    assert titles(pupil, q="chaudronnerie") == []
