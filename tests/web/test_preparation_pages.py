"""The tutor's personal link (public), and the steering group's materials and preparation pages."""

from __future__ import annotations

import io
import time

import itsdangerous.timed
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import CampaignState, Material, MaterialAcknowledgement, Tutor
from stagebourse.services.materials import load_materials
from stagebourse.services.preparation import make_token
from tests.factories import first_school, make_campaign, make_offer, make_pupil, make_run
from tests.personas import login_as, page_text

WEEK = "2027-W05"


@pytest.fixture
def placed(app: Flask, personas):
    """The persona company's tutor hosts one pupil in a published round."""
    load_materials()
    company = personas["company"].company
    tutor = company.tutors[0]
    campaign = make_campaign([first_school()])
    offer = make_offer(company, tutor=tutor)
    campaign.state = CampaignState.PUBLISHED
    make_run(campaign, [(make_pupil(first_name="Lina"), offer, WEEK)])
    return tutor, campaign


def test_tutor_opens_the_link_without_signing_in_and_acknowledges(
        client: FlaskClient, placed):
    tutor, campaign = placed
    url = f"/preparation/{make_token(tutor, campaign)}"
    response = client.get(url)
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
    page = page_text(response)
    assert "Bonjour Théo Tuteur" in page
    assert "Accueillir un ou une stagiaire sans discriminer" in page
    assert "J'ai lu ces documents" in page
    response = client.post(url, follow_redirects=True)
    page = page_text(response)
    assert "Votre lecture est enregistrée" in page
    assert "Vous avez confirmé avoir lu ces documents" in page
    assert db.session.query(MaterialAcknowledgement).count() == 5
    client.post(url)
    assert db.session.query(MaterialAcknowledgement).count() == 5


def test_a_tampered_link_is_refused_clearly(client: FlaskClient, placed):
    tutor, campaign = placed
    token = make_token(tutor, campaign)
    tampered = token[:10] + ("x" if token[10] != "x" else "y") + token[11:]
    response = client.get(f"/preparation/{tampered}")
    assert response.status_code == 400
    assert "Ce lien n'est pas valide" in page_text(response)
    assert client.post(f"/preparation/{tampered}").status_code == 400
    assert db.session.query(MaterialAcknowledgement).count() == 0


def test_an_expired_link_is_refused_with_410(client: FlaskClient, placed, monkeypatch):
    tutor, campaign = placed
    sixty_one_days_ago = int(time.time()) - 61 * 86400
    monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp",
                        lambda self: sixty_one_days_ago)
    token = make_token(tutor, campaign)
    monkeypatch.undo()
    response = client.get(f"/preparation/{token}")
    assert response.status_code == 410
    page = page_text(response)
    assert "Ce lien a expiré" in page
    assert "Demandez un nouveau lien" in page


def test_a_link_to_a_removed_tutor_is_refused_with_410(client: FlaskClient, placed):
    tutor, campaign = placed
    token = make_token(tutor, campaign)
    forged_id = Tutor(id=999_999, company_id=tutor.company_id, full_name="x", job_title="x",
                      email="x@atelier-test.fr")
    response = client.get(f"/preparation/{make_token(forged_id, campaign)}")
    assert response.status_code == 410
    assert client.get(f"/preparation/{token}").status_code == 200


def test_steering_dashboard_counts_the_acknowledgement_and_exports_the_rest(
        client: FlaskClient, personas, placed):
    tutor, campaign = placed
    login_as(client, personas["steering"])
    page = page_text(client.get(f"/pilotage/preparation?campaign={campaign.id}"))
    assert "0 %" in page and "Théo Tuteur" in page
    csv = client.get(f"/pilotage/preparation?campaign={campaign.id}&format=csv")
    assert "tuteur@atelier-test.fr" in csv.get_data(as_text=True)
    client.post(f"/preparation/{make_token(tutor, campaign)}")
    page = page_text(client.get(f"/pilotage/preparation?campaign={campaign.id}"))
    assert "100 %" in page
    assert "Tous les tuteurs ont confirmé leur lecture avant le premier jour" in page


