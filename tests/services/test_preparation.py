"""Preparing tutors, pupils and teachers when a round is published; reminders; dashboard."""

from __future__ import annotations

import datetime as dt
from html import unescape

import pytest
from flask import Flask
from sqlalchemy import select, update

from stagebourse.extensions import db
from stagebourse.models import (
    CampaignState,
    MaterialAcknowledgement,
    OutboxMessage,
    Role,
    RunState,
    utcnow,
)
from stagebourse.services import ServiceError
from stagebourse.services.materials import load_materials
from stagebourse.services.outbox import deliver_due
from stagebourse.services.preparation import (
    acknowledge,
    first_day,
    make_token,
    preparation_dashboard,
    prepare_tutors,
    queue_preparation,
    read_token,
    send_due_reminders,
)
from tests.factories import (
    first_school,
    make_campaign,
    make_company,
    make_offer,
    make_pupil,
    make_run,
    make_tutor,
    make_user,
)
from tests.smtp_server import LoopbackSmtp

pytestmark = pytest.mark.database

WEEK = "2027-W05"  # Monday 1 February 2027


@pytest.fixture
def round_(app: Flask):
    """A published round: two tutors (one with two pupils), a teacher of the pupils' school."""
    load_materials()
    company = make_company()
    first_tutor = company.tutors[0]
    second_tutor = make_tutor(company, "Inès Tutrice", "ines@atelier-test.fr")
    campaign = make_campaign([first_school()])
    offer_a = make_offer(company, tutor=first_tutor)
    offer_b = make_offer(company, tutor=second_tutor)
    campaign.state = CampaignState.PUBLISHED
    pupils = [make_pupil(first_name="Lina", guardian_email="parent.lina@famille-test.fr"),
              make_pupil(first_name="Sami"),
              make_pupil(first_name="Noé", guardian_email="parent.noe@famille-test.fr")]
    teacher = make_user(Role.TEACHER, "prof@college-test.fr", school=pupils[0].school,
                        validated_at=utcnow())
    run = make_run(campaign, [(pupils[0], offer_a, WEEK), (pupils[1], offer_a, "2027-W06"),
                              (pupils[2], offer_b, "2027-W06")])
    return {"run": run, "campaign": campaign, "tutors": [first_tutor, second_tutor],
            "teacher": teacher, "pupils": pupils}


def keys() -> list[str]:
    return sorted(db.session.scalars(select(OutboxMessage.idempotency_key)).all())


def test_publication_queues_tutor_pupil_and_teacher_mails_once(app: Flask, round_):
    summary = queue_preparation(None, round_["run"])
    db.session.commit()
    assert (summary.tutors, summary.guardians, summary.teachers) == (2, 2, 1)
    campaign_id = round_["campaign"].id
    first_tutor, second_tutor = round_["tutors"]
    assert keys() == sorted([
        f"preparation:tutor:{campaign_id}:{first_tutor.id}",
        f"preparation:tutor:{campaign_id}:{second_tutor.id}",
        f"preparation:pupil:{campaign_id}:{round_['pupils'][0].id}",
        f"preparation:pupil:{campaign_id}:{round_['pupils'][2].id}",
        f"preparation:teacher:{campaign_id}:{round_['teacher'].id}",
    ])
    queue_preparation(None, round_["run"])
    db.session.commit()
    assert len(keys()) == 5


def test_publication_rolled_back_queues_nothing(app: Flask, round_):
    queue_preparation(None, round_["run"])
    db.session.rollback()
    assert keys() == []


def test_prepare_tutors_refuses_a_round_still_running(app: Flask, round_):
    round_["run"].state = RunState.RUNNING
    db.session.commit()
    with pytest.raises(ServiceError, match="n'est pas terminé"):
        prepare_tutors(None, round_["run"])


@pytest.mark.committing  # side writes (throttle, rate counter, outbox)
def test_worker_delivers_the_preparation_mails_with_a_working_personal_link(
        app: Flask, round_, smtp_server: LoopbackSmtp):
    prepare_tutors(None, round_["run"])
    db.session.commit()  # as the request would, before the worker claims
    assert deliver_due("test").sent == 5
    [tutor_mail] = smtp_server.received_by("tuteur@atelier-test.fr")
    assert tutor_mail["Subject"] == "Préparer l'accueil de votre stagiaire (Stages de 3e 2027)"
    text = tutor_mail.get_body(("plain",)).get_content()
    assert "lundi 1 février 2027" in text
    assert "2 élèves arrivent" in text
    assert "Accueillir un ou une stagiaire sans discriminer" in text
    assert "vous êtes tuteur ou tutrice d'un stage d'observation" in text
    link = next(line for line in text.splitlines() if "/preparation/" in line).strip()
    tutor, campaign = read_token(link.rsplit("/", 1)[1])
    assert tutor == round_["tutors"][0] and campaign == round_["campaign"]
    [guardian_mail] = smtp_server.received_by("parent.lina@famille-test.fr")
    html = unescape(guardian_mail.get_body(("html",)).get_content())
    assert "<h2>Préparer ton stage d'observation</h2>" in html
    assert "39 28" in html
    assert "<h3>Pendant le stage</h3>" in html  # the material's own headings sit below
    [teacher_mail] = smtp_server.received_by("prof@college-test.fr")
    assert "3 élèves de votre établissement ont obtenu un stage" in (
        teacher_mail.get_body(("plain",)).get_content())


