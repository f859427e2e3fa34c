"""Every page of issue 6 renders, in French, for the right people; forms keep what was typed."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from html.parser import HTMLParser

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import Offer, OutboxMessage, Pupil, RequestState, Role, User
from stagebourse.services import requests
from tests.factories import (
    TEST_PASSWORD,
    UPCOMING_CAMPAIGN,
    UPCOMING_WEEK,
    first_school,
    make_campaign,
    make_company,
    make_offer,
    make_pupil_user,
    make_user,
)
from tests.personas import page_text

NOW = dt.datetime.now(dt.UTC)


def sign_in(client: FlaskClient, email: str) -> None:
    assert client.post("/connexion", data={"email": email,
                                           "password": TEST_PASSWORD}).status_code == 302


@pytest.fixture
def setting(app):
    school = first_school()
    teacher = make_user(Role.TEACHER, "prof@college-test.fr", school=school, validated_at=NOW)
    campaign = make_campaign([school], **UPCOMING_CAMPAIGN)
    offer = make_offer(make_company(), title="Infirmerie du quartier", sector_code="sante",
                       seats={UPCOMING_WEEK: 2})
    pupil_user = make_pupil_user(school)
    return {"teacher": teacher, "campaign": campaign, "offer": offer, "pupil": pupil_user}


def test_teacher_pages_render(client: FlaskClient, setting):
    sign_in(client, "prof@college-test.fr")
    pupil_id = setting["pupil"].pupil_id
    expectations = {
        "/professeur/": "Mes classes",
        "/professeur/import": "Importer une classe depuis un fichier CSV",
        "/professeur/eleves/nouveau": "Ajouter un élève",
        f"/professeur/eleves/{pupil_id}": "Consentement du responsable légal",
        f"/professeur/eleves/{pupil_id}/demande": "Vous remplissez la demande à la place",
        "/professeur/classes/3A": "code pas encore utilisé",
        "/professeur/classes/3A/codes": "les codes ne sont pas gardés en clair",
        "/professeur/collegues": "Collègues à valider",
    }
    for url, text in expectations.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert text.lower() in page_text(response).lower(), url
    export = client.get("/professeur/classes/3A/export.csv?etat=no_code_used")
    assert export.mimetype == "text/csv" and "Essai;Lina;3A" in export.get_data(as_text=True)


def test_teacher_adds_a_pupil_by_hand_and_a_duplicate_is_refused(client: FlaskClient, setting):
    sign_in(client, "prof@college-test.fr")
    data = {"last_name": "Nouveau", "first_name": "Adam", "birth_date": "2012-06-01",
            "class_name": "3A", "level": "3e", "gender": "M", "guardian_email": "",
            "qpv_resident": "oui"}
    assert client.post("/professeur/eleves/nouveau", data=data).status_code == 302
    page = page_text(client.post("/professeur/eleves/nouveau", data=data))
    assert "Un élève de même nom, prénom et date de naissance est déjà inscrit" in page
    assert 'value="Nouveau"' in page


def test_stale_edit_shows_a_clear_conflict_message(client: FlaskClient, setting):
    sign_in(client, "prof@college-test.fr")
    pupil = setting["pupil"].pupil
    stale = pupil.version
    pupil.class_name = "3D"  # a colleague saved meanwhile
    db.session.commit()
    page = page_text(client.post(f"/professeur/eleves/{pupil.id}", data={
        "last_name": "Essai", "first_name": "Lina", "birth_date": "2012-03-04",
        "class_name": "3E", "level": "3e", "gender": "", "qpv_resident": "",
        "version": str(stale)}))
    assert "a modifié cette fiche pendant que vous la modifiiez" in page
    db.session.expire_all()
    assert pupil.class_name == "3D"


def test_pupil_pages_render_and_explore_offers(client: FlaskClient, setting):
    client.post("/connexion/eleve", data={"code": "TEST-CODE-0001"})
    assert "Choisir et classer mes vœux" in page_text(client.get("/eleve/"))
    page = page_text(client.get("/eleve/offres"))
    assert "1 offre près de chez toi" in page
    page = page_text(client.get("/eleve/offres?secteur=sante"))
    assert "Infirmerie du quartier" in page
    assert client.get("/eleve/offres?secteur=inconnu").status_code == 404
    response = client.post("/eleve/demande/add-offer",
                           data={"offer_id": setting["offer"].id, "back": "offers",
                                 "secteur": "sante"})
    assert response.headers["Location"].endswith("/eleve/offres?secteur=sante")
    page = page_text(client.get("/eleve/demande"))
    assert "Infirmerie du quartier" in page
    assert "jamais utilisée pour choisir ton stage" in page
    assert "style=" not in page and "<script" not in page


class BrowserForms(HTMLParser):
    """What a browser would post from each form of a page (by its action): the value of each
    text or number input, of checked boxes and radios, the selected option (else the first);
    and every option offered by each select. Also counts the page's ids."""

    def __init__(self) -> None:
        super().__init__()
        self.posted: dict[str, dict[str, str]] = {}
        self.options: dict[str, list[str]] = {}
        self.ids: Counter[str] = Counter()
        self._form: dict[str, str] | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key: value or "" for key, value in attrs}
        if "id" in values:
            self.ids[values["id"]] += 1
        if tag == "form":
            self._form = self.posted.setdefault(values.get("action", ""), {})
        elif self._form is not None and tag == "input" and "name" in values:
            kind = values.get("type", "text")
            if kind not in ("checkbox", "radio") or "checked" in values:
                self._form[values["name"]] = values.get("value", "")
        elif self._form is not None and tag == "select":
            self._select = values["name"]
            self.options[self._select] = []
        elif self._form is not None and tag == "option" and self._select is not None:
            self.options[self._select].append(values["value"])
            if "selected" in values or self._select not in self._form:
                self._form[self._select] = values["value"]

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def read_forms(client: FlaskClient, url: str) -> BrowserForms:
    forms = BrowserForms()
    forms.feed(client.get(url).get_data(as_text=True))
    return forms


