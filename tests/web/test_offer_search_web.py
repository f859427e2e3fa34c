"""The search box of the offer pages: labelled, keeps what was typed, finds offers by their
words, and says so when nothing matches."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest

from stagebourse.extensions import db
from tests.factories import (
    first_school,
    make_campaign,
    make_company,
    make_offer,
    make_pupil_user,
    make_teacher,
)
from tests.personas import login_as, page_text

BAKERY = "Découvrir le fournil"
GARAGE = "Diagnostiquer une panne"


@pytest.fixture
def pupil_client(app: Any) -> Any:
    school = first_school()
    make_campaign([school])
    bakery = make_company(siret="73282932000074", name="Boulangerie Caudron",
                          contact_email="contact@caudron.example")
    garage = make_company(siret="44306184100047", name="Garage du Hainaut",
                          contact_email="contact@garage.example")
    make_offer(bakery, title=BAKERY, sector_code="hotellerie-restauration",
               description="Pétrir et cuire le pain.")
    make_offer(garage, title=GARAGE, sector_code="mecanique",
               description="Le mécanicien montre ses outils.")
    db.session.commit()
    client = app.test_client()
    login_as(client, make_pupil_user(school))
    return client


def search_field(html: str) -> str:
    match = re.search(r'<input id="f-q"[^>]*>', html)
    assert match, "no search field"
    return match.group(0)


def test_a_pupil_finds_the_bakery_by_a_word_and_the_field_keeps_it(pupil_client: Any) -> None:
    response = pupil_client.get("/offres/?q=boulangère")
    html, text = response.get_data(as_text=True), page_text(response)
    assert response.status_code == 200
    assert BAKERY in text and GARAGE not in text
    assert "1 offre(s)." in text
    assert '<label class="label" for="f-q">Mots-clés</label>' in html
    field = search_field(html)
    assert 'name="q"' in field and 'type="search"' in field
    assert 'value="boulangère"' in field
    assert 'aria-describedby="f-q-hint"' in field and 'id="f-q-hint"' in html


def test_words_and_filters_together(pupil_client: Any) -> None:
    text = page_text(pupil_client.get("/offres/?q=boulangerie&sector=mecanique"))
    assert BAKERY not in text and GARAGE not in text
    text = page_text(pupil_client.get("/offres/?q=mecanicien&sector=mecanique"))
    assert GARAGE in text and BAKERY not in text


def test_nothing_matches_says_what_was_typed_and_what_to_try(pupil_client: Any) -> None:
    response = pupil_client.get("/offres/?q=trombone")
    text = page_text(response)
    assert "Aucune offre ne correspond à « trombone »." in text
    assert "Vérifie l'orthographe, essaie un autre mot" in text
    assert 'value="trombone"' in search_field(response.get_data(as_text=True))
    assert BAKERY not in text and GARAGE not in text


def test_typed_markup_is_shown_as_text(pupil_client: Any) -> None:
    html = pupil_client.get('/offres/?q=<b>"pain"</b>').get_data(as_text=True)
    assert "<b>" not in html
    assert 'value="&lt;b&gt;&#34;pain&#34;&lt;/b&gt;"' in search_field(html)
    assert BAKERY in html  # « pain » is a word of its description


def test_the_export_follows_the_words(pupil_client: Any) -> None:
    response = pupil_client.get("/offres/?q=hainaut&format=csv")
    body = response.get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(body), delimiter=";"))
    assert [row[1] for row in rows[1:]] == [GARAGE]


def test_adults_are_told_vous(app: Any, pupil_client: Any) -> None:
    client = app.test_client()
    login_as(client, make_teacher("prof-recherche@test.fr", first_school()))
    text = page_text(client.get("/offres/?q=trombone"))
    assert "Aucune offre ne correspond à « trombone »." in text
    assert "Vérifiez l'orthographe, essayez un autre mot" in text


def test_a_searching_pupil_is_shown_the_next_step_and_makes_a_wish(pupil_client: Any) -> None:
    """Found by a word, the offer's page tells the pupil what to do, and its button makes it a
    wish without going back through the sector pages."""
    html = pupil_client.get("/offres/?q=boulanger").get_data(as_text=True)
    link = re.search(r'<a href="(/offres/\d+)">' + re.escape(BAKERY), html)
    assert link, "no link to the offer"
    page = pupil_client.get(link.group(1))
    assert "Ajouter cette offre à mes vœux" in page_text(page)
    offer_id = link.group(1).rsplit("/", 1)[1]
    answer = pupil_client.post("/eleve/demande/add-offer",
                               data={"offer_id": offer_id, "back": "detail"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith(link.group(1))
    assert BAKERY in page_text(pupil_client.get("/eleve/demande"))
