"""The supply side through the browser: sign-up, validation, offers, browsing, import."""

import io
import re

import pytest
from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import (
    AssignmentState,
    CampaignState,
    Company,
    CompanyState,
    Offer,
    Role,
)
from tests.factories import (
    WEEK_A,
    WEEK_B,
    assign,
    first_school,
    make_campaign,
    make_company,
    make_offer,
    make_pupil_user,
    make_user,
)
from tests.offer_csv import offer_row, offers_csv
from tests.personas import login_as, page_text

SIGN_UP = {"siret": "73282932000074", "name": "Garage du Hainaut", "kind": "company",
           "address": "5 avenue de Denain", "postcode": "59300", "commune_code": "59606",
           "contact_name": "Sam Garage", "display_name": "Sam Garage",
           "email": "sam@garage-hainaut.fr", "password": "un mot de passe solide",
           "confirm": "un mot de passe solide"}


def offer_form(**overrides):
    data = {"title": "Découverte de la mécanique", "sector": "industrie",
            "description": "Tu suis un mécanicien et tu découvres le diagnostic des pannes.",
            "address": "5 avenue de Denain", "commune": "59606", "for_3e": "y", "min_age": "14",
            "tutor": "new", "tutor_name": "Rémi Chef", "tutor_job": "Chef d'atelier",
            "tutor_email": "remi@garage-hainaut.fr", "safety_attested": "y", "publish": "y",
            "seats_2027_W05": "2", "seats_2027_W06": "1"}
    for day in ("lundi", "mardi", "mercredi", "jeudi", "vendredi"):
        data[f"day_{day}"] = "09:00-12:00 13:00-16:00"
    data.update(overrides)
    return data


@pytest.fixture
def campaign(app):
    return make_campaign([first_school()])


def test_structure_signs_up_is_validated_posts_an_offer_and_a_pupil_finds_it(app, campaign):
    client = app.test_client()
    response = client.post("/structures/inscription", data=SIGN_UP)
    # Not signed in by the answer (it must not differ for an address that has an account):
    # the newcomer signs in, as the mail they receive says.
    assert response.status_code == 302 and response.location.endswith("/connexion")
    response = client.post("/connexion", data={"email": SIGN_UP["email"],
                                               "password": SIGN_UP["password"]})
    assert response.status_code == 302 and response.location.endswith("/structure/")
    company = db.session.scalar(select(Company).where(Company.siret == "73282932000074"))
    assert company.state == CompanyState.PENDING
    response = client.post("/structure/offres/nouvelle", data=offer_form())
    assert response.status_code == 302, page_text(response)
    offer = db.session.scalar(select(Offer))
    assert {w.week: w.seats for w in offer.weeks} == {WEEK_A: 2, WEEK_B: 1}

    pupil_client = app.test_client()
    pupil = make_pupil_user()
    login_as(pupil_client, pupil)
    empty = pupil_client.get("/offres/")
    assert empty.status_code == 200 and "Découverte de la mécanique" not in page_text(empty)
    assert pupil_client.get(f"/offres/{offer.id}").status_code == 404

    steering_client = app.test_client()
    login_as(steering_client, make_user(Role.STEERING, "pilotage@vm-test.fr"))
    pending = steering_client.get("/pilotage/structures?state=pending")
    assert "Garage du Hainaut" in page_text(pending)
    response = steering_client.post(f"/pilotage/structures/{company.id}/valider")
    assert response.status_code == 302
    assert company.state == CompanyState.VALIDATED
    # Validated, but its Charter signature not yet verified: still hidden (CHARTER_GATE).
    assert "Découverte de la mécanique" not in page_text(pupil_client.get("/offres/"))
    response = steering_client.post(f"/pilotage/structures/{company.id}/charte-verifiee")
    assert response.status_code == 302

    page = page_text(pupil_client.get("/offres/?sector=industrie&radius=10"))
    assert "Découverte de la mécanique" in page and "km" in page
    assert "Classées de la plus proche" in page
    detail = page_text(pupil_client.get(f"/offres/{offer.id}"))
    assert "Tu suis un mécanicien" in detail and "remi@garage-hainaut.fr" not in detail
    assert "Découverte de la mécanique" not in page_text(
        pupil_client.get("/offres/?sector=sante"))
    export = pupil_client.get("/offres/?format=csv&sector=industrie")
    assert export.mimetype == "text/csv" and "Découverte de la mécanique" in page_text(export)