def test_the_request_pages_forms_show_what_was_saved_and_post_what_they_show(
        client: FlaskClient, setting):
    """The request editor's forms are written by hand in the template: read them as a browser
    does, post what they hold, and read the saved values back in them."""
    pupil = setting["pupil"].pupil
    client.post("/connexion/eleve", data={"code": "TEST-CODE-0001"})
    forms = read_forms(client, "/eleve/demande")
    assert forms.ids and max(forms.ids.values()) == 1, forms.ids  # labels find their input
    travel = forms.posted["/eleve/demande/preferences"]
    assert travel["max_travel_km"] == str(int(pupil.school.default_max_km))
    assert "needs_accessible" not in travel and travel["has_network"] == ""
    assert "csrf_token" in travel
    assert forms.options["sector_code"][0] == "" and "sante" in forms.options["sector_code"]
    assert forms.options["offer_id"] == [str(setting["offer"].id)]

    travel.update(max_travel_km="17", needs_accessible="y", has_network="non")
    client.post("/eleve/demande/preferences", data=travel)
    db.session.refresh(pupil)
    request = requests.request_of(pupil, setting["campaign"])
    assert (pupil.max_travel_km, pupil.needs_accessible, request.has_network) == (17, True, False)
    travel = read_forms(client, "/eleve/demande").posted["/eleve/demande/preferences"]
    assert {key: travel.get(key) for key in ("max_travel_km", "needs_accessible", "has_network")
            } == {"max_travel_km": "17", "needs_accessible": "y", "has_network": "non"}

    # Unticking and choosing not to answer: the page posts neither box nor answer.
    del travel["needs_accessible"]
    travel["has_network"] = ""
    client.post("/eleve/demande/preferences", data=travel)
    db.session.refresh(pupil)
    db.session.refresh(request)
    assert (pupil.needs_accessible, request.has_network) == (False, None)
    forms = read_forms(client, "/eleve/demande")
    assert "needs_accessible" not in forms.posted["/eleve/demande/preferences"]
    assert forms.posted["/eleve/demande/preferences"]["has_network"] == ""

    # The sector dropdown posts a sector's code; the wish is added.
    add_sector = forms.posted["/eleve/demande/add-sector"]
    add_sector["sector_code"] = "sante"
    client.post("/eleve/demande/add-sector", data=add_sector)
    assert [w.sector_code for w in request.wishes] == ["sante"]


def test_a_sector_with_many_offers_is_paged_nearest_first(client: FlaskClient, setting):
    company = setting["offer"].company
    # 25 more "santé" offers, each further north than the last (about 1.1 km apart).
    for i in range(1, 26):
        make_offer(company, title=f"Offre à {i:02d} pas", sector_code="sante",
                   seats={UPCOMING_WEEK: 2}, lat=50.358 + i / 100, lon=3.523)
    client.post("/connexion/eleve", data={"code": "TEST-CODE-0001"})
    first = page_text(client.get("/eleve/offres?secteur=sante"))
    assert "26 offres, de la plus proche à la plus lointaine" in first
    assert "Page 1 sur 2" in first
    assert "Infirmerie du quartier" in first and "Offre à 19 pas" in first
    assert "Offre à 20 pas" not in first
    second = page_text(client.get("/eleve/offres?secteur=sante&page=2"))
    assert "Page 2 sur 2" in second and "Offre à 20 pas" in second
    assert "Offre à 25 pas" in second and "Offre à 19 pas" not in second
    # A page beyond the last shows the last; adding an offer comes back to the same page.
    assert "Page 2 sur 2" in page_text(client.get("/eleve/offres?secteur=sante&page=9"))
    offer_id = db.session.scalar(select(Offer.id).where(Offer.title == "Offre à 22 pas"))
    response = client.post("/eleve/demande/add-offer", data={
        "offer_id": offer_id, "back": "offers", "secteur": "sante", "page": "2"})
    assert response.headers["Location"].endswith("/eleve/offres?secteur=sante&page=2")


