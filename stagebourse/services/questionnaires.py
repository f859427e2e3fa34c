"""Return questionnaires: versions edited by the steering group, invitation codes when an
internship ends, and anonymous answers.

Unlinkability is built in (docs/privacy.md): a code exists only as a hash with the campaign,
level and school kind; answering deletes it; a response has no pupil, code, address, agent,
session or time of day, and its row is written among re-written older rows so that storage
order says nothing of answer order. Nothing here journals or logs a code or an answer.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update

from stagebourse import clock
from stagebourse.extensions import db
from stagebourse.identifiers import week_monday
from stagebourse.models import (
    Assignment,
    AssignmentState,
    Campaign,
    InvitationChannel,
    MatchingRun,
    Offer,
    OutboxMessage,
    OutboxState,
    Pupil,
    Questionnaire,
    QuestionnaireInvitation,
    QuestionnaireInvitee,
    QuestionnaireResponse,
    QuestionnaireState,
    Respondent,
    RunState,
    Sector,
    Tutor,
    User,
)
from stagebourse.services import ServiceError, journal
from stagebourse.services.accounts import hash_code, new_access_code
from stagebourse.services.notifications import public_url, queue_email
from stagebourse.services.policy import Action, require
from stagebourse.services.reference import SEED_DIR

QUESTIONNAIRES_DIR = SEED_DIR / "questionnaires"
DONE_STATES = (AssignmentState.CONFIRMED, AssignmentState.COMPLETED)
KINDS = ("choice", "multi", "sector", "text")
DEFAULT_REMINDER_DAYS = 7
# How many earlier responses are re-written with each new one (see _write_response).
SHUFFLE_WIDTH = 4
_ID_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_CODE_RE = re.compile(r"\b[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}\b")
_rng = random.SystemRandom()

# The same words for a made-up code, a mistyped code and a code already used: the answer
# page must not tell anyone whether a code ever existed or whether its owner has answered.
CODE_REFUSED = _l("Ce code ne fonctionne pas : vérifie-le sur ton papier ou dans le courriel "
                  "(les tirets sont facultatifs). Un code ne sert qu'une fois.")


# Questions ------------------------------------------------------------------------------------

def default_questionnaire(respondent: Respondent) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (QUESTIONNAIRES_DIR / f"{respondent.value}.json").read_text("utf-8"))
    return data


def validate_questionnaire(data: Any) -> tuple[str, list[dict[str, Any]]]:
    """Check a questionnaire document; return (title, questions) or raise ServiceError saying
    exactly what is wrong and where."""
    if not isinstance(data, dict):
        raise ServiceError(_l("Le questionnaire doit être un objet JSON avec « title » et "
                              "« questions »."))
    title = data.get("title")
    if not isinstance(title, str) or not title.strip() or len(title) > 200:
        raise ServiceError(_l("« title » doit être un texte de 1 à 200 caractères."))
    questions = data.get("questions")
    if not isinstance(questions, list) or not questions:
        raise ServiceError(_l("« questions » doit être une liste non vide."))
    seen: set[str] = set()
    for number, question in enumerate(questions, start=1):
        _validate_question(number, question, seen, last=number == len(questions))
    return title.strip(), questions


def _validate_question(number: int, question: Any, seen: set[str], *, last: bool) -> None:
    def refuse(message: str) -> ServiceError:
        return ServiceError(_l("Question %(n)s : %(problem)s", n=number, problem=message))

    if not isinstance(question, dict):
        raise refuse(str(_l("chaque question est un objet JSON.")))
    qid = question.get("id")
    if not isinstance(qid, str) or not _ID_RE.match(qid):
        raise refuse(str(_l("« id » doit être un identifiant en minuscules (lettres, chiffres, "
                            "_), par exemple « matched_wish ».")))
    if qid in seen:
        raise refuse(str(_l("l'identifiant « %(id)s » est déjà utilisé.", id=qid)))
    seen.add(qid)
    if question.get("required"):
        raise refuse(str(_l("toutes les questions restent facultatives : retirez "
                            "« required ».")))
    kind = question.get("kind")
    if kind not in KINDS:
        raise refuse(str(_l("« kind » doit valoir choice, multi, sector ou text.")))
    text = question.get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > 400:
        raise refuse(str(_l("« text » doit être un texte de 1 à 400 caractères.")))
    if kind == "text":
        if not last:
            raise refuse(str(_l("la zone de texte libre doit être la dernière question.")))
        warning = question.get("warning")
        if not isinstance(warning, str) or not warning.strip():
            raise refuse(str(_l("une zone de texte libre doit avoir un « warning » qui "
                                "demande de n'écrire aucun nom.")))
        length = question.get("max_length", 1000)
        if not isinstance(length, int) or not 1 <= length <= 2000:
            raise refuse(str(_l("« max_length » doit être un entier de 1 à 2000.")))
    if kind in ("choice", "multi"):
        options = question.get("options")
        if not isinstance(options, list) or len(options) < 2:
            raise refuse(str(_l("au moins deux réponses possibles dans « options ».")))
        values: set[str] = set()
        for option in options:
            if (not isinstance(option, dict) or not isinstance(option.get("value"), str)
                    or not _ID_RE.match(option["value"]) and option["value"] not in "FMX"
                    or not isinstance(option.get("label"), str) or not option["label"].strip()):
                raise refuse(str(_l("chaque réponse possible a une « value » (identifiant) "
                                    "et un « label » (texte).")))
            if option["value"] in values:
                raise refuse(str(_l("la réponse « %(v)s » apparaît deux fois.",
                                    v=option["value"])))
            values.add(option["value"])
    if question.get("discrimination") and kind != "multi":
        raise refuse(str(_l("« discrimination » ne s'emploie que sur une question à choix "
                            "multiples.")))


def current_questionnaire(campaign: Campaign, respondent: Respondent) -> Questionnaire | None:
    return db.session.scalar(
        select(Questionnaire).where(Questionnaire.campaign_id == campaign.id,
                                    Questionnaire.respondent == respondent)
        .order_by(Questionnaire.version.desc()).limit(1))


def current_questionnaires(campaign: Campaign) -> list[Questionnaire]:
    """The campaign's questionnaires as they are (read-only: the campaign's creation, or the
    first invitation, created them)."""
    found = (current_questionnaire(campaign, respondent) for respondent in Respondent)
    return [questionnaire for questionnaire in found if questionnaire is not None]


def _ensure(campaign: Campaign, respondent: Respondent) -> Questionnaire:
    existing = current_questionnaire(campaign, respondent)
    if existing is not None:
        return existing
    title, questions = validate_questionnaire(default_questionnaire(respondent))
    questionnaire = Questionnaire(campaign_id=campaign.id, respondent=respondent, version=1,
                                  title=title, questions=questions)
    db.session.add(questionnaire)
    db.session.flush()
    return questionnaire


def ensure_questionnaires(actor: User | None, campaign: Campaign) -> list[Questionnaire]:
    """The campaign's two questionnaires, created from the defaults the first time."""
    require(actor, Action.STEER_QUESTIONNAIRES, campaign)
    created = [r for r in Respondent if current_questionnaire(campaign, r) is None]
    result = [_ensure(campaign, r) for r in Respondent]
    if created:
        journal.record(actor, "questionnaires.created", campaign,
                       respondents=[r.value for r in created])
        db.session.flush()
    return result


