"""A host structure signs up and posts an offer; a tutor acknowledges the materials."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import (
    Campaign,
    CampaignState,
    Company,
    Level,
    OutboxMessage,
    Role,
    User,
)
from stagebourse.services import companies
from stagebourse.services.campaigns import campaign_weeks
from stagebourse.services.demo import seed_demo
from stagebourse.services.materials import load_materials
from stagebourse.services.preparation import queue_preparation
from stagebourse.web.company.forms_offers import seats_field_name
from tests.e2e.conftest import assert_accessible, screenshot
from tests.factories import (
    assign,
    first_school,
    make_campaign,
    make_company,
    make_offer,
    make_pupil_user,
)


@pytest.fixture
def demo(app):
    seed_demo(today=dt.date.today())
    db.session.commit()  # as the demo command does: the live server reads it


def test_structure_signs_up_gets_validated_and_posts_an_offer(page, live_server, demo):
    page.goto(live_server + "/structures/inscription")
    assert_accessible(page)
    page.get_by_label("SIRET de l'établissement").fill("732 829 320 00074")
    page.get_by_label("Nom de la structure").fill("Boulangerie de l'Essai")
    page.get_by_label("Adresse", exact=True).fill("3 place d'Armes")
    page.get_by_label("Code postal").fill("59300")
    page.get_by_label("Commune", exact=True).select_option("59606")
    page.get_by_label("Personne à contacter").fill("Camille Essai")
    page.get_by_label("Votre nom").fill("Camille Essai")
    page.get_by_label("Votre adresse e-mail (identifiant)").fill("camille@boulangerie-essai.fr")
    page.get_by_label("Mot de passe", exact=True).fill("une phrase assez longue")
    page.get_by_label("Confirmez le mot de passe").fill("une phrase assez longue")
    page.get_by_role("button", name=re.compile("Inscrire|Créer", re.I)).click()
    # The answer is the same whether the address already had an account: check your mailbox,
    # then sign in.
    assert "Un e-mail vient d'être envoyé" in page.locator("body").inner_text()
    page.get_by_label("Adresse e-mail", exact=True).fill("camille@boulangerie-essai.fr")
    page.get_by_label("Mot de passe", exact=True).fill("une phrase assez longue")
    page.get_by_role("button", name="Se connecter", exact=True).click()
    assert "Boulangerie de l'Essai" in page.get_by_role("heading", level=1).inner_text()
    assert "validé" in page.locator("main").inner_text()

    # The steering group validates the structure (its own journey is tested elsewhere).
    company = db.session.scalar(select(Company).where(Company.siret == "73282932000074"))
    steering = db.session.scalar(select(User).where(User.role == Role.STEERING))
    companies.approve_company(steering, company)
    companies.verify_charter(steering, company)
    db.session.commit()  # as the steering page's request does

    page.get_by_role("link", name="Mes offres").click()
    page.get_by_role("link", name=re.compile("Nouvelle offre|Créer une offre", re.I)).first.click()
    page.get_by_label("Titre de l'offre").fill("Une semaine au fournil")
    page.get_by_label("Secteur").select_option(label="Hôtellerie, restauration et alimentation")
    page.get_by_label("Ce que l'élève verra et fera").fill(
        "Voir pétrir, façonner et cuire le pain ; découvrir la vente et l'hygiène.")
    page.get_by_label("Adresse du lieu de stage").fill("3 place d'Armes")
    page.get_by_label("Commune", exact=True).select_option("59606")
    page.get_by_label("Élèves de 3e").check()
    for day in ("Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi"):
        page.get_by_label(day, exact=True).fill("09:00-12:00 13:00-16:00")
    page.get_by_label("Nom du nouveau tuteur").fill("Dominique Fournier")
    page.get_by_label("Fonction du nouveau tuteur").fill("Chef boulanger")
    page.get_by_label("E-mail du nouveau tuteur").fill("dominique@boulangerie-essai.fr")
    third = db.session.scalar(select(Campaign).where(Campaign.level == Level.TROISIEME,
                                                     Campaign.state == CampaignState.OPEN))
    first_week, second_week = campaign_weeks(third)[:2]
    page.locator("#" + seats_field_name(first_week)).fill("2")
    page.locator("#" + seats_field_name(second_week)).fill("1")
    page.get_by_label(re.compile("^J'atteste")).check()
    assert_accessible(page)
    page.get_by_role("button", name=re.compile("Enregistrer|Publier", re.I)).click()
    assert "Une semaine au fournil" in page.locator("main").inner_text()
    assert_accessible(page)
    screenshot(page, "company-offer")


def test_tutor_reads_and_acknowledges_the_materials(page, live_server):
    load_materials()
    campaign = make_campaign([first_school()])
    offer = make_offer(make_company())
    pupil = make_pupil_user(code="TUTO-RIAL-0001").pupil
    run = assign(pupil, offer, "2027-W05", campaign).run
    queue_preparation(None, run)
    db.session.commit()
    message = db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.recipient == offer.tutor.email))
    link = re.search(r"https?://\S+/preparation/\S+", message.body_text).group(0)
    page.goto(live_server + link[link.index("/preparation/"):])
    assert_accessible(page)
    page.get_by_role("button", name=re.compile("J'ai lu", re.I)).click()
    assert re.search("merci|enregistr", page.locator("main").inner_text(), re.I)
    assert_accessible(page)
    screenshot(page, "tutor-acknowledged")
