"""Inviting the pupils and tutors whose internship is over: codes by e-mail or on class
slips, one reminder, and the codes blanked from the mail already sent."""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass
from typing import Any, NamedTuple

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
    QuestionnaireInvitation,
    QuestionnaireInvitee,
    QuestionnaireSheet,
    QuestionnaireState,
    Respondent,
    RunState,
    Tutor,
    User,
)
from stagebourse.services import ServiceError, journal
from stagebourse.services.accounts import hash_code, new_access_code
from stagebourse.services.journal import Event
from stagebourse.services.notifications import public_url, queue_email
from stagebourse.services.policy import Action, require
from stagebourse.services.questionnaires.questions import ensure_questionnaires

# Invitation rows are written in a random order, not in the order of the people.
_rng = random.SystemRandom()

DONE_STATES = (AssignmentState.CONFIRMED, AssignmentState.COMPLETED)


DEFAULT_REMINDER_DAYS = 7


_CODE_RE = re.compile(r"\b[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}\b")


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
    codes = _new_invitations(campaign, [pupil_stratum(p) for p in by_email])
    for pupil, code in zip(by_email, codes, strict=True):
        assert pupil.guardian_email is not None
        queue_email(pupil.guardian_email, "questionnaire_pupil",
                    key=f"questionnaire-invite:{campaign.id}:pupil:{pupil.id}",
                    reason=str(_l("votre enfant a fait un stage de la bourse de stages")),
                    first_name=pupil.first_name, code=code, link=link, campaign=campaign)
    summary.pupils_by_email = len(by_email)
    tutor_list = sorted(tutors.values(), key=lambda t: t.id)
    tutor_codes = _new_invitations(campaign, [Stratum(Respondent.TUTOR, campaign.level, None)
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
    journal.record(actor, Event.QUESTIONNAIRES_INVITED, campaign,
                   by_email=summary.pupils_by_email,
                   class_sheet=summary.pupils_for_class_sheet, tutors=summary.tutors)
    db.session.flush()
    return summary


class Stratum(NamedTuple):
    """What an invitation (then its response) says of its respondent: coarse groups only."""

    respondent: Respondent
    level: Any
    school_kind: Any
    priority_area: str | None = None  # the school's REP / REP+ / "none" (Fiche 1)
    qpv_resident: bool | None = None


def pupil_stratum(pupil: Pupil) -> Stratum:
    priority = pupil.school.priority
    return Stratum(Respondent.PUPIL, pupil.level, pupil.school.kind,
                   priority.value if priority is not None else "none", pupil.qpv_resident)


def _new_invitations(campaign: Campaign, strata: list[Stratum],
                     sheet: QuestionnaireSheet | None = None) -> list[str]:
    """Create one invitation per stratum tuple and return the clear codes, in the order given.

    Rows are added in a shuffled order, so that neither their storage order nor anything
    else ties a hash to the position of a person in the list."""
    codes = [new_access_code() for _ in strata]
    order = list(range(len(strata)))
    _rng.shuffle(order)
    for index in order:
        stratum = strata[index]
        db.session.add(QuestionnaireInvitation(
            campaign_id=campaign.id, code_hash=hash_code(codes[index]),
            sheet_id=sheet.id if sheet else None, **stratum._asdict()))
    return codes


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


def _sheet(actor: User, campaign: Campaign, class_name: str) -> QuestionnaireSheet | None:
    return db.session.scalar(select(QuestionnaireSheet).where(
        QuestionnaireSheet.campaign_id == campaign.id,
        QuestionnaireSheet.school_id == actor.school_id,
        QuestionnaireSheet.class_name == class_name))


def _shuffled(codes: list[str]) -> list[str]:
    # The slips come out in no order that a list of the class (alphabetical, by seat...)
    # could be laid over: the teacher hands them out at random.
    slips = list(codes)
    _rng.shuffle(slips)
    return slips


def print_class_sheet(actor: User, campaign: Campaign, class_name: str) -> list[str]:
    """Nameless code slips for the pupils of one class who wait for a paper code, shuffled.
    Shown once: only their hashes are kept (the unused ones can be replaced by a reprint)."""
    require(actor, Action.SCHOOL_PUPILS)
    pupils = class_sheet_pupils(actor, campaign).get(class_name, [])
    if not pupils:
        raise ServiceError(_l("Aucun code à imprimer pour cette classe : ils ont déjà été "
                              "imprimés ou envoyés par courriel."))
    sheet = _sheet(actor, campaign, class_name)
    if sheet is None:
        sheet = QuestionnaireSheet(campaign_id=campaign.id, school_id=actor.school_id,
                                   class_name=class_name)
        db.session.add(sheet)
        db.session.flush()
    codes = _new_invitations(campaign, [pupil_stratum(p)
                                        for p in pupils], sheet)
    db.session.execute(
        update(QuestionnaireInvitee)
        .where(QuestionnaireInvitee.campaign_id == campaign.id,
               QuestionnaireInvitee.pupil_id.in_([p.id for p in pupils]))
        .values(code_issued=True))
    journal.record(actor, Event.QUESTIONNAIRES_CLASS_SHEET_PRINTED, campaign,
                   class_name=class_name, count=len(pupils))
    db.session.flush()
    return _shuffled(codes)


def _take_unused_codes(sheet: QuestionnaireSheet) -> list[Stratum]:
    """Delete the sheet's unused codes in one statement that says what it deleted, and return
    their strata: a code used at this very moment is either used (and not replaced) or
    replaced, never both."""
    deleted = db.session.execute(
        delete(QuestionnaireInvitation).where(QuestionnaireInvitation.sheet_id == sheet.id)
        .returning(QuestionnaireInvitation.respondent, QuestionnaireInvitation.level,
                   QuestionnaireInvitation.school_kind, QuestionnaireInvitation.priority_area,
                   QuestionnaireInvitation.qpv_resident)
        .execution_options(synchronize_session=False))
    return [Stratum(*row) for row in deleted]


def reprint_class_sheet(actor: User, campaign: Campaign, class_name: str) -> list[str]:
    """New nameless slips replacing every unused code of the class's sheet (a jammed printer,
    a lost slip). The old unused codes stop working; used ones stay used. Shuffled, like the
    first print."""
    require(actor, Action.SCHOOL_PUPILS)
    sheet = _sheet(actor, campaign, class_name)
    unused = [] if sheet is None else _take_unused_codes(sheet)
    if sheet is None or not unused:
        raise ServiceError(_l("Aucun code à réimprimer pour cette classe : tous les codes "
                              "imprimés ont servi."))
    codes = _new_invitations(campaign, unused, sheet)
    journal.record(actor, Event.QUESTIONNAIRES_CLASS_SHEET_REPRINTED, campaign,
                   class_name=class_name, count=len(codes))
    db.session.flush()
    return _shuffled(codes)


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
        journal.record(None, Event.QUESTIONNAIRES_REMINDED, campaign, count=queued)
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


@dataclass
class ClassSheets:
    """A campaign's paper codes in one school: classes waiting for their first print (with
    how many slips), sheets that still have unused codes (with how many)."""

    campaign: Campaign
    to_print: dict[str, int]
    reprintable: dict[str, int]


def class_sheets_waiting(actor: User) -> list[ClassSheets]:
    """Every campaign where the teacher's school has slips to print or unused slips."""
    require(actor, Action.SCHOOL_PUPILS)
    campaigns = db.session.scalars(select(Campaign).order_by(Campaign.year.desc(),
                                                             Campaign.level)).all()
    result = []
    for campaign in campaigns:
        to_print = {name: len(pupils)
                    for name, pupils in class_sheet_pupils(actor, campaign).items()}
        reprintable: dict[str, int] = {name: count for name, count in db.session.execute(
            select(QuestionnaireSheet.class_name, func.count(QuestionnaireInvitation.id))
            .join(QuestionnaireInvitation,
                  QuestionnaireInvitation.sheet_id == QuestionnaireSheet.id)
            .where(QuestionnaireSheet.campaign_id == campaign.id,
                   QuestionnaireSheet.school_id == actor.school_id)
            .group_by(QuestionnaireSheet.class_name)
            .order_by(QuestionnaireSheet.class_name))}
        if to_print or reprintable:
            result.append(ClassSheets(campaign, to_print, reprintable))
    return result