def test_pupil_declares_an_internship_found_alone(client: FlaskClient, setting):
    client.post("/connexion/eleve", data={"code": "TEST-CODE-0001"})
    page = page_text(client.post("/eleve/demande/found-own", follow_redirects=True))
    assert "Coche la case" in page
    client.post("/eleve/demande/found-own", data={"sure": "oui"})
    pupil = setting["pupil"].pupil
    request = requests.request_of(pupil, setting["campaign"])
    assert request.state == RequestState.FOUND_OWN
    assert "Demande close" in page_text(client.get("/eleve/demande"))


def test_pupil_cannot_reach_another_pupil_or_teacher_pages(client: FlaskClient, setting):
    client.post("/connexion/eleve", data={"code": "TEST-CODE-0001"})
    assert client.get(f"/professeur/eleves/{setting['pupil'].pupil_id}").status_code == 403
    assert client.post("/eleve/demande/nimporte-quoi").status_code == 404


def test_teacher_sign_up_then_validation_by_the_steering_group(client: FlaskClient, setting):
    school = first_school(index=3)
    page = page_text(client.get("/inscription/professeur"))
    assert school.name in page
    response = client.post("/inscription/professeur", data={
        "display_name": "Nina Nouvelle", "email": "nina@college-test.fr",
        "school_id": str(school.id), "password": "un long mot de passe",
        "confirm": "un long mot de passe"})
    assert response.status_code == 302
    newcomer = db.session.scalar(select(User).where(User.email == "nina@college-test.fr"))
    assert newcomer.validated_at is None and newcomer.school_id == school.id
    make_user(Role.STEERING, "pilotage@agglo-test.fr")
    sign_in(client, "pilotage@agglo-test.fr")
    assert "Nina Nouvelle" in page_text(client.get("/pilotage/professeurs"))
    client.post(f"/pilotage/professeurs/{newcomer.id}/valider")
    db.session.expire_all()
    assert newcomer.validated_at is not None
    assert db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.idempotency_key == f"teacher-validated:{newcomer.id}")) is not None


def test_sign_up_form_keeps_what_was_typed_when_school_is_missing(client: FlaskClient, app):
    page = page_text(client.post("/inscription/professeur", data={
        "display_name": "Nina", "email": "nina@college-test.fr", "school_id": "0",
        "password": "un long mot de passe", "confirm": "un long mot de passe"}))
    assert "Choisissez votre établissement" in page
    assert 'value="nina@college-test.fr"' in page


def test_colleague_validates_a_pending_teacher_of_the_same_school(client: FlaskClient, setting):
    pending = make_user(Role.TEACHER, "attente@college-test.fr", school=first_school())
    sign_in(client, "prof@college-test.fr")
    assert "attente@college-test.fr" in page_text(client.get("/professeur/collegues"))
    client.post(f"/professeur/collegues/{pending.id}/valider")
    db.session.expire_all()
    assert pending.validated_at is not None


def test_consent_withdrawal_through_the_page(client: FlaskClient, setting):
    sign_in(client, "prof@college-test.fr")
    pupil = setting["pupil"].pupil
    client.post(f"/professeur/eleves/{pupil.id}/demande/add-sector",
                data={"sector_code": "sante"})
    client.post(f"/professeur/eleves/{pupil.id}/consentement",
                data={"consent_on": "2099-01-01", "method": "paper"})
    db.session.expire_all()
    assert pupil.consent_on is None  # a future date is refused
    client.post(f"/professeur/eleves/{pupil.id}/consentement",
                data={"consent_on": dt.date.today().isoformat(), "method": "in_person"})
    page = page_text(client.post(f"/professeur/eleves/{pupil.id}/consentement/retrait",
                                 data={"reason": "famille"}, follow_redirects=True))
    assert "1 demande(s) retirée(s) de la campagne" in page
    db.session.expire_all()
    assert db.session.get(Pupil, pupil.id).consent_on is None
    assert requests.request_of(pupil, setting["campaign"]).state == RequestState.WITHDRAWN


def test_a_wish_that_cannot_be_met_is_flagged_as_soon_as_it_is_added(client: FlaskClient,
                                                                      setting):
    client.post("/connexion/eleve", data={"code": "TEST-CODE-0001"})
    page = page_text(client.post("/eleve/demande/add-sector", data={"sector_code": "droit"},
                                 follow_redirects=True))
    assert "Vœu ajouté, mais attention : Aucune offre de ce secteur" in page
    assert "Choisis un autre secteur." in page