def test_acknowledging_records_every_current_tutor_material_once(app: Flask, round_):
    tutor, campaign = round_["tutors"][0], round_["campaign"]
    assert len(acknowledge(tutor, campaign)) == 5
    assert acknowledge(tutor, campaign) == []
    assert db.session.query(MaterialAcknowledgement).count() == 5


def test_dashboard_counts_tutors_who_acknowledged_before_the_first_day(app: Flask, round_):
    first_tutor, second_tutor = round_["tutors"]
    campaign = round_["campaign"]
    acknowledge(first_tutor, campaign)
    steering = make_user(Role.STEERING, "pilotage@test.fr")
    dashboard = preparation_dashboard(steering, campaign)
    assert dashboard.tutors == 2
    assert dashboard.acknowledged_in_time == 1
    assert dashboard.share == 0.5
    assert [row.tutor for row in dashboard.not_in_time] == [second_tutor]
    # Acknowledging after the internship started does not count as "before the first day".
    acknowledge(second_tutor, campaign)
    late = dt.datetime(2027, 2, 9, 9, tzinfo=dt.UTC)
    db.session.execute(update(MaterialAcknowledgement)
                       .where(MaterialAcknowledgement.tutor_id == second_tutor.id)
                       .values(acknowledged_at=late))
    db.session.commit()
    dashboard = preparation_dashboard(steering, campaign)
    assert dashboard.acknowledged_in_time == 1
    assert dashboard.not_in_time[0].acknowledged_at == late


def test_reminders_go_to_tutors_who_have_not_acknowledged_once_per_step(app: Flask, round_):
    first_tutor, second_tutor = round_["tutors"]
    campaign = round_["campaign"]
    prepare_tutors(None, round_["run"])
    db.session.execute(update(OutboxMessage).values(
        created_at=dt.datetime(2027, 1, 1, tzinfo=dt.UTC)))
    db.session.commit()
    acknowledge(second_tutor, campaign)
    monday = first_day(WEEK)
    # Three weeks before: nothing due yet.
    assert send_due_reminders(monday - dt.timedelta(days=21)) == 0
    # Ten days before: the 14-day reminder, once, and only to the tutor who did not read.
    assert send_due_reminders(monday - dt.timedelta(days=10)) == 1
    reminder = db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.idempotency_key.like("preparation:remind:%")))
    assert reminder.recipient == first_tutor.email
    assert reminder.subject == "Rappel : votre stagiaire arrive dans 10 jours"
    assert "/preparation/" in reminder.body_text
    assert send_due_reminders(monday - dt.timedelta(days=9)) == 0
    # Two days before: the 3-day reminder.
    assert send_due_reminders(monday - dt.timedelta(days=2)) == 1
    reminders = [k for k in keys() if k.startswith("preparation:remind:")]
    assert reminders == [f"preparation:remind:{campaign.id}:{first_tutor.id}:14",
                         f"preparation:remind:{campaign.id}:{first_tutor.id}:3"]
    # On the first day and after: no more reminders.
    assert send_due_reminders(monday) == 0


def test_no_reminder_in_the_first_days_after_the_preparation_mail(app: Flask, round_):
    """A round published 5 days before the internship: the 14-day step is already due, but
    a reminder on the heels of the first mail would be noise."""
    prepare_tutors(None, round_["run"])
    monday = first_day(WEEK)
    published = dt.datetime.combine(monday - dt.timedelta(days=5), dt.time(9), tzinfo=dt.UTC)
    db.session.execute(update(OutboxMessage).values(created_at=published))
    db.session.commit()
    assert send_due_reminders(monday - dt.timedelta(days=5)) == 0
    assert send_due_reminders(monday - dt.timedelta(days=2)) == 2


def test_remind_tutors_command(app: Flask, round_):
    result = app.test_cli_runner().invoke(args=["remind", "tutors", "--today", "2026-01-01"])
    assert result.exit_code == 0, result.output
    assert "0 rappel(s) mis en file d'envoi." in result.output


def test_a_token_for_another_campaign_or_tutor_cannot_be_forged(app: Flask, round_):
    token = make_token(round_["tutors"][0], round_["campaign"])
    with pytest.raises(ServiceError, match="n'est pas valide"):
        read_token(token[:-2] + ("AA" if not token.endswith("AA") else "BB"))


def test_prepare_command_queues_a_published_round_once(app: Flask, round_):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["prepare", str(round_["run"].id)])
    assert result.exit_code == 0, result.output
    assert "2 tuteur(s), 2 famille(s), 1 professeur(s)" in result.output
    runner.invoke(args=["prepare", str(round_["run"].id)])
    assert len(keys()) == 5
    result = runner.invoke(args=["prepare", "999999"])
    assert result.exit_code != 0 and "Aucun tour d'affectation n° 999999" in result.output
