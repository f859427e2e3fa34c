"""An internship starts only on an agreement signed by all four parties; the school records
that it took place."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from stagebourse.extensions import db
from stagebourse.models import (
    AgreementState,
    Assignment,
    AssignmentState,
    User,
)
from stagebourse.services import ServiceError, journal
from stagebourse.services.agreements.content import PARTY_NAMES
from stagebourse.services.agreements.drafting import agreement_of
from stagebourse.services.agreements.parties import missing_parties
from stagebourse.services.journal import Event
from stagebourse.services.policy import Action, require


def is_signed(assignment: Assignment) -> bool:
    agreement = agreement_of(assignment)
    return agreement is not None and agreement.state == AgreementState.SIGNED


def ensure_can_start(assignment: Assignment) -> None:
    """Refuse to start (complete) an internship whose agreement is not signed by all four."""
    agreement = agreement_of(assignment)
    if agreement is None or agreement.state != AgreementState.SIGNED:
        waiting = ", ".join(str(PARTY_NAMES[p]) for p in missing_parties(agreement)) \
            if agreement is not None and agreement.state != AgreementState.VOIDED else ""
        if waiting:
            raise ServiceError(_l(
                "Le stage ne peut pas commencer : sa convention n'est pas signée (il manque la "
                "signature de %(waiting)s). Aucun élève mineur ne part en stage sans convention "
                "signée.", waiting=waiting))
        raise ServiceError(_l(
            "Le stage ne peut pas commencer : sa convention n'est pas signée. Aucun élève mineur "
            "ne part en stage sans convention signée."))


def complete_internship(actor: User, assignment: Assignment) -> Assignment:
    """The school records that the internship took place: only on an agreement signed by all
    four parties (no minor goes on an internship without one)."""
    require(actor, Action.SCHOOL_ASSIGNMENTS, assignment)
    if assignment.state != AssignmentState.CONFIRMED:
        raise ServiceError(_l("Seul un stage confirmé par l'élève et la structure peut être "
                              "marqué comme effectué."))
    ensure_can_start(assignment)
    assignment.state = AssignmentState.COMPLETED
    journal.record(actor, Event.ASSIGNMENT_COMPLETED, assignment)
    db.session.flush()
    return assignment

