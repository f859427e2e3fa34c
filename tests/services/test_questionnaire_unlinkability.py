"""Unlinkable by construction (issue 9, docs/privacy.md): each point tested on the real schema
of the test database, SQLite or PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from stagebourse.extensions import db
from stagebourse.models import JournalEntry, OutboxMessage, Priority, QuestionnaireResponse
from stagebourse.services import questionnaires
from stagebourse.services.accounts import hash_code, new_access_code
from tests.scenarios import AFTER, emailed_code, finished_campaign, responses

pytestmark = pytest.mark.committing  # reads storage order through connections of its own

IDENTIFYING = ("pupil", "user", "tutor", "code", "invitation", "ip", "addr", "agent", "session",
               "created", "time", "_at", "email", "name")


def columns(table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(db.engine).get_columns(table)}


def test_a_response_row_has_no_column_that_could_point_to_a_person(app):
    # Strata only: level, school type, the school's priority area, QPV residence (Fiche 1).
    assert columns("questionnaire_responses") == {
        "id", "questionnaire_id", "level", "school_kind", "priority_area", "qpv_resident",
        "answered_week", "answers"}
    for name in columns("questionnaire_responses"):
        assert not any(word in name for word in IDENTIFYING if word != "name"), name


def test_a_response_row_has_no_foreign_key_but_its_questionnaire(app):
    keys = sa.inspect(db.engine).get_foreign_keys("questionnaire_responses")
    assert [(k["referred_table"], k["constrained_columns"]) for k in keys] == [
        ("questionnaires", ["questionnaire_id"])]
    # And no other table points at a response either.
    for table in sa.inspect(db.engine).get_table_names():
        for key in sa.inspect(db.engine).get_foreign_keys(table):
            assert key["referred_table"] != "questionnaire_responses", table


def test_an_invitation_holds_a_hash_and_coarse_strata_only(app):
    assert columns("questionnaire_invitations") == {
        "id", "campaign_id", "respondent", "code_hash", "level", "school_kind", "sheet_id",
        "priority_area", "qpv_resident"}
    keys = sa.inspect(db.engine).get_foreign_keys("questionnaire_invitations")
    assert sorted(k["referred_table"] for k in keys) == ["campaigns", "questionnaire_sheets"]
    # A paper code's sheet is a class of a school: no pupil, no name, no time.
    assert columns("questionnaire_sheets") == {"id", "campaign_id", "school_id", "class_name"}
    keys = sa.inspect(db.engine).get_foreign_keys("questionnaire_sheets")
    assert sorted(k["referred_table"] for k in keys) == ["campaigns", "schools"]


def test_the_list_of_invited_people_holds_no_code_and_no_invitation(app):
    names = columns("questionnaire_invitees")
    assert not {n for n in names if "code" in n and n != "code_issued"}
    assert not {n for n in names if "hash" in n or "invitation" in n}
    keys = sa.inspect(db.engine).get_foreign_keys("questionnaire_invitees")
    assert "questionnaire_invitations" not in {k["referred_table"] for k in keys}


def test_ids_are_random_text_not_a_sequence(app):
    for table in ("questionnaire_responses", "questionnaire_invitations"):
        (pk,) = [c for c in sa.inspect(db.engine).get_columns(table) if c["name"] == "id"]
        assert isinstance(pk["type"], sa.String), table
    done = finished_campaign(by_email=3, on_paper=0)
    questionnaires.invite(None, done.campaign, AFTER)
    for pupil in done.by_email:
        questionnaires.submit_answers(emailed_code(pupil.guardian_email), {})
    ids = [r.id for r in responses()]
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)
    assert len(set(ids)) == 3


def test_the_answer_date_is_the_monday_of_the_week_and_has_no_time(app):
    (week,) = [c for c in sa.inspect(db.engine).get_columns("questionnaire_responses")
               if c["name"] == "answered_week"]
    assert isinstance(week["type"], sa.Date) and not isinstance(week["type"], sa.DateTime)
    done = finished_campaign(by_email=1, on_paper=0)
    questionnaires.invite(None, done.campaign, AFTER)
    questionnaires.submit_answers(emailed_code(done.by_email[0].guardian_email), {},
                                  today=dt.date(2027, 2, 12))  # a Friday
    (response,) = responses()
    assert response.answered_week == dt.date(2027, 2, 8)
    raw = db.session.execute(sa.text("SELECT answered_week FROM questionnaire_responses")).scalar()
    assert str(raw)[:10] == "2027-02-08" and len(str(raw)) <= 10


def test_storage_order_is_not_answer_order(app):
    done = finished_campaign(by_email=20, on_paper=0)
    questionnaires.invite(None, done.campaign, AFTER)
    for number, pupil in enumerate(done.by_email):
        questionnaires.submit_answers(emailed_code(pupil.guardian_email),
                                      {"comment": [f"réponse {number:02d}"]})
    db.session.expire_all()
    raw = [row[0] for row in db.session.execute(
        sa.text("SELECT answers FROM questionnaire_responses")).all()]
    # PostgreSQL's driver decodes JSON, SQLite's returns the text.
    stored = [(value if isinstance(value, dict) else json.loads(value))["comment"]
              for value in raw]
    answer_order = [f"réponse {n:02d}" for n in range(20)]
    assert sorted(stored) == answer_order
    assert stored != answer_order  # the table as stored, without ORDER BY
    by_id = [r.answers["comment"] for r in db.session.scalars(
        select(QuestionnaireResponse).order_by(QuestionnaireResponse.id))]
    assert by_id != answer_order  # the only order the service ever uses


def test_answering_writes_no_journal_and_no_mail(app):
    done = finished_campaign(by_email=1, on_paper=0)
    questionnaires.invite(None, done.campaign, AFTER)
    journal = db.session.scalar(select(func.count()).select_from(JournalEntry))
    outbox = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    questionnaires.submit_answers(emailed_code(done.by_email[0].guardian_email),
                                  {"remarks": ["origin"]})
    assert db.session.scalar(select(func.count()).select_from(JournalEntry)) == journal
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == outbox


def test_invitation_rows_are_not_stored_in_the_order_of_the_people(app):
    done = finished_campaign(by_email=20, on_paper=0)
    questionnaires.invite(None, done.campaign, AFTER)
    in_pupil_order = [hash_code(emailed_code(p.guardian_email))
                      for p in done.by_email]
    stored = [row[0] for row in db.session.execute(sa.text(
        "SELECT code_hash FROM questionnaire_invitations WHERE respondent = 'pupil'")).all()]
    assert sorted(stored) == sorted(in_pupil_order)
    assert stored != in_pupil_order


def test_the_printed_slips_follow_neither_the_class_list_nor_the_storage_order(app):
    from stagebourse.models import Role
    from tests.factories import first_school, make_user

    done = finished_campaign(by_email=0, on_paper=24)
    questionnaires.invite(None, done.campaign, AFTER)
    teacher = make_user(Role.TEACHER, "prof@college-test.fr", school=first_school(),
                        validated_at=dt.datetime.now(dt.UTC))
    printed = [hash_code(code) for code in
               questionnaires.print_class_sheet(teacher, done.campaign, "3B")]
    db.session.flush()
    stored = [row[0] for row in db.session.execute(sa.text(
        "SELECT code_hash FROM questionnaire_invitations WHERE sheet_id IS NOT NULL"))]
    by_id = [row[0] for row in db.session.execute(sa.text(
        "SELECT code_hash FROM questionnaire_invitations WHERE sheet_id IS NOT NULL "
        "ORDER BY id"))]
    assert sorted(printed) == sorted(stored)
    # Two independent draws: the slip a pupil takes says nothing of where its row lies.
    assert printed != stored and printed != by_id


def test_the_development_access_log_drops_questionnaire_lines(app, caplog):
    code = new_access_code()
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        logging.getLogger("werkzeug").info('127.0.0.1 - - "POST /questionnaire/reponses" 200')
        logging.getLogger("werkzeug").info('127.0.0.1 - - "GET /connexion" 200')
    assert "/questionnaire" not in caplog.text and "/connexion" in caplog.text
    assert code not in caplog.text


def test_the_priority_area_and_qpv_strata_follow_the_code_to_the_answer_and_its_mixing(app):
    """Fiche 1's breakdown: the school's REP/REP+ status and the pupil's QPV residence go from
    the invitation to the response, and mixing the responses keeps them (nothing else does)."""
    done = finished_campaign(by_email=2, on_paper=0)
    school = done.by_email[0].school
    school.priority = Priority.REP_PLUS
    done.by_email[0].qpv_resident, done.by_email[1].qpv_resident = True, False
    db.session.commit()
    questionnaires.invite(None, done.campaign, AFTER)
    for pupil in done.by_email:
        questionnaires.submit_answers(emailed_code(pupil.guardian_email), {})
    db.session.commit()

    def strata() -> list[tuple]:
        return sorted((r.priority_area, r.qpv_resident) for r in responses())

    assert strata() == [("REP+", False), ("REP+", True)]
    questionnaires.mix_responses(done.campaign)
    db.session.commit()
    db.session.expire_all()
    assert strata() == [("REP+", False), ("REP+", True)]