def test_invalid_siret_is_refused_on_the_page_and_what_was_typed_is_kept(client, campaign):
    response = client.post("/structures/inscription", data={**SIGN_UP, "siret": "73282932000075"})
    text = page_text(response)
    assert response.status_code == 200
    assert "clé de contrôle est fausse" in text and "Garage du Hainaut" in text


@pytest.mark.committing  # join requests are counted by side writes (daily quotas)
def test_duplicate_siret_offers_to_ask_the_members(client, campaign):
    company = make_company()
    make_user(Role.COMPANY, "membre@atelier-test.fr", company=company)
    text = page_text(client.post("/structures/inscription", data=SIGN_UP))
    assert "déjà inscrite" in text and "Demander à rejoindre" in text
    response = client.post("/structures/rejoindre", data={
        "siret": company.siret, "name": "Léa", "email": "lea@atelier-test.fr"})
    assert response.status_code == 302


def test_forty_hour_week_and_night_schedule_are_refused_on_the_form(client, personas, campaign):
    login_as(client, personas["company"])
    long_days = {f"day_{d}": "08:00-12:00 13:00-17:00"
                 for d in ("lundi", "mardi", "mercredi", "jeudi", "vendredi")}
    text = page_text(client.post("/structure/offres/nouvelle", data=offer_form(**long_days)))
    assert "35 h par semaine" in text and "40 h" in text
    assert "Découverte de la mécanique" in text  # kept
    text = page_text(client.post("/structure/offres/nouvelle",
                                 data=offer_form(day_lundi="15:00-21:00")))
    assert "20:00 et 06:00" in text
    text = page_text(client.post("/structure/offres/nouvelle",
                                 data=offer_form(safety_attested="")))
    assert "D. 331-9" in text
    assert db.session.scalar(select(Offer)) is None


def test_seats_below_assigned_are_refused_on_the_form(client, personas, campaign):
    company = personas["company"].company
    offer = make_offer(company)
    assign(personas["pupil"].pupil, offer, WEEK_A, campaign, AssignmentState.CONFIRMED)
    campaign.state = CampaignState.PUBLISHED
    db.session.commit()
    login_as(client, personas["company"])
    data = offer_form(tutor=str(offer.tutor_id), seats_2027_W05="0")
    text = page_text(client.post(f"/structure/offres/{offer.id}/modifier", data=data))
    assert "1 élève(s) y sont déjà affecté(s)" in text


def test_edit_duplicate_and_withdraw_through_the_pages(client, personas, campaign):
    company = personas["company"].company
    offer = make_offer(company)
    login_as(client, personas["company"])
    form = page_text(client.get(f"/structure/offres/{offer.id}/modifier"))
    assert "09:00-12:00 13:00-16:00" in form
    response = client.post(f"/structure/offres/{offer.id}/dupliquer")
    assert response.status_code == 302
    response = client.post(f"/structure/offres/{offer.id}/retirer")
    assert response.status_code == 302 and offer.state.value == "withdrawn"
    assert db.session.query(Offer).count() == 2


def test_company_cannot_reach_another_structures_offer(client, personas, campaign):
    other = make_company(siret="35600000010000", name="Autre")
    offer = make_offer(other, new_tutor=None, tutor_id=other.tutors[0].id)
    login_as(client, personas["company"])
    assert client.get(f"/structure/offres/{offer.id}").status_code == 404
    assert client.post(f"/structure/offres/{offer.id}/retirer").status_code == 404


