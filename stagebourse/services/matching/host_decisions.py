"""A host's decisions on the pupils proposed to it, and what it may know of them.

Before the reveal (both the pupil's side and the host confirmed: the assignment is
CONFIRMED) a host sees a proposal only as a week, a level, an age on the first day and an
accessibility need: :func:`host_proposals` builds that view without ever handing the web a
pupil. Until then the host may decline, with a reason from a closed list; after it, it can
only ask the steering group to withdraw the placement, and the steering group decides.

Every pupil turned away this way keeps priority in the next round of the campaign
(``HOST_REFUSALS``, docs/rounds.md); the pupil, their teacher and the steering group are told
through the outbox, and every decision is journaled.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from stagebourse.extensions import db
from stagebourse.identifiers import age_on, week_label, week_monday
from stagebourse.labels import assignment_status, label
from stagebourse.models import (
    Assignment,
    AssignmentState,
    Company,
    DeclinedBy,
    HostReason,
    Level,
    MatchingRun,
    Offer,
    OfferWeek,
    Pupil,
    Role,
    RunState,
    User,
    WithdrawalRequest,
    WithdrawalState,
    utcnow,
)
from stagebourse.services import ServiceError, agreements, journal
from stagebourse.services.journal import Event
from stagebourse.services.matching.answers import _check_answerable
from stagebourse.services.notifications import public_url, queue_email
from stagebourse.services.offers.supply import REVEALED_STATES
from stagebourse.services.policy import Action, require

MIN_NOTE_LENGTH = 10

PUPIL_REASON = ("votre adresse a été donnée comme celle du représentant légal d'un élève "
                "inscrit à la bourse de stages de Valenciennes Métropole.")
TEACHER_REASON = ("vous êtes professeur référent d'un établissement inscrit à la bourse de "
                  "stages de Valenciennes Métropole.")
STEERING_REASON = "vous faites partie du groupe de pilotage de la bourse de stages."
HOST_REASON = ("vous êtes membre d'une structure d'accueil de la bourse de stages de "
               "Valenciennes Métropole.")


@dataclass(frozen=True)
class RevealedPupil:
    """Who the pupil is, once both sides confirmed (the agreement stage)."""

    first_name: str
    last_name: str
    school: str


@dataclass(frozen=True)
class HostProposal:
    """One assignment to a host's offers, as the host may see it."""

    id: int
    offer_title: str
    week: str
    level: Level
    age_on_first_day: int
    needs_accessible: bool
    state: AssignmentState
    status: str
    host_confirmed: bool
    pupil: RevealedPupil | None  # None until the reveal
    withdrawal: WithdrawalRequest | None  # the latest request, if any

    @property
    def awaits_host(self) -> bool:
        return self.state == AssignmentState.PUBLISHED and not self.host_confirmed

    @property
    def may_ask_withdrawal(self) -> bool:
        return (self.state == AssignmentState.CONFIRMED
                and (self.withdrawal is None
                     or self.withdrawal.state != WithdrawalState.PENDING))


def _proposal(assignment: Assignment) -> HostProposal:
    pupil = assignment.pupil
    revealed = assignment.state in REVEALED_STATES
    requests = assignment.withdrawal_requests
    return HostProposal(
        id=assignment.id, offer_title=assignment.offer.title, week=assignment.week,
        level=pupil.level,
        age_on_first_day=age_on(pupil.birth_date, week_monday(assignment.week)),
        needs_accessible=pupil.needs_accessible, state=assignment.state,
        status=assignment_status(assignment),
        host_confirmed=assignment.company_confirmed_at is not None,
        pupil=RevealedPupil(pupil.first_name, pupil.last_name, pupil.school.name)
        if revealed else None,
        withdrawal=requests[-1] if requests else None)


def host_proposals(actor: User, company: Company) -> list[HostProposal]:
    """The published assignments to the structure's offers, blind until each one's reveal."""
    require(actor, Action.COMPANY_ASSIGNMENTS, company)
    rows = db.session.scalars(
        select(Assignment).join(MatchingRun, MatchingRun.id == Assignment.run_id)
        .join(Offer, Offer.id == Assignment.offer_id)
        .where(Offer.company_id == company.id, MatchingRun.state == RunState.PUBLISHED,
               Assignment.state != AssignmentState.PROPOSED)
        .order_by(Assignment.week, Offer.title, Assignment.id))
    return [_proposal(a) for a in rows]


def host_proposal(actor: User, assignment: Assignment) -> HostProposal:
    require(actor, Action.COMPANY_ASSIGNMENTS, assignment)
    return _proposal(assignment)


# Deciding -----------------------------------------------------------------------------------

def _reason(reason: HostReason | str | None, note: str | None) -> tuple[HostReason, str | None]:
    try:
        chosen = HostReason(reason) if reason else None
    except ValueError:
        chosen = None
    if chosen is None:
        raise ServiceError(_l("Choisissez la raison dans la liste."))
    note = (note or "").strip() or None
    if chosen == HostReason.OTHER and len(note or "") < MIN_NOTE_LENGTH:
        raise ServiceError(_l("Expliquez la raison en quelques mots (%(n)s caractères au "
                              "moins) : le groupe de pilotage la lira.", n=MIN_NOTE_LENGTH))
    return chosen, note