def response_count(questionnaire: Questionnaire) -> int:
    return db.session.scalar(select(func.count()).select_from(QuestionnaireResponse).where(
        QuestionnaireResponse.questionnaire_id == questionnaire.id)) or 0


def save_questionnaire(actor: User, questionnaire: Questionnaire, text: str) -> Questionnaire:
    """Replace the questions. Once someone has answered, the answered version is kept as it
    was and a new version is created (answers always refer to the questions they answered)."""
    require(actor, Action.STEER_QUESTIONNAIRES, questionnaire)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ServiceError(_l("Le texte n'est pas du JSON valide (ligne %(line)s, colonne "
                              "%(col)s) : %(msg)s", line=error.lineno, col=error.colno,
                              msg=error.msg)) from None
    title, questions = validate_questionnaire(data)
    latest = current_questionnaire_by_id(questionnaire)
    if latest.id != questionnaire.id:
        raise ServiceError(_l("Une version plus récente existe : modifiez la version %(v)s.",
                              v=latest.version))
    if response_count(questionnaire):
        questionnaire.state = QuestionnaireState.CLOSED
        questionnaire = Questionnaire(
            campaign_id=questionnaire.campaign_id, respondent=questionnaire.respondent,
            version=questionnaire.version + 1, title=title, questions=questions,
            state=QuestionnaireState.IN_USE)
        db.session.add(questionnaire)
        db.session.flush()
    else:
        questionnaire.title = title
        questionnaire.questions = questions
    journal.record(actor, "questionnaire.edited", questionnaire,
                   version=questionnaire.version)
    db.session.flush()
    return questionnaire