def test_company_page_never_shows_pupil_private_data(client, personas, campaign):
    company = personas["company"].company
    offer = make_offer(company)
    pupil = make_pupil_user(code="TEST-CODE-0009", first_name="Yasmine", last_name="Zerrouki",
                            qpv_resident=True, guardian_email="parent@famille-test.fr").pupil
    assignment = assign(pupil, offer, WEEK_A, campaign)
    login_as(client, personas["company"])
    assert "Yasmine" not in page_text(client.get("/structure/eleves"))
    campaign.state = CampaignState.PUBLISHED
    db.session.commit()
    # Published but not confirmed by both sides: the proposal is still blind.
    assert "Yasmine" not in page_text(client.get("/structure/eleves"))
    assignment.state = AssignmentState.CONFIRMED
    db.session.commit()
    text = page_text(client.get("/structure/eleves"))
    assert "Yasmine" in text and pupil.school.name in text
    for secret in ("Zerrouki", "2012", "04/03", "parent@famille-test.fr", "QPV"):
        assert secret not in text


def test_roles_outside_pupils_teachers_steering_cannot_browse(client, personas):
    login_as(client, personas["company"])
    assert client.get("/offres/").status_code == 403
    anonymous = client.application.test_client()
    assert anonymous.get("/offres/").status_code == 302


def test_csv_import_pages_preview_then_import_and_wrong_encoding(client, personas, campaign):
    login_as(client, personas["company"])
    template = client.get("/structure/offres/import/modele.csv")
    assert template.mimetype == "text/csv" and "reference;titre" in page_text(template)
    bad = offers_csv([offer_row(1)]).encode("cp1252")
    response = client.post("/structure/offres/import", data={
        "file": (io.BytesIO(bad), "offres.csv")}, content_type="multipart/form-data")
    assert response.status_code == 200
    assert "enregistrez le fichier en utf-8" in page_text(response).lower()
    rows = [offer_row(n) for n in range(1, 4)]
    rows[1]["niveaux"] = "CM2"
    response = client.post("/structure/offres/import", data={
        "file": (io.BytesIO(offers_csv(rows).encode()), "offres.csv")},
        content_type="multipart/form-data")
    text = page_text(response)
    assert "3e, 2de" in text or "Écrivez 3e" in text
    assert "niveaux" in text and ">3<" in response.get_data(as_text=True)
    assert db.session.query(Offer).count() == 0
    token = re.search(r"/structure/offres/import/([0-9a-f]{32})", text).group(1)
    response = client.post(f"/structure/offres/import/{token}", data={"only_valid": "y"})
    assert response.status_code == 302
    assert db.session.query(Offer).count() == 2