def _french(reason: HostReason) -> str:
    """The reason's label for the e-mails and the journal, which are written in French
    whatever language the person deciding reads the site in."""
    with force_locale("fr"):
        return label(reason)


def _lock(row: Assignment | WithdrawalRequest) -> None:
    """Read the row again under a lock (PostgreSQL), so that two decisions at once on the
    same proposal or request are taken one after the other, the second seeing the first."""
    db.session.refresh(row, with_for_update=True)


def _withdraw_seat(assignment: Assignment, reason: HostReason) -> bool:
    """Take the seat of that week out of the pool when the reason says it is gone."""
    if not reason.withdraws_seat:
        return False
    seats = db.session.scalar(select(OfferWeek).where(
        OfferWeek.offer_id == assignment.offer_id, OfferWeek.week == assignment.week,
        OfferWeek.campaign_id == assignment.run.campaign_id))
    if seats is None or seats.seats == 0:
        return False
    seats.seats -= 1
    return True


def decline_proposal(actor: User, assignment: Assignment, reason: HostReason | str | None,
                     note: str | None = None, today: dt.date | None = None) -> Assignment:
    """The host declines a proposal before the reveal, with a reason from the closed list.

    The seat leaves the pool or stays for the next round, by the reason; the pupil keeps
    priority in the next round; the pupil's family, their teachers and the steering group
    are told."""
    require(actor, Action.COMPANY_ASSIGNMENTS, assignment)
    _lock(assignment)
    _check_answerable(assignment, today)
    chosen, note = _reason(reason, note)
    assignment.state = AssignmentState.DECLINED
    assignment.declined_by = DeclinedBy.COMPANY
    assignment.decided_at = utcnow()
    assignment.host_reason, assignment.host_reason_note = chosen, note
    seat_withdrawn = _withdraw_seat(assignment, chosen)
    journal.record(actor, Event.ASSIGNMENT_HOST_DECLINED, assignment, run=assignment.run_id,
                   offer=assignment.offer_id, week=assignment.week, reason=chosen.value,
                   seat_withdrawn=seat_withdrawn)
    db.session.flush()
    _tell_family_and_teachers(assignment, "host-declined", withdrawn=False)
    for member in _steering_members():
        queue_email(
            member.email or "", "host_declined_steering",
            key=f"host-declined:steering:{assignment.id}:{member.id}", reason=STEERING_REASON,
            company=assignment.offer.company, offer=assignment.offer,
            week=week_label(assignment.week), reason_label=_french(chosen), note=note,
            seat_withdrawn=seat_withdrawn, assignment=assignment,
            link=public_url("steering.matching_assignments", run_id=assignment.run_id))
    db.session.flush()
    return assignment


def request_withdrawal(actor: User, assignment: Assignment, reason: HostReason | str | None,
                       note: str | None = None) -> WithdrawalRequest:
    """After the reveal the host cannot refuse alone: it asks the steering group."""
    require(actor, Action.COMPANY_ASSIGNMENTS, assignment)
    _lock(assignment)
    if assignment.state != AssignmentState.CONFIRMED:
        raise ServiceError(_l("Seul un stage confirmé des deux côtés peut faire l'objet d'une "
                              "demande de retrait."))
    if any(r.state == WithdrawalState.PENDING for r in assignment.withdrawal_requests):
        raise ServiceError(_l("Une demande de retrait de ce stage attend déjà la décision du "
                              "groupe de pilotage."))
    chosen, note = _reason(reason, note)
    request = WithdrawalRequest(assignment=assignment, reason=chosen, note=note,
                                requested_by_id=actor.id, requested_at=utcnow())
    db.session.add(request)
    db.session.flush()
    journal.record(actor, Event.ASSIGNMENT_WITHDRAWAL_REQUESTED, assignment,
                   request=request.id, reason=chosen.value)
    for member in _steering_members():
        queue_email(
            member.email or "", "withdrawal_requested",
            key=f"withdrawal:{request.id}:steering:{member.id}", reason=STEERING_REASON,
            company=assignment.offer.company, offer=assignment.offer,
            week=week_label(assignment.week), reason_label=_french(chosen), note=note,
            link=public_url("steering.withdrawal_requests"))
    db.session.flush()
    return request