def _latest(campaign_id: int, respondent: Respondent) -> Questionnaire:
    """The current version for this campaign and respondent (one always exists once made)."""
    campaign = db.session.get(Campaign, campaign_id)
    assert campaign is not None
    latest = current_questionnaire(campaign, respondent)
    assert latest is not None
    return latest


def current_questionnaire_by_id(questionnaire: Questionnaire) -> Questionnaire:
    return _latest(questionnaire.campaign_id, questionnaire.respondent)


def questionnaire_json(questionnaire: Questionnaire) -> str:
    return json.dumps({"title": questionnaire.title, "questions": questionnaire.questions},
                      ensure_ascii=False, indent=2)


# Invitations ----------------------------------------------------------------------------------

@dataclass
class InviteSummary:
    pupils_by_email: int = 0
    pupils_for_class_sheet: int = 0
    tutors: int = 0
    not_finished_yet: int = 0

    @property
    def total(self) -> int:
        return self.pupils_by_email + self.pupils_for_class_sheet + self.tutors


def _internship_over(week: str, today: dt.date) -> bool:
    return week_monday(week) + dt.timedelta(days=4) < today


def finished_internships(campaign: Campaign) -> list[tuple[Pupil, str, Tutor | None]]:
    """Pupils whose assignment of a published round is confirmed or completed, with the week
    and the offer's tutor."""
    rows = db.session.execute(
        select(Pupil, Assignment.week, Offer.tutor_id)
        .join(Assignment, Assignment.pupil_id == Pupil.id)
        .join(MatchingRun, MatchingRun.id == Assignment.run_id)
        .join(Offer, Offer.id == Assignment.offer_id)
        .where(MatchingRun.campaign_id == campaign.id, MatchingRun.state == RunState.PUBLISHED,
               Assignment.state.in_(DONE_STATES))
        .order_by(Pupil.id)).all()
    tutors = {t.id: t for t in db.session.scalars(
        select(Tutor).where(Tutor.id.in_({r[2] for r in rows if r[2] is not None})))}
    return [(pupil, week, tutors.get(tutor_id) if tutor_id else None)
            for pupil, week, tutor_id in rows]


def _invited(campaign: Campaign) -> tuple[set[int], set[int]]:
    rows = db.session.execute(select(QuestionnaireInvitee.pupil_id, QuestionnaireInvitee.tutor_id)
                              .where(QuestionnaireInvitee.campaign_id == campaign.id)).all()
    return ({p for p, _ in rows if p is not None}, {t for _, t in rows if t is not None})


def _new_invitations(campaign: Campaign, strata: list[tuple[Respondent, Any, Any]]) -> list[str]:
    """Create one invitation per stratum tuple and return the clear codes, in the order given.

    Rows are added in a shuffled order, so that neither their storage order nor anything
    else ties a hash to the position of a person in the list."""
    codes = [new_access_code() for _ in strata]
    order = list(range(len(strata)))
    _rng.shuffle(order)
    for index in order:
        respondent, level, school_kind = strata[index]
        db.session.add(QuestionnaireInvitation(
            campaign_id=campaign.id, respondent=respondent, code_hash=hash_code(codes[index]),
            level=level, school_kind=school_kind))
    return codes


