"""After publication: the pupil's home shows the placement and its answer deadline, the answer
goes through a confirmation then a "what next" page, the family e-mail and the printed sheet
give the full address, hours, dates in words, tutor and what to bring; the preparation pages
show the materials, and no mail announces documents it does not carry."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import CampaignState, OutboxMessage, Role, RunState
from stagebourse.services import matching
from stagebourse.services.matching import RunOptions
from stagebourse.services.materials import load_materials
from stagebourse.services.requests import add_wish, confirm_request
from tests.factories import (
    WEEK_A,
    first_school,
    make_campaign,
    make_company,
    make_offer,
    make_pupil_user,
    make_teacher,
    make_user,
)
from tests.personas import login_as, page_text

pytestmark = pytest.mark.database

GUARDIAN = "famille.placement@parents-test.fr"


def placed(materials: bool = True, publish: bool = True):
    """One pupil (15 on the first day), one seat in week 2027-W05 (Monday 1 February), a
    teacher; the round computed and, unless told, published."""
    if materials:
        load_materials()
    school = first_school()
    campaign = make_campaign([school], weeks=[WEEK_A],
                             confirmation_deadline=dt.date(2027, 1, 20))
    steering = make_user(Role.STEERING, "pilote@metropole-test.fr")
    teacher = make_teacher("prof.placement@college-test.fr", school)
    offer = make_offer(make_company(), seats={WEEK_A: 1})
    pupil = make_pupil_user(school, first_name="Maëlle", last_name="Placée",
                            birth_date=dt.date(2011, 6, 1), guardian_email=GUARDIAN)
    add_wish(pupil, pupil.pupil, offer_id=offer.id)
    confirm_request(pupil, pupil.pupil)
    campaign.state = CampaignState.CLOSED
    run = matching.run_round(steering, campaign, RunOptions(seed=4))
    if publish:
        matching.publish(steering, run)
    db.session.commit()
    [assignment] = run.assignments
    return pupil, teacher, assignment


def family_facts(text: str, bring: bool = True) -> None:
    assert "12 rue de Famars" in text and "59300 Valenciennes" in text
    assert "du lundi 1er février au vendredi 5 février 2027" in text
    assert "09:00-12:00 13:00-16:00" in text
    assert "Théo Tuteur" in text
    assert not bring or "convention de stage signée" in text  # what to bring
    assert "2027-02-01" not in text and "1 février" not in text


def test_home_shows_the_placement_and_its_deadline_then_confirm_and_next_step(client, app):
    pupil, _teacher, assignment = placed()
    login_as(client, pupil)
    home = page_text(client.get("/eleve/"))
    assert "Ton stage" in home and "mercredi 20 janvier 2027" in home
    family_facts(home, bring=False)
    page = page_text(client.post(f"/eleve/affectation/{assignment.id}/accept",
                                 follow_redirects=True))
    assert "Accepter ce stage ?" in page
    page = page_text(client.post(f"/eleve/affectation/{assignment.id}/accept",
                                 data={"confirm": "1"}, follow_redirects=True))
    assert "Et maintenant ?" in page and "La structure doit encore confirmer" in page
    assert "convention" in page


def test_the_family_mail_and_the_printed_sheet_say_everything(client, app):
    pupil, teacher, assignment = placed()
    mail = db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.recipient == GUARDIAN, OutboxMessage.template == "assignment_pupil"))
    family_facts(mail.body_text)
    family_facts(page_text_of(mail.body_html))
    assert "mercredi 20 janvier 2027" in mail.body_text
    login_as(client, pupil)
    family_facts(page_text(client.get(f"/eleve/affectation/{assignment.id}/fiche")))
    other = app.test_client()
    login_as(other, teacher)
    sheet = other.get(f"/professeur/affectations/{assignment.id}/fiche")
    assert sheet.status_code == 200
    family_facts(page_text(sheet))
    assert "Maëlle Placée" in page_text(sheet)


def test_no_sheet_before_publication(client, app):
    pupil, _teacher, assignment = placed(publish=False)
    assert assignment.run.state == RunState.DONE
    login_as(client, pupil)
    assert client.get(f"/eleve/affectation/{assignment.id}/fiche").status_code == 404
    assert client.get(f"/eleve/affectation/{assignment.id}/suite").status_code == 404


def test_preparation_pages_show_the_materials(client, app):
    pupil, teacher, _assignment = placed()
    login_as(client, pupil)
    page = page_text(client.get("/eleve/preparation"))
    assert "Préparer mon stage" in page and "<article" in page
    other = app.test_client()
    login_as(other, teacher)
    page = page_text(other.get("/professeur/preparation"))
    assert "Pour vous" in page and "Pour vos élèves" in page
    assert page.count("<article") >= 2


@pytest.mark.parametrize("materials", [True, False])
def test_no_mail_announces_documents_it_does_not_carry(app, materials):
    placed(materials=materials)
    mails = db.session.scalars(select(OutboxMessage)).all()
    announcing = [m for m in mails if "documents" in m.body_text]
    assert announcing  # the preparation mails of the round
    for mail in announcing:
        carries = "====" in mail.body_text  # a material's title line
        links = re.search(r"https?://\S+", mail.body_text)
        assert carries or links, mail.template
    by_template = {m.template for m in announcing if "====" in m.body_text}
    assert ("pupil_preparation" in by_template) == materials


def page_text_of(body_html: str) -> str:
    import html

    return html.unescape(re.sub(r"<[^>]+>", " ", body_html)).replace("\xa0", " ")


def test_the_demo_loads_the_preparation_materials(app):
    from stagebourse.models import Audience
    from stagebourse.services.materials import current_materials
    from tests.scenarios import demo_campaign

    demo_campaign()
    for audience in (Audience.PUPIL, Audience.TEACHER, Audience.TUTOR):
        assert current_materials(audience), audience