def decide_withdrawal(actor: User, request: WithdrawalRequest, accept: bool,
                      note: str | None = None) -> WithdrawalRequest:
    """The steering group accepts (the placement is withdrawn, its agreement voided, the
    pupil re-placed with priority) or refuses (the placement stands, with a note)."""
    require(actor, Action.STEER_MATCHING, request.assignment)
    _lock(request)
    if request.state != WithdrawalState.PENDING:
        raise ServiceError(_l("Cette demande de retrait a déjà été tranchée."))
    note = (note or "").strip() or None
    if not accept and len(note or "") < MIN_NOTE_LENGTH:
        raise ServiceError(_l("Expliquez à la structure pourquoi le stage est maintenu "
                              "(%(n)s caractères au moins).", n=MIN_NOTE_LENGTH))
    assignment = request.assignment
    if accept and assignment.state != AssignmentState.CONFIRMED:
        raise ServiceError(_l("Ce stage n'est plus confirmé (« %(state)s ») : il n'y a rien "
                              "à retirer.", state=assignment_status(assignment)))
    request.state = WithdrawalState.ACCEPTED if accept else WithdrawalState.REFUSED
    request.decided_by_id, request.decided_at = actor.id, utcnow()
    request.decision_note = note
    seat_withdrawn = False
    if accept:
        assignment.state = AssignmentState.CANCELLED
        assignment.declined_by = DeclinedBy.WITHDRAWN
        assignment.decided_at = request.decided_at
        seat_withdrawn = _withdraw_seat(assignment, request.reason)
        why = _french(request.reason)
        agreements.void_for(actor, assignment, f"Stage retiré à la demande de la structure ({why})")
    journal.record(actor, Event.ASSIGNMENT_WITHDRAWAL_ACCEPTED if accept
                   else Event.ASSIGNMENT_WITHDRAWAL_REFUSED, assignment,
                   request=request.id, reason=request.reason.value, note=note,
                   seat_withdrawn=seat_withdrawn)
    db.session.flush()
    if accept:
        _tell_family_and_teachers(assignment, f"withdrawal:{request.id}", withdrawn=True)
    for member in _host_members(assignment):
        queue_email(
            member.email or "", "withdrawal_decided",
            key=f"withdrawal:{request.id}:decided:{member.id}", reason=HOST_REASON,
            accepted=accept, offer=assignment.offer, week=week_label(assignment.week),
            note=note, link=public_url("company.assignments_page"))
    db.session.flush()
    return request


# Reading the requests (steering) -----------------------------------------------------------

def withdrawal_requests(actor: User, state: WithdrawalState | None = None
                        ) -> list[WithdrawalRequest]:
    """Every withdrawal request, the pending ones first, oldest first."""
    require(actor, Action.STEER_MATCHING)
    query = select(WithdrawalRequest)
    if state is not None:
        query = query.where(WithdrawalRequest.state == state)
    pending_first = (WithdrawalRequest.state != WithdrawalState.PENDING)
    return list(db.session.scalars(query.order_by(pending_first, WithdrawalRequest.requested_at,
                                                  WithdrawalRequest.id)))


def withdrawal_counts(actor: User) -> dict[WithdrawalState, int]:
    require(actor, Action.STEER_MATCHING)
    rows = db.session.execute(select(WithdrawalRequest.state, func.count())
                              .group_by(WithdrawalRequest.state)).all()
    found = {state: int(n) for state, n in rows}
    return {state: found.get(state, 0) for state in WithdrawalState}


def withdrawal_request(actor: User, request_id: int | None) -> WithdrawalRequest | None:
    """The request the steering group's form names, else None (a stale or forged form)."""
    require(actor, Action.STEER_MATCHING)
    return db.session.get(WithdrawalRequest, request_id) if request_id is not None else None


# Who is told -------------------------------------------------------------------------------

def _steering_members() -> list[User]:
    return list(db.session.scalars(select(User).where(
        User.role == Role.STEERING, User.is_active.is_(True), User.email.is_not(None))
        .order_by(User.id)))


def _host_members(assignment: Assignment) -> list[User]:
    return list(db.session.scalars(select(User).where(
        User.role == Role.COMPANY, User.company_id == assignment.offer.company_id,
        User.is_active.is_(True), User.email.is_not(None)).order_by(User.id)))


def _tell_family_and_teachers(assignment: Assignment, key: str, withdrawn: bool) -> None:
    """Kind words to the pupil's family and what happens next; the teachers are asked to
    tell the pupil. Never the host's reason: it is the steering group's to read."""
    pupil: Pupil = assignment.pupil
    campaign = assignment.run.campaign
    context = {"first_name": pupil.first_name, "offer": assignment.offer,
               "company": assignment.offer.company, "week": week_label(assignment.week),
               "campaign": campaign, "withdrawn": withdrawn}
    if pupil.guardian_email:
        queue_email(pupil.guardian_email, "host_declined_pupil", key=f"{key}:pupil:{assignment.id}",
                    reason=PUPIL_REASON, link=public_url("pupil.assignment_page"), **context)
    teachers = db.session.scalars(select(User).where(
        User.role == Role.TEACHER, User.school_id == pupil.school_id,
        User.is_active.is_(True), User.validated_at.is_not(None), User.email.is_not(None))
        .order_by(User.id))
    for teacher in teachers:
        queue_email(teacher.email or "", "host_declined_teacher",
                    key=f"{key}:teacher:{assignment.id}:{teacher.id}", reason=TEACHER_REASON,
                    pupil=pupil, link=public_url("teacher.assignments_page"), **context)