def test_steering_lists_filters_and_exports_materials(client: FlaskClient, personas, placed):
    login_as(client, personas["steering"])
    page = page_text(client.get("/pilotage/supports?audience=pupil"))
    assert "Préparer ton stage d'observation" in page
    assert "Filles, garçons et métiers" not in page
    csv = client.get("/pilotage/supports?format=csv").get_data(as_text=True)
    assert "tuteur-regles-accueil-mineur" in csv


def test_steering_edits_a_material_into_a_new_version_rendered_safely(
        client: FlaskClient, personas, placed):
    login_as(client, personas["steering"])
    response = client.post("/pilotage/supports/eleve-preparer-son-stage/modifier", data={
        "title": "Préparer ton stage", "audience": "pupil",
        "body_md": "## Avant\n\n<script>alert(1)</script> **Bienvenue**",
    }, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Nouvelle version enregistrée (version 2)" in page_text(response)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page
    assert "<strong>Bienvenue</strong>" in page
    versions = db.session.scalars(select(Material.version).where(
        Material.slug == "eleve-preparer-son-stage").order_by(Material.version)).all()
    assert versions == [1, 2]


def test_steering_creates_a_material_and_a_bad_slug_keeps_what_was_typed(
        client: FlaskClient, personas, placed):
    login_as(client, personas["steering"])
    response = client.post("/pilotage/supports/nouveau", data={
        "slug": "Mauvais Slug", "title": "Un titre gardé", "audience": "teacher",
        "body_md": "Un texte gardé"})
    page = page_text(response)
    assert "Minuscules sans accent" in page
    assert 'value="Un titre gardé"' in page and "Un texte gardé" in page
    response = client.post("/pilotage/supports/nouveau", data={
        "slug": "professeur-fiche", "title": "Fiche", "audience": "teacher",
        "body_md": "Texte"}, follow_redirects=True)
    assert "Support créé" in page_text(response)


def test_unknown_material_is_404(client: FlaskClient, personas, placed):
    login_as(client, personas["steering"])
    assert client.get("/pilotage/supports/inconnu").status_code == 404


PDF = b"%PDF-1.4\n% document d'essai\n%%EOF\n"


def test_steering_attaches_a_pdf_that_the_tutor_downloads_through_the_link(
        app: Flask, client: FlaskClient, personas, placed, tmp_path):
    app.config["PRIVATE_FILES_DIR"] = str(tmp_path)
    tutor, campaign = placed
    login_as(client, personas["steering"])
    slug = "tuteur-regles-accueil-mineur"
    response = client.post(f"/pilotage/supports/{slug}/modifier", data={
        "title": "Accueillir un mineur", "audience": "tutor", "body_md": "Texte.",
        "attachment": (io.BytesIO(PDF), "regles.pdf")}, follow_redirects=True)
    assert "Nouvelle version enregistrée (version 2)" in page_text(response)
    with client.get(f"/pilotage/supports/{slug}/document") as download:
        assert download.data == PDF
    client.post("/deconnexion")
    token = make_token(tutor, campaign)
    page = page_text(client.get(f"/preparation/{token}"))
    assert "Télécharger le document joint (PDF)" in page
    with client.get(f"/preparation/{token}/document/{slug}") as download:
        assert download.status_code == 200 and download.data == PDF
    assert client.get(f"/preparation/{token}x/document/{slug}").status_code == 400
    # Pupil materials are not served through a tutor's link.
    assert client.get(f"/preparation/{token}/document/eleve-preparer-son-stage").status_code \
        == 404


def test_an_attachment_that_is_not_a_pdf_is_refused_and_the_text_is_kept(
        app: Flask, client: FlaskClient, personas, placed, tmp_path):
    app.config["PRIVATE_FILES_DIR"] = str(tmp_path)
    login_as(client, personas["steering"])
    response = client.post("/pilotage/supports/eleve-preparer-son-stage/modifier", data={
        "title": "Titre gardé", "audience": "pupil", "body_md": "Texte gardé",
        "attachment": (io.BytesIO(b"MZ\x90\x00 not a pdf"), "virus.pdf")})
    page = page_text(response)
    assert "Le document joint doit être un PDF" in page
    assert 'value="Titre gardé"' in page and "Texte gardé" in page
    assert list(tmp_path.rglob("*.pdf")) == []