def invite(actor: User | None, campaign: Campaign, today: dt.date | None = None
           ) -> InviteSummary:
    """Invite everyone whose internship of this campaign is over and who was not invited yet.

    Pupils with a guardian e-mail receive their code by e-mail (through the outbox); the others
    get theirs on the class sheet their teacher prints. Tutors receive theirs by e-mail.
    Running it again invites only the newcomers."""
    require(actor, Action.STEER_QUESTIONNAIRES, campaign)
    today = today or clock.today()
    questionnaires = {q.respondent: q for q in ensure_questionnaires(actor, campaign)}
    invited_pupils, invited_tutors = _invited(campaign)
    summary = InviteSummary()
    by_email: list[Pupil] = []
    tutors: dict[int, Tutor] = {}
    for pupil, week, tutor in finished_internships(campaign):
        if not _internship_over(week, today):
            summary.not_finished_yet += 1
            continue
        if tutor is not None and tutor.id not in invited_tutors:
            tutors[tutor.id] = tutor
        if pupil.id in invited_pupils:
            continue
        channel = (InvitationChannel.EMAIL if pupil.guardian_email
                   else InvitationChannel.CLASS_SHEET)
        db.session.add(QuestionnaireInvitee(campaign_id=campaign.id,
                                            respondent=Respondent.PUPIL, pupil_id=pupil.id,
                                            channel=channel, invited_on=today,
                                            code_issued=channel == InvitationChannel.EMAIL))
        if channel == InvitationChannel.EMAIL:
            by_email.append(pupil)
        else:
            summary.pupils_for_class_sheet += 1
    if not by_email and not tutors and not summary.pupils_for_class_sheet:
        if summary.not_finished_yet:
            raise ServiceError(_l("Aucun stage de cette campagne n'est encore terminé : les "
                                  "codes s'envoient après la semaine de stage."))
        raise ServiceError(_l("Personne à inviter : tous les élèves et tuteurs dont le stage "
                              "est confirmé ou terminé ont déjà reçu leur code."))
    link = public_url("questionnaire.enter")
    codes = _new_invitations(campaign, [(Respondent.PUPIL, p.level, p.school.kind)
                                        for p in by_email])
    for pupil, code in zip(by_email, codes, strict=True):
        assert pupil.guardian_email is not None
        queue_email(pupil.guardian_email, "questionnaire_pupil",
                    key=f"questionnaire-invite:{campaign.id}:pupil:{pupil.id}",
                    reason=str(_l("votre enfant a fait un stage de la bourse de stages")),
                    first_name=pupil.first_name, code=code, link=link, campaign=campaign)
    summary.pupils_by_email = len(by_email)
    tutor_list = sorted(tutors.values(), key=lambda t: t.id)
    tutor_codes = _new_invitations(campaign, [(Respondent.TUTOR, campaign.level, None)
                                              for _ in tutor_list])
    for tutor, code in zip(tutor_list, tutor_codes, strict=True):
        db.session.add(QuestionnaireInvitee(campaign_id=campaign.id,
                                            respondent=Respondent.TUTOR, tutor_id=tutor.id,
                                            channel=InvitationChannel.EMAIL, invited_on=today,
                                            code_issued=True))
        queue_email(tutor.email, "questionnaire_tutor",
                    key=f"questionnaire-invite:{campaign.id}:tutor:{tutor.id}",
                    reason=str(_l("vous avez accueilli un·e élève de la bourse de stages")),
                    tutor=tutor, code=code, link=link, campaign=campaign)
    summary.tutors = len(tutor_list)
    for questionnaire in questionnaires.values():
        if questionnaire.state == QuestionnaireState.DRAFT:
            questionnaire.state = QuestionnaireState.IN_USE
    journal.record(actor, "questionnaires.invited", campaign,
                   by_email=summary.pupils_by_email,
                   class_sheet=summary.pupils_for_class_sheet, tutors=summary.tutors)
    db.session.flush()
    return summary


@dataclass
class QuestionnaireSlip:
    pupil: Pupil
    code: str


def class_sheet_pupils(actor: User, campaign: Campaign) -> dict[str, list[Pupil]]:
    """Pupils of the teacher's school waiting for a paper code, by class."""
    require(actor, Action.SCHOOL_PUPILS)
    pupils = db.session.scalars(
        select(Pupil).join(QuestionnaireInvitee, QuestionnaireInvitee.pupil_id == Pupil.id)
        .where(QuestionnaireInvitee.campaign_id == campaign.id,
               QuestionnaireInvitee.channel == InvitationChannel.CLASS_SHEET,
               QuestionnaireInvitee.code_issued.is_(False),
               Pupil.school_id == actor.school_id)
        .order_by(Pupil.class_name, Pupil.last_name, Pupil.first_name)).all()
    classes: dict[str, list[Pupil]] = {}
    for pupil in pupils:
        classes.setdefault(pupil.class_name, []).append(pupil)
    return classes


def print_class_sheet(actor: User, campaign: Campaign, class_name: str
                      ) -> list[QuestionnaireSlip]:
    """Codes for the pupils of one class who wait for a paper code. Shown once: only their
    hashes are kept, so the sheet cannot be printed again."""
    require(actor, Action.SCHOOL_PUPILS)
    pupils = class_sheet_pupils(actor, campaign).get(class_name, [])
    if not pupils:
        raise ServiceError(_l("Aucun code à imprimer pour cette classe : ils ont déjà été "
                              "imprimés ou envoyés par courriel."))
    codes = _new_invitations(campaign, [(Respondent.PUPIL, p.level, p.school.kind)
                                        for p in pupils])
    db.session.execute(
        update(QuestionnaireInvitee)
        .where(QuestionnaireInvitee.campaign_id == campaign.id,
               QuestionnaireInvitee.pupil_id.in_([p.id for p in pupils]))
        .values(code_issued=True))
    journal.record(actor, "questionnaires.class_sheet_printed", campaign,
                   class_name=class_name, count=len(pupils))
    db.session.flush()
    return [QuestionnaireSlip(p, c) for p, c in zip(pupils, codes, strict=True)]


