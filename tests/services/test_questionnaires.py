"""Return questionnaires: invitations, one-use codes, versions, reminders."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from stagebourse.extensions import db
from stagebourse.models import (
    InvitationChannel,
    JournalEntry,
    OutboxMessage,
    OutboxState,
    Questionnaire,
    QuestionnaireInvitation,
    QuestionnaireInvitee,
    QuestionnaireState,
    Respondent,
    Role,
)
from stagebourse.services import ServiceError, questionnaires
from stagebourse.services.accounts import hash_code
from stagebourse.services.journal import Event
from tests.factories import first_school, make_user
from tests.scenarios import AFTER, emailed_code, finished_campaign, responses


def count(model) -> int:  # noqa: ANN001
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_finished_campaign_emails_codes_to_guardians_and_tutors(app):
    done = finished_campaign(by_email=3, on_paper=2)
    summary = questionnaires.invite(None, done.campaign, AFTER)
    assert (summary.pupils_by_email, summary.pupils_for_class_sheet, summary.tutors) == (3, 2, 1)
    # Codes exist for the e-mailed pupils and the tutor; the paper ones wait for the teacher.
    assert count(QuestionnaireInvitation) == 4
    codes = {emailed_code(p.guardian_email) for p in done.by_email}
    codes.add(emailed_code(done.tutor.email))
    assert len(codes) == 4
    stored = set(db.session.scalars(select(QuestionnaireInvitation.code_hash)))
    assert stored == {hash_code(c) for c in codes}
    assert not any(code in stored for code in codes)  # only hashes are kept


def test_inviting_again_invites_nobody_twice(app):
    done = finished_campaign()
    questionnaires.invite(None, done.campaign, AFTER)
    with pytest.raises(ServiceError, match="ont déjà reçu leur code"):
        questionnaires.invite(None, done.campaign, AFTER)
    assert count(QuestionnaireInvitation) == 4


def test_no_code_before_the_internship_week_is_over(app):
    done = finished_campaign()
    with pytest.raises(ServiceError, match="après la semaine de stage"):
        questionnaires.invite(None, done.campaign, dt.date(2027, 2, 4))


def test_a_code_opens_the_questionnaire_once(app):
    done = finished_campaign()
    questionnaires.invite(None, done.campaign, AFTER)
    code = emailed_code(done.by_email[0].guardian_email)
    assert questionnaires.open_questionnaire(code).respondent == Respondent.PUPIL
    result = questionnaires.submit_answers(code, {"matched_wish": ["yes"], "remarks": ["name"]})
    assert result.reported_discrimination
    with pytest.raises(ServiceError) as used:
        questionnaires.submit_answers(code, {"matched_wish": ["no"]})
    with pytest.raises(ServiceError) as unknown:
        questionnaires.submit_answers("ABCD-EFGH-JKMN", {"matched_wish": ["no"]})
    assert str(used.value) == str(unknown.value)  # nothing says the code ever existed
    assert len(responses()) == 1


def test_answering_deletes_the_invitation_rather_than_marking_it(app):
    done = finished_campaign()
    questionnaires.invite(None, done.campaign, AFTER)
    before = count(QuestionnaireInvitation)
    questionnaires.submit_answers(emailed_code(done.tutor.email), {"again": ["yes"]})
    assert count(QuestionnaireInvitation) == before - 1


def test_answers_keep_only_known_options_and_bounded_text(app):
    done = finished_campaign()
    questionnaires.invite(None, done.campaign, AFTER)
    code = emailed_code(done.by_email[0].guardian_email)
    questionnaires.submit_answers(code, {
        "matched_wish": ["maybe-not-an-option"], "remarks": ["origin", "none", "hack"],
        "email": ["eleve@famille-test.fr"], "comment": ["x" * 5000]})
    (response,) = responses()
    assert response.answers == {"remarks": ["origin"], "comment": "x" * 1000}


def test_no_report_no_help(app):
    done = finished_campaign()
    questionnaires.invite(None, done.campaign, AFTER)
    result = questionnaires.submit_answers(emailed_code(done.by_email[0].guardian_email),
                                           {"remarks": ["none"], "treatment": ["none"]})
    assert not result.reported_discrimination


def test_teacher_prints_the_class_sheet_once(app):
    done = finished_campaign(by_email=1, on_paper=3)
    questionnaires.invite(None, done.campaign, AFTER)
    teacher = make_user(Role.TEACHER, "prof@college-test.fr", school=first_school(),
                        validated_at=dt.datetime.now(dt.UTC))
    assert list(questionnaires.class_sheet_pupils(teacher, done.campaign)) == ["3B"]
    codes = questionnaires.print_class_sheet(teacher, done.campaign, "3B")
    assert len(codes) == len(set(codes)) == 3
    assert count(QuestionnaireInvitation) == 1 + 1 + 3
    with pytest.raises(ServiceError, match="déjà été imprimés"):
        questionnaires.print_class_sheet(teacher, done.campaign, "3B")
    questionnaires.submit_answers(codes[0], {"matched_wish": ["partly"]})
    assert len(responses()) == 1


def test_a_reprint_replaces_the_unused_codes_of_the_sheet_only(app):
    done = finished_campaign(by_email=1, on_paper=3)
    questionnaires.invite(None, done.campaign, AFTER)
    teacher = make_user(Role.TEACHER, "prof@college-test.fr", school=first_school(),
                        validated_at=dt.datetime.now(dt.UTC))
    first = questionnaires.print_class_sheet(teacher, done.campaign, "3B")
    questionnaires.submit_answers(first[0], {"matched_wish": ["yes"]})
    (sheets,) = questionnaires.class_sheets_waiting(teacher)
    assert sheets.to_print == {} and sheets.reprintable == {"3B": 2}
    again = questionnaires.reprint_class_sheet(teacher, done.campaign, "3B")
    assert len(again) == 2 and not set(again) & set(first)
    for old in first:  # the lost slips no longer work; the used one stays used
        with pytest.raises(ServiceError):
            questionnaires.open_questionnaire(old)
    emailed = emailed_code(done.by_email[0].guardian_email)
    questionnaires.open_questionnaire(emailed)  # other codes are untouched
    assert count(QuestionnaireInvitation) == 1 + 1 + 2
    for code in again:
        questionnaires.submit_answers(code, {"matched_wish": ["no"]})
    assert len(responses()) == 3
    with pytest.raises(ServiceError, match="tous les codes imprimés ont servi"):
        questionnaires.reprint_class_sheet(teacher, done.campaign, "3B")
    entries = db.session.scalars(select(JournalEntry).where(
        JournalEntry.action == Event.QUESTIONNAIRES_CLASS_SHEET_REPRINTED)).all()
    assert [e.details for e in entries] == [{"class_name": "3B", "count": 2}]


def test_reminders_go_once_to_those_invited_by_email(app):
    done = finished_campaign(by_email=2, on_paper=1)
    questionnaires.invite(None, done.campaign, AFTER)
    assert questionnaires.send_reminders(None, done.campaign, 7, AFTER + dt.timedelta(days=3)) == 0
    assert questionnaires.send_reminders(None, done.campaign, 7, AFTER + dt.timedelta(days=8)) == 3
    assert questionnaires.send_reminders(None, done.campaign, 7, AFTER + dt.timedelta(days=9)) == 0
    reminder = db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.template == "questionnaire_reminder").limit(1))
    assert "Nous ne pouvons pas le renvoyer" in reminder.body_text


def test_sent_invitations_lose_their_code(app):
    done = finished_campaign(by_email=1, on_paper=0)
    questionnaires.invite(None, done.campaign, AFTER)
    for message in db.session.scalars(select(OutboxMessage)):
        message.state, message.sent_at = OutboxState.SENT, dt.datetime.now(dt.UTC)
    db.session.commit()
    assert questionnaires.redact_sent_codes() == 2
    assert all("XXXX-XXXX-XXXX" in m.body_text for m in db.session.scalars(
        select(OutboxMessage)))


def test_invitees_record_the_channel_never_the_code(app):
    done = finished_campaign(by_email=1, on_paper=1)
    questionnaires.invite(None, done.campaign, AFTER)
    channels = {i.pupil_id: i.channel for i in db.session.scalars(select(QuestionnaireInvitee))
                if i.pupil_id}
    assert channels == {done.by_email[0].id: InvitationChannel.EMAIL,
                        done.on_paper[0].id: InvitationChannel.CLASS_SHEET}


# Versions --------------------------------------------------------------------------------------

def test_default_questionnaires_are_valid_and_all_optional(app):
    for respondent in Respondent:
        title, questions = questionnaires.validate_questionnaire(
            questionnaires.default_questionnaire(respondent))
        assert questions[-1]["kind"] == "text" and "nom" in questions[-1]["warning"]
        assert not any(q.get("required") for q in questions)


@pytest.mark.parametrize(("document", "message"), [
    ("[]", "objet JSON avec « title »"),
    ('{"title": "T", "questions": [{"id": "a", "kind": "text", "text": "?"}]}',
     "Question 1 : une zone de texte libre doit avoir un « warning »"),
    ('{"title": "T", "questions": [{"id": "a", "kind": "choice", "text": "?", "required": true,'
     ' "options": []}]}', "toutes les questions restent facultatives"),
    ('{"title": "T", "questions": [{"id": "a", "kind": "choice", "text": "?", "options": '
     '[{"value": "x", "label": "X"}]}]}', "au moins deux réponses possibles"),
    ('{"title": "T", "questions": [{"id": "a", "kind": "sector", "text": "?"}, '
     '{"id": "a", "kind": "sector", "text": "?"}]}', "Question 2 : l'identifiant « a »"),
    ("{oops", r"pas du JSON valide \(ligne 1, colonne 2\)"),
])
def test_invalid_questionnaires_are_refused_with_the_reason(app, document, message):
    done = finished_campaign()
    steering = make_user(Role.STEERING, "pilote@agglo-test.fr")
    questionnaire = questionnaires.ensure_questionnaires(steering, done.campaign)[0]
    with pytest.raises(ServiceError, match=message):
        questionnaires.save_questionnaire(steering, questionnaire, document)


def test_editing_after_answers_creates_a_new_version(app):
    done = finished_campaign()
    steering = make_user(Role.STEERING, "pilote@agglo-test.fr")
    pupil_q = questionnaires.ensure_questionnaires(steering, done.campaign)[0]
    document = questionnaires.questionnaire_json(pupil_q).replace(
        "Ton stage : qu'en as-tu pensé ?", "Ton stage, en deux minutes")
    same = questionnaires.save_questionnaire(steering, pupil_q, document)
    assert same.id == pupil_q.id and same.version == 1
    questionnaires.invite(None, done.campaign, AFTER)
    questionnaires.submit_answers(emailed_code(done.by_email[0].guardian_email),
                                  {"matched_wish": ["yes"]})
    newer = questionnaires.save_questionnaire(steering, pupil_q, document.replace(
        "deux minutes", "trois minutes"))
    assert newer.version == 2 and newer.state == QuestionnaireState.IN_USE
    assert pupil_q.state == QuestionnaireState.CLOSED
    assert responses()[0].questionnaire_id == pupil_q.id
    # Codes still unused answer the newest version.
    code = emailed_code(done.by_email[1].guardian_email)
    assert questionnaires.open_questionnaire(code).id == newer.id
    assert count(Questionnaire) == 3


def test_the_invite_command_sends_the_codes_and_says_how_many(app):
    done = finished_campaign(by_email=2, on_paper=1)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["questionnaires", "invite", "--campaign",
                                 str(done.campaign.id), "--today", AFTER.isoformat()])
    assert result.exit_code == 0, result.output
    assert "2 élève(s) invité(s) par courriel, 1 code(s) à imprimer" in result.output
    again = runner.invoke(args=["questionnaires", "invite", "--campaign",
                                str(done.campaign.id), "--today", AFTER.isoformat()])
    assert again.exit_code == 1 and "ont déjà reçu leur code" in again.output
    missing = runner.invoke(args=["questionnaires", "invite", "--campaign", "999"])
    assert missing.exit_code == 2 and "Aucune campagne n° 999" in missing.output
    reminded = runner.invoke(args=["questionnaires", "remind", "--campaign",
                                   str(done.campaign.id), "--days", "1"])
    assert reminded.exit_code == 0 and "rappel(s) mis en file" in reminded.output