def test_charter_evidence_is_only_served_to_its_structure_and_the_steering_group(
        app, personas):
    client = app.test_client()
    login_as(client, personas["company"])
    response = client.post("/structure/charte", data={
        "signed_on": "2024-05-01", "evidence_file": (io.BytesIO(b"%PDF-1.4 x"), "c.pdf")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    assert client.get("/structure/charte/justificatif").data == b"%PDF-1.4 x"
    company_id = personas["company"].company_id
    other_client = app.test_client()
    other = make_company(siret="35600000010000", name="Autre")
    login_as(other_client, make_user(Role.COMPANY, "autre@atelier-test.fr", company=other))
    assert other_client.get("/structure/charte/justificatif").status_code == 404
    assert other_client.get(f"/pilotage/structures/{company_id}/justificatif").status_code == 403
    steering = app.test_client()
    login_as(steering, personas["steering"])
    assert steering.get(f"/pilotage/structures/{company_id}/justificatif").data == b"%PDF-1.4 x"


def test_invitation_by_email_makes_a_new_member(app, personas):
    client = app.test_client()
    login_as(client, personas["company"])
    client.post("/structure/membres", data={"email": "collegue@atelier-test.fr"})
    from stagebourse.models import OutboxMessage

    body = db.session.scalar(select(OutboxMessage.body_text).where(
        OutboxMessage.recipient == "collegue@atelier-test.fr"))
    path = "/structures/invitation/" + body.split("/structures/invitation/")[1].split()[0]
    newcomer = app.test_client()
    assert "collegue@atelier-test.fr" in page_text(newcomer.get(path))
    response = newcomer.post(path, data={"display_name": "Coline", "password": "x" * 12,
                                         "confirm": "x" * 12})
    assert response.status_code == 302
    assert len(personas["company"].company.members) == 2


def test_steering_supply_demand_and_signatories_pages(client, personas, campaign):
    make_offer(personas["company"].company)
    login_as(client, personas["steering"])
    text = page_text(client.get(f"/pilotage/offre-et-demande?campaign={campaign.id}"))
    assert "Industrie" in text and "semaine du lundi 1er février 2027" in text  # WEEK_A
    export = client.get("/pilotage/offre-et-demande?format=csv")
    assert "places_manquantes" in page_text(export)
    response = client.post("/pilotage/charte/import", data={
        "file": (io.BytesIO(b"siret\n73282932000074\n"), "signataires.csv")},
        content_type="multipart/form-data")
    assert "1 structure(s) retrouvée(s)" in page_text(response)


def test_csrf_protects_forms(app, personas, campaign):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    response = client.post("/structures/inscription", data=SIGN_UP)
    assert response.status_code == 400
    assert db.session.scalar(select(Company).where(Company.name == "Garage du Hainaut")) is None


def test_offer_form_offers_the_union_of_school_weeks_with_dates_and_given_coordinates(
        client, personas, campaign):
    from stagebourse.models import CampaignSchoolWeek

    campaign.school_weeks.append(CampaignSchoolWeek(school=first_school(index=1),
                                                    week="2027-W07"))
    db.session.commit()
    login_as(client, personas["company"])
    text = page_text(client.get("/structure/offres/nouvelle"))
    for label in ("01/02 – 05/02/2027", "08/02 – 12/02/2027", "15/02 – 19/02/2027"):
        assert label in text
    response = client.post("/structure/offres/nouvelle",
                           data=offer_form(tutor=str(personas["company"].company.tutors[0].id),
                                           lat="50.36", lon="3.5", seats_2027_W07="4"))
    assert response.status_code == 302
    offer = db.session.scalar(select(Offer))
    assert (offer.lat, offer.lon) == (50.36, 3.5)
    assert {w.week for w in offer.weeks} == {WEEK_A, WEEK_B, "2027-W07"}


def test_every_new_page_renders_for_its_role(app, personas, campaign):
    offer = make_offer(personas["company"].company)
    pages = {
        None: ["/structures/inscription"],
        "company": ["/structure/offres", "/structure/offres/nouvelle",
                    f"/structure/offres/{offer.id}", f"/structure/offres/{offer.id}/modifier",
                    "/structure/offres/import", "/structure/charte", "/structure/membres",
                    "/structure/eleves", "/structure/offres?format=csv",
                    "/structure/offres?state=draft&q=atelier"],
        "steering": ["/pilotage/structures", f"/pilotage/structures/{offer.company_id}",
                     "/pilotage/charte/import", "/pilotage/jetons-api",
                     "/pilotage/offre-et-demande", "/pilotage/structures?format=csv",
                     "/pilotage/structures?q=atelier&state=validated",
                     "/offres/", f"/offres/{offer.id}"],
        "teacher": ["/offres/?page=9", f"/offres/{offer.id}"],
        "pupil": ["/offres/?radius=abc&page=x", f"/offres/{offer.id}"],
    }
    for role, paths in pages.items():
        client = app.test_client()
        if role:
            login_as(client, personas[role])
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, (role, path)
            if response.mimetype == "text/html":
                body = response.get_data(as_text=True)
                assert "style=" not in body and "<script>" not in body
    teacher = app.test_client()
    login_as(teacher, personas["teacher"])
    assert "km" in page_text(teacher.get("/offres/"))  # measured from the teacher's school


def test_export_of_the_offers_reimports_without_duplicates(client, personas, campaign):
    company = personas["company"].company
    make_offer(company, external_ref="SITE-1")
    make_offer(company, external_ref="SITE-2", title="Deuxième site",
               new_tutor=None, tutor_id=company.tutors[0].id)
    login_as(client, personas["company"])
    exported = client.get("/structure/offres?format=csv").data
    response = client.post("/structure/offres/import", data={
        "file": (io.BytesIO(exported), "offres.csv")}, content_type="multipart/form-data")
    text = page_text(response)
    assert "2 valide(s), 0 avec erreur(s)" in text
    token = re.search(r"/structure/offres/import/([0-9a-f]{32})", text).group(1)
    assert client.post(f"/structure/offres/import/{token}").status_code == 302
    assert db.session.query(Offer).count() == 2