def send_reminders(actor: User | None, campaign: Campaign, days: int = DEFAULT_REMINDER_DAYS,
                   today: dt.date | None = None) -> int:
    """Remind everyone invited by e-mail at least ``days`` days ago (once: the outbox key
    makes it idempotent). Nobody knows who answered, so the reminder says "if you have not
    answered yet"; it cannot repeat the code, which only exists as a hash."""
    require(actor, Action.STEER_QUESTIONNAIRES, campaign)
    today = today or clock.today()
    due = db.session.scalars(select(QuestionnaireInvitee).where(
        QuestionnaireInvitee.campaign_id == campaign.id,
        QuestionnaireInvitee.channel == InvitationChannel.EMAIL,
        QuestionnaireInvitee.invited_on <= today - dt.timedelta(days=days))).all()
    link = public_url("questionnaire.enter")
    queued = 0
    for invitee in due:
        who = "pupil" if invitee.pupil_id else "tutor"
        key = f"questionnaire-reminder:{campaign.id}:{who}:{invitee.pupil_id or invitee.tutor_id}"
        if db.session.scalar(select(OutboxMessage.id).where(
                OutboxMessage.idempotency_key == key)) is not None:
            continue
        if invitee.pupil_id:
            pupil = db.session.get(Pupil, invitee.pupil_id)
            if pupil is None or not pupil.guardian_email:
                continue
            recipient, name = pupil.guardian_email, pupil.first_name
        else:
            tutor = db.session.get(Tutor, invitee.tutor_id)
            if tutor is None:
                continue
            recipient, name = tutor.email, tutor.full_name
        queue_email(recipient, "questionnaire_reminder", key=key,
                    reason=str(_l("un code de questionnaire vous a été envoyé le %(d)s",
                                  d=invitee.invited_on.strftime("%d/%m/%Y"))),
                    name=name, invited_on=invitee.invited_on, link=link, campaign=campaign,
                    pupil=bool(invitee.pupil_id))
        queued += 1
    if queued:
        journal.record(None, "questionnaires.reminded", campaign, count=queued)
    db.session.flush()
    return queued


def redact_sent_codes() -> int:
    """Blank the codes of invitation e-mails already delivered: the outbox then no longer
    tells whose code was whose. Returns how many messages were redacted."""
    messages = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.template.in_(("questionnaire_pupil", "questionnaire_tutor")),
        OutboxMessage.state == OutboxState.SENT)).all()
    count = 0
    for message in messages:
        text = _CODE_RE.sub("XXXX-XXXX-XXXX", message.body_text)
        html = _CODE_RE.sub("XXXX-XXXX-XXXX", message.body_html or "")
        if text != message.body_text or html != (message.body_html or ""):
            message.body_text, message.body_html = text, html or None
            count += 1
    db.session.flush()
    return count


# Answers --------------------------------------------------------------------------------------

def find_invitation(code: str) -> QuestionnaireInvitation | None:
    if not code or len(code) > 40:
        return None
    return db.session.scalar(select(QuestionnaireInvitation).where(
        QuestionnaireInvitation.code_hash == hash_code(code)))


def questionnaire_for(invitation: QuestionnaireInvitation) -> Questionnaire:
    return _latest(invitation.campaign_id, invitation.respondent)


def open_questionnaire(code: str) -> Questionnaire:
    """The questionnaire a code opens, without using the code yet."""
    invitation = find_invitation(code)
    if invitation is None:
        raise ServiceError(CODE_REFUSED)
    return questionnaire_for(invitation)


def sector_options() -> list[dict[str, str]]:
    return [{"value": s.code, "label": s.label}
            for s in db.session.scalars(select(Sector).order_by(Sector.position, Sector.label))]


