"""Answers to a published proposal (pupil and host), the confirmation deadline, and the
lists of assignments each kind of user sees."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from stagebourse import clock
from stagebourse.extensions import db
from stagebourse.models import (
    Assignment,
    AssignmentState,
    Campaign,
    Company,
    HostReason,
    MatchingRun,
    Offer,
    Pupil,
    Role,
    RunState,
    School,
    User,
    utcnow,
)
from stagebourse.services import ServiceError, agreements, journal
from stagebourse.services.journal import Event
from stagebourse.services.policy import Action, can, require


def _check_answerable(assignment: Assignment, today: dt.date | None) -> None:
    if assignment.state != AssignmentState.PUBLISHED:
        raise ServiceError(_l("Cette affectation n'attend plus de réponse."))
    deadline = assignment.run.campaign.confirmation_deadline
    if deadline is not None and (today or clock.today()) > deadline:
        raise ServiceError(_l("La date limite de confirmation est passée : contactez le "
                              "groupe de pilotage."))


def _decide(actor: User, assignment: Assignment, side: str, accept: bool) -> Assignment:
    now = utcnow()
    if accept:
        if side == "pupil":
            assignment.pupil_confirmed_at = now
        else:
            assignment.company_confirmed_at = now
        if assignment.pupil_confirmed_at and assignment.company_confirmed_at:
            assignment.state = AssignmentState.CONFIRMED
            assignment.decided_at = now
            # The internship agreement is drafted at once from the data we hold, in the
            # same transaction: nobody retypes anything (docs/agreements.md).
            agreements.draft(actor, assignment)
    else:
        assignment.state = AssignmentState.DECLINED
        assignment.declined_by = side
        assignment.decided_at = now
    journal.record(actor, Event.ASSIGNMENT_CONFIRMED if accept else Event.ASSIGNMENT_DECLINED,
                   assignment,
                   side=side, run=assignment.run_id)
    db.session.flush()
    return assignment


# What a pupil's decline means, by the campaign's rule (``instances._lapsed_pupils``): the seat
# goes to another pupil and the pupil is not placed again in a later round of the campaign.
# Said before the decline (a confirmation step) and after it (the next step).
PUPIL_DECLINE_CONSEQUENCE = _l(
    "Si tu refuses, ta place ira à un autre élève et la bourse ne te proposera pas d'autre "
    "stage pour cette campagne : tu ne seras pas placé·e dans les tours suivants. Ce refus "
    "est définitif.")
TEACHER_DECLINE_CONSEQUENCE = _l(
    "Si vous refusez pour %(name)s, sa place ira à un autre élève et la bourse ne lui "
    "proposera pas d'autre stage pour cette campagne : il ou elle ne sera pas placé·e dans les "
    "tours suivants. Ce refus est définitif.")
PUPIL_DECLINE_NEXT_STEP = _l(
    "C'est noté : tu as refusé ce stage. Ta place va à un autre élève. Prochaine étape : parle "
    "à ton professeur référent, qui t'aidera à trouver un stage par un autre moyen.")
TEACHER_DECLINE_NEXT_STEP = _l(
    "Refus enregistré pour %(name)s : sa place va à un autre élève et la bourse ne lui "
    "proposera pas d'autre stage pour cette campagne. Prochaine étape : aidez-le ou aidez-la "
    "à trouver un stage par un autre moyen.")


def answer_for_pupil(actor: User, assignment: Assignment, accept: bool,
                     today: dt.date | None = None) -> Assignment:
    """The pupil, or a validated teacher of their school, confirms or declines."""
    require(actor, Action.PUPIL_ANSWER, assignment)
    _check_answerable(assignment, today)
    return _decide(actor, assignment, "pupil", accept)


def answer_for_company(actor: User, assignment: Assignment, accept: bool,
                       today: dt.date | None = None, reason: HostReason | str | None = None,
                       note: str | None = None) -> Assignment:
    """The host confirms; or declines, with a reason (``host_decisions.decline_proposal``)."""
    if not accept:
        from stagebourse.services.matching.host_decisions import decline_proposal

        return decline_proposal(actor, assignment, reason, note, today)
    require(actor, Action.COMPANY_ASSIGNMENTS, assignment)
    _check_answerable(assignment, today)
    return _decide(actor, assignment, "company", accept)


def release_unconfirmed(actor: User | None, campaign: Campaign, today: dt.date | None = None
                        ) -> int:
    """After the confirmation deadline, seats not confirmed by both sides go back to the pool."""
    require(actor, Action.STEER_MATCHING, campaign)
    deadline = campaign.confirmation_deadline
    if deadline is None or (today or clock.today()) <= deadline:
        return 0
    stale = db.session.scalars(
        select(Assignment).join(MatchingRun, MatchingRun.id == Assignment.run_id)
        .where(MatchingRun.campaign_id == campaign.id,
               Assignment.state == AssignmentState.PUBLISHED)).all()
    now = utcnow()
    for a in stale:
        a.state = AssignmentState.DECLINED
        a.declined_by = "deadline"
        a.decided_at = now
    if stale:
        journal.record(actor, Event.MATCHING_RELEASED_UNCONFIRMED, campaign, count=len(stale))
    db.session.flush()
    return len(stale)


def answer_counts(run: MatchingRun) -> dict[AssignmentState, int]:
    """Assignments of a run by state (what the steering group follows after publication)."""
    rows = db.session.execute(
        select(Assignment.state, func.count()).where(Assignment.run_id == run.id)
        .group_by(Assignment.state)).all()
    return {state: int(n) for state, n in rows}


def pupil_assignments(pupil: Pupil) -> list[Assignment]:
    """Published assignments of a pupil (what they and their teacher see)."""
    return list(db.session.scalars(
        select(Assignment).join(MatchingRun, MatchingRun.id == Assignment.run_id)
        .where(Assignment.pupil_id == pupil.id,
               MatchingRun.state == RunState.PUBLISHED,
               Assignment.state != AssignmentState.PROPOSED)
        .order_by(Assignment.id.desc())))


def school_assignments(actor: User, school_id: int) -> list[Assignment]:
    require(actor, Action.SCHOOL_ASSIGNMENTS, db.session.get(School, school_id))
    return list(db.session.scalars(
        select(Assignment).join(MatchingRun, MatchingRun.id == Assignment.run_id)
        .join(Pupil, Pupil.id == Assignment.pupil_id)
        .where(Pupil.school_id == school_id, MatchingRun.state == RunState.PUBLISHED,
               Assignment.state != AssignmentState.PROPOSED)
        .order_by(Pupil.class_name, Pupil.last_name, Pupil.first_name)))


def company_assignments(actor: User, company: Company) -> list[Assignment]:
    require(actor, Action.COMPANY_ASSIGNMENTS, company)
    return list(db.session.scalars(
        select(Assignment).join(MatchingRun, MatchingRun.id == Assignment.run_id)
        .join(Offer, Offer.id == Assignment.offer_id)
        .where(Offer.company_id == company.id, MatchingRun.state == RunState.PUBLISHED,
               Assignment.state != AssignmentState.PROPOSED)
        .order_by(Assignment.week, Offer.title, Assignment.id)))


def assignment_for(actor: User, assignment_id: int) -> Assignment | None:
    """The assignment if this user answers for it: a pupil's own, one of a pupil of the
    teacher's school, one to the structure's offers; else None (the page says 404)."""
    assignment = db.session.get(Assignment, assignment_id)
    action = ASSIGNMENT_READERS.get(actor.role)
    if assignment is None or action is None or not can(actor, action, assignment):
        return None
    return assignment


# Who answers for an assignment, by role (the pages of each room list and open them).
ASSIGNMENT_READERS = {Role.PUPIL: Action.PUPIL_ANSWER, Role.TEACHER: Action.SCHOOL_ASSIGNMENTS,
                      Role.COMPANY: Action.COMPANY_ASSIGNMENTS}

