"""A pupil under 15 on the first day without guardian consent is left out of the round: the
pupil, the teacher, the class board, the round's audit and a reminder all say so."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import (
    CampaignState,
    ConsentMethod,
    OutboxMessage,
    Request,
    RequestState,
    Role,
    Wish,
)
from stagebourse.services import matching, pupils
from stagebourse.services.consent import send_consent_reminders
from stagebourse.services.matching import RunOptions
from stagebourse.services.requests import add_wish, confirm_request
from tests.factories import (
    first_school,
    make_campaign,
    make_offer,
    make_pupil,
    make_pupil_user,
    make_teacher,
    make_user,
)
from tests.personas import login_as, page_text


def _confirmed(pupil_user, actor=None):
    add_wish(actor or pupil_user, pupil_user.pupil, sector_code="industrie")
    confirm_request(actor or pupil_user, pupil_user.pupil)
    db.session.commit()


def test_the_pupil_home_says_consent_is_missing_and_whom_to_ask(client, personas):
    make_campaign([first_school()])
    pupil = personas["pupil"]  # born 2012: 14 on the first day of February 2027
    _confirmed(pupil)
    login_as(client, pupil)
    page = page_text(client.get("/eleve/"))
    assert "Il manque l'accord de ta famille" in page
    assert personas["teacher"].display_name in page  # whom to ask
    assert "ne comptera que lorsque l'accord de ta famille sera enregistré" in page

    pupils.record_consent(personas["teacher"], pupil.pupil, dt.date(2026, 12, 1),
                          ConsentMethod.PAPER)
    db.session.commit()
    page = page_text(client.get("/eleve/"))
    assert "Il manque l'accord" not in page and "Ta demande est confirmée." in page


def test_a_fifteen_year_old_is_not_asked_for_consent(client, app):
    make_campaign([first_school()])
    older = make_pupil_user(birth_date=dt.date(2011, 6, 1))  # 15 on 1 February 2027
    _confirmed(older)
    login_as(client, older)
    assert "Il manque l'accord" not in page_text(client.get("/eleve/"))


def test_the_teacher_is_warned_on_confirming_and_the_board_counts(client, personas):
    make_campaign([first_school()])
    teacher, pupil = personas["teacher"], personas["pupil"].pupil
    make_pupil(first_name="Yanis", last_name="Avecaccord", consent_on=dt.date(2026, 11, 2),
               consent_method=ConsentMethod.EMAIL)
    db.session.commit()
    login_as(client, teacher)
    client.post(f"/professeur/eleves/{pupil.id}/demande/add-sector",
                data={"sector_code": "industrie"})
    page = page_text(client.post(f"/professeur/eleves/{pupil.id}/demande/confirm",
                                 follow_redirects=True))
    assert "aucun consentement du responsable légal n'est enregistré" in page
    assert db.session.scalar(select(Request.state).where(
        Request.pupil_id == pupil.id)) == RequestState.CONFIRMED
    board = page_text(client.get("/professeur/classes/3A"))
    assert "1 élève de la classe aura moins de 15 ans" in board
    # The count is the class's, whatever the filter shows.
    assert "1 élève de la classe" in page_text(client.get("/professeur/classes/3A?etat=assigned"))


def test_the_consent_method_reads_in_words(client, personas):
    make_campaign([first_school()])
    pupil = personas["pupil"].pupil
    login_as(client, personas["teacher"])
    client.post(f"/professeur/eleves/{pupil.id}/consentement",
                data={"consent_on": "2026-12-03", "method": "paper"})
    page = page_text(client.get(f"/professeur/eleves/{pupil.id}"))
    assert "(sur papier)" in page and "(paper)" not in page


def test_the_round_page_and_audit_count_the_pupils_left_out_by_reason(client, app):
    school, other_school = first_school(), first_school(index=2)
    campaign = make_campaign([school])  # the other school has no internship week
    steering = make_user(Role.STEERING, "pilote@metropole-test.fr")
    make_offer(make_user(Role.COMPANY, "m@a.fr", company=_company()).company)
    no_consent = make_pupil_user(first_name="Sans", last_name="Accord")
    _confirmed(no_consent)
    placed = make_pupil_user(first_name="Avec", last_name="Accord",
                             consent_on=dt.date(2026, 11, 1), consent_method=ConsentMethod.PAPER)
    _confirmed(placed)
    no_week = make_pupil_user(other_school, first_name="Sans", last_name="Semaine",
                              consent_on=dt.date(2026, 11, 1),
                              consent_method=ConsentMethod.PAPER)
    add_wish(no_week, no_week.pupil, sector_code="industrie")
    for request in db.session.scalars(select(Request)):
        request.state = RequestState.CONFIRMED
    wishless = make_pupil(first_name="Sans", last_name="Voeu", consent_on=dt.date(2026, 11, 1),
                          consent_method=ConsentMethod.PAPER)
    db.session.add(Request(campaign=campaign, pupil=wishless, state=RequestState.CONFIRMED))
    campaign.state = CampaignState.CLOSED
    db.session.commit()
    assert db.session.scalar(select(Wish.id).join(Request).where(
        Request.pupil_id == wishless.id)) is None

    run = matching.run_round(steering, campaign, RunOptions(seed=3))
    db.session.commit()
    assert [a.pupil_id for a in run.assignments] == [placed.pupil_id]
    login_as(client, steering)
    page = page_text(client.get(f"/pilotage/tours/{run.id}"))
    assert ("1 sans consentement du responsable légal (moins de 15 ans le premier jour), "
            "1 sans vœu, 1 sans âge connu au premier jour") in page
    csv = client.get(f"/pilotage/tours/{run.id}?format=csv&table=left-out").get_data(
        as_text=True)
    assert "sans consentement du responsable légal" in csv and ";1" in csv


def _company():
    from tests.factories import make_company

    return make_company(siret="35600000049837", name="Garage Essai")


def test_teachers_get_one_reminder_listing_their_own_pupils(app, personas):
    make_campaign([first_school(), first_school(index=1)])  # wishes until 10 January 2027
    _confirmed(personas["pupil"])
    other = make_pupil_user(first_school(index=1), first_name="Nour", last_name="Ailleurs")
    _confirmed(other)
    colleague = make_teacher("prof2@test.fr", first_school(index=1))
    db.session.commit()

    assert send_consent_reminders(today=dt.date(2026, 12, 4)) == 0  # too early (10 days)
    assert send_consent_reminders(today=dt.date(2027, 1, 2)) == 2
    db.session.commit()
    assert send_consent_reminders(today=dt.date(2027, 1, 5)) == 0  # once per campaign
    mails = {m.recipient: m for m in db.session.scalars(select(OutboxMessage))}
    mine = mails[personas["teacher"].email].body_text
    assert "Essai Lina (3A)" in mine and "Ailleurs" not in mine
    assert "dimanche 10 janvier 2027" in mine
    assert "Essai" not in mails[colleague.email].body_text
    assert send_consent_reminders(today=dt.date(2027, 1, 11)) == 0  # after the deadline