def clean_answers(questions: Iterable[dict[str, Any]], form: Mapping[str, list[str]]
                  ) -> dict[str, Any]:
    """Keep only what the questions allow: known options, bounded text. Unknown fields are
    dropped, so nothing else a browser sends can be stored."""
    answers: dict[str, Any] = {}
    sectors = None
    for question in questions:
        values = [v for v in form.get(question["id"], []) if isinstance(v, str)]
        kind = question["kind"]
        if kind == "text":
            text = (values[0] if values else "").strip()[: question.get("max_length", 1000)]
            if text:
                answers[question["id"]] = text
            continue
        if kind == "sector":
            sectors = sectors if sectors is not None else {o["value"] for o in sector_options()}
            allowed = sectors
        else:
            allowed = {o["value"] for o in question["options"]}
        chosen = [v for v in dict.fromkeys(values) if v in allowed]
        if not chosen:
            continue
        if kind == "multi":
            exclusive = {o["value"] for o in question["options"] if o.get("exclusive")}
            if len(chosen) > 1:  # "nothing of that" and something else: keep the something
                chosen = [v for v in chosen if v not in exclusive] or chosen[:1]
            answers[question["id"]] = chosen
        else:
            answers[question["id"]] = chosen[0]
    return answers


def reports_discrimination(questions: Iterable[dict[str, Any]], answers: Mapping[str, Any]
                           ) -> bool:
    for question in questions:
        if question.get("discrimination"):
            exclusive = {o["value"] for o in question["options"] if o.get("exclusive")}
            if any(v not in exclusive for v in answers.get(question["id"], [])):
                return True
    return False


@dataclass
class Submission:
    respondent: Respondent
    reported_discrimination: bool


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def submit_answers(code: str, form: Mapping[str, list[str]], today: dt.date | None = None
                   ) -> Submission:
    """Use the code once and store the answers anonymously. No journal, no log, no actor."""
    invitation = find_invitation(code)
    if invitation is None:
        raise ServiceError(CODE_REFUSED)
    questionnaire = questionnaire_for(invitation)
    answers = clean_answers(questionnaire.questions, form)
    level, school_kind, respondent = (invitation.level, invitation.school_kind,
                                      invitation.respondent)
    # Burn the code: delete, not flag, so no "used at" survives. A concurrent second use of
    # the same code finds nothing to delete and is refused.
    burnt = db.session.execute(delete(QuestionnaireInvitation).where(
        QuestionnaireInvitation.id == invitation.id))
    if burnt.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        raise ServiceError(CODE_REFUSED)
    db.session.expunge(invitation)
    _write_response(questionnaire, level, school_kind, answers,
                    monday_of(today or clock.today()))
    if questionnaire.state == QuestionnaireState.DRAFT:
        questionnaire.state = QuestionnaireState.IN_USE
    db.session.flush()
    return Submission(respondent, reports_discrimination(questionnaire.questions, answers))


def _write_response(questionnaire: Questionnaire, level: Any, school_kind: Any,
                    answers: dict[str, Any], week: dt.date) -> None:
    """Insert the response among up to SHUFFLE_WIDTH earlier responses of the same
    questionnaire, re-written with new random ids in a random order.

    Storage engines append new rows: without this, the physical order of the table would be
    the order of answers, which an administrator could join to anything else ordered in time.
    With it, the newest rows are a random mix of this answer and older ones."""
    others = db.session.scalars(
        select(QuestionnaireResponse)
        .where(QuestionnaireResponse.questionnaire_id == questionnaire.id)
        .order_by(func.random()).limit(SHUFFLE_WIDTH)).all()
    batch = [dict(level=level, school_kind=school_kind, answered_week=week, answers=answers)]
    for other in others:
        batch.append(dict(level=other.level, school_kind=other.school_kind,
                          answered_week=other.answered_week, answers=other.answers))
        db.session.delete(other)
    db.session.flush()
    _rng.shuffle(batch)
    for values in batch:
        db.session.add(QuestionnaireResponse(questionnaire_id=questionnaire.id, **values))
    db.session.flush()


def class_sheets_waiting(actor: User) -> list[tuple[Campaign, dict[str, list[Pupil]]]]:
    """Every campaign where pupils of the teacher's school wait for their paper code."""
    require(actor, Action.SCHOOL_PUPILS)
    campaigns = db.session.scalars(select(Campaign).order_by(Campaign.year.desc(),
                                                             Campaign.level)).all()
    result = []
    for campaign in campaigns:
        classes = class_sheet_pupils(actor, campaign)
        if classes:
            result.append((campaign, classes))
    return result


def get_questionnaire(questionnaire_id: int) -> Questionnaire | None:
    return db.session.get(Questionnaire, questionnaire_id)
