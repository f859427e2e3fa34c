"""Who may do what to which object: the one place the services ask.

Every service that changes or reveals personal or steering data takes the acting user and
calls :func:`require` first. The blueprints' role guards and 404 loaders stay in place as a
second fence; the rules here are the same ones, so a view that forgets its guard still cannot
reach another school's pupils or another structure's offers.

The acting party is one of:

- a :class:`User` signed in on the web (the view passes ``current_user``);
- an :class:`ApiToken`, the partner API's credential, which acts for its structure's offers only;
- ``None``, the system: a command-line command, the worker, or the service's own follow-up of
  an authorised action (a run finishing, an agreement voided because its assignment was
  cancelled). The system may do only the :data:`SYSTEM_ACTIONS`; web views never pass ``None``
  (a test reads their source to hold that).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from stagebourse.models import (
    ApiToken,
    Assignment,
    Company,
    CompanyState,
    Pupil,
    Role,
    School,
    User,
)
from stagebourse.services import ServiceError

Actor = User | ApiToken | None


class PermissionDenied(ServiceError):
    """The actor may not do this (to this object). ``str(error)`` is the French message."""


class Action(enum.StrEnum):
    # The steering group's work.
    STEER_CAMPAIGNS = "steer.campaigns"            # create, weeks, deadlines, state, journal
    STEER_MATCHING = "steer.matching"              # runs, audit, publication, manual changes
    STEER_COMPANIES = "steer.companies"            # validation, charter list, API tokens
    STEER_MATERIALS = "steer.materials"            # preparation materials and their follow-up
    STEER_OUTBOX = "steer.outbox"                  # the mail queue
    STEER_PERSONAL_DATA = "steer.personal_data"    # find, export, erase a pupil
    STEER_QUESTIONNAIRES = "steer.questionnaires"  # questions, invitations, reminders
    STEER_AGREEMENTS = "steer.agreements"          # every school's agreements at once
    STEER_DASHBOARD = "steer.dashboard"            # the steering home figures
    STEER_OBSERVATORY = "steer.observatory"        # closing for release, computing releases
    STEER_ACCOUNTS = "steer.accounts"              # closing, reopening, inviting observers
    # The wider steering group's reading: aggregate figures only (releases, published audits).
    OBSERVE = "observe.aggregates"
    # A school's work: a validated teacher of the object's school (object None: their own).
    SCHOOL_PUPILS = "school.pupils"                # pupils, codes, consent, classes, rosters
    SCHOOL_ASSIGNMENTS = "school.assignments"      # the school's assignments
    SCHOOL_AGREEMENTS = "school.agreements"        # settings, drafts, sending, paper signatures
    VALIDATE_TEACHER = "school.validate_teacher"   # steering, or a validated colleague
    # A pupil's own request and answer: the pupil, or a validated teacher of their school.
    PUPIL_REQUEST = "pupil.request"
    PUPIL_ANSWER = "pupil.answer"
    # A structure's work: a member of the object's structure (object None: their own).
    COMPANY_OFFERS = "company.offers"              # the partner API's tokens too
    COMPANY_ASSIGNMENTS = "company.assignments"
    COMPANY_AGREEMENTS = "company.agreements"
    COMPANY_MEMBERS = "company.members"            # invitations, charter declaration
    # Naming a structure's tutors, sending and revoking their links: a member of the tutor's
    # structure, or the steering group (which may cut any tutor's access).
    TUTOR_ACCESS = "company.tutor_access"
    # A tutor's own space: the tutor signed in through their link (object: their Tutor).
    TUTOR_OWN = "tutor.own"
    # Drafting the agreement of a confirmed assignment: any of its parties, or the steering.
    ASSIGNMENT_PARTY = "assignment.party"


# What the command line and the worker do, and what services do on their own after an
# authorised action (see the module docstring).
SYSTEM_ACTIONS = frozenset({
    Action.STEER_CAMPAIGNS,      # a finished run moves its campaign to "matched"
    Action.STEER_MATCHING,       # `stagebourse match`, the run in the background, the export
    Action.STEER_AGREEMENTS,     # `stagebourse agreements draft`, voiding on cancellation
    Action.STEER_QUESTIONNAIRES,  # `stagebourse questionnaires invite/remind`
    Action.STEER_MATERIALS,      # `stagebourse materials prepare`
    Action.STEER_OBSERVATORY,    # `stagebourse observatory release`, the demo's history
    Action.ASSIGNMENT_PARTY,     # drafting follows a confirmation
})


def _school_id(obj: Any) -> int | None:
    if isinstance(obj, School):
        return obj.id
    if isinstance(obj, Assignment):
        return obj.pupil.school_id
    return getattr(obj, "school_id", None)  # Pupil, Agreement, User (a teacher)


def _company_id(obj: Any) -> int | None:
    if isinstance(obj, Company):
        return obj.id
    if isinstance(obj, Assignment):
        return obj.offer.company_id
    return getattr(obj, "company_id", None)  # Offer, Agreement, ApiToken, Tutor


def _steering(actor: User, obj: Any) -> bool:
    return actor.role == Role.STEERING


def _observer(actor: User, obj: Any) -> bool:
    return actor.role == Role.OBSERVER


# A refused or suspended structure's people keep no access at all: its agreements carry
# pupils' names, birth dates and guardians' addresses.
CLOSED_STRUCTURES = frozenset({CompanyState.REJECTED, CompanyState.SUSPENDED})


def structure_closed(user: User) -> bool:
    """The user belongs to a host structure that was refused or suspended."""
    company = (user.company if user.role == Role.COMPANY
               else user.tutor.company if user.role == Role.TUTOR and user.tutor else None)
    return company is not None and company.state in CLOSED_STRUCTURES


def account_open(user: User) -> bool:
    """May this account be used at all: not closed, and its structure (if any) not closed."""
    return bool(user.is_active) and not structure_closed(user)


def _validated_teacher(actor: User) -> bool:
    return (actor.role == Role.TEACHER and actor.validated_at is not None
            and actor.school_id is not None)


def _teacher_of(actor: User, obj: Any) -> bool:
    return _validated_teacher(actor) and (obj is None or _school_id(obj) == actor.school_id)


def _member_of(actor: User, obj: Any) -> bool:
    return (actor.role == Role.COMPANY and actor.company_id is not None
            and (obj is None or _company_id(obj) == actor.company_id))


def _member_or_steering(actor: User, obj: Any) -> bool:
    return _steering(actor, obj) or _member_of(actor, obj)


def _tutor_self(actor: User, obj: Any) -> bool:
    return (actor.role == Role.TUTOR and actor.tutor_id is not None
            and (obj is None or getattr(obj, "id", None) == actor.tutor_id))


def _pupil_or_teacher(actor: User, obj: Pupil | Assignment) -> bool:
    pupil_id = obj.pupil_id if isinstance(obj, Assignment) else obj.id
    if actor.role == Role.PUPIL:
        return actor.pupil_id == pupil_id
    return _teacher_of(actor, obj)


def _validator(actor: User, teacher: User) -> bool:
    return _steering(actor, teacher) or _teacher_of(actor, teacher)


def _party(actor: User, assignment: Assignment) -> bool:
    return (_steering(actor, assignment) or _pupil_or_teacher(actor, assignment)
            or _member_of(actor, assignment))


STEERING_ONLY = _l("Réservé au groupe de pilotage.")
SCHOOL_ONLY = _l("Réservé aux professeurs de l'établissement de l'élève.")
COMPANY_ONLY = _l("Réservé aux membres de la structure d'accueil concernée.")

# action: (the rule, the refusal shown to the user)
RULES: dict[Action, tuple[Callable[[User, Any], bool], LazyString]] = {
    Action.STEER_CAMPAIGNS: (_steering, STEERING_ONLY),
    Action.STEER_MATCHING: (_steering, STEERING_ONLY),
    Action.STEER_COMPANIES: (_steering, STEERING_ONLY),
    Action.STEER_MATERIALS: (_steering, STEERING_ONLY),
    Action.STEER_OUTBOX: (_steering, STEERING_ONLY),
    Action.STEER_PERSONAL_DATA: (_steering, STEERING_ONLY),
    Action.STEER_QUESTIONNAIRES: (_steering, STEERING_ONLY),
    Action.STEER_AGREEMENTS: (_steering, STEERING_ONLY),
    Action.STEER_DASHBOARD: (_steering, STEERING_ONLY),
    Action.STEER_OBSERVATORY: (_steering, STEERING_ONLY),
    Action.STEER_ACCOUNTS: (_steering, STEERING_ONLY),
    Action.OBSERVE: (_observer, _l("Réservé aux observateurs du comité de pilotage.")),
    Action.SCHOOL_PUPILS: (_teacher_of, SCHOOL_ONLY),
    Action.SCHOOL_ASSIGNMENTS: (_teacher_of, SCHOOL_ONLY),
    Action.SCHOOL_AGREEMENTS: (_teacher_of, SCHOOL_ONLY),
    Action.VALIDATE_TEACHER: (
        _validator, _l("Ce compte n'est pas (ou plus) en attente de votre validation.")),
    Action.PUPIL_REQUEST: (
        _pupil_or_teacher, _l("Vous ne pouvez pas modifier la demande de cet élève.")),
    Action.PUPIL_ANSWER: (_pupil_or_teacher, _l("Vous ne pouvez pas répondre pour cet élève.")),
    Action.COMPANY_OFFERS: (_member_of, _l("Cette offre n'appartient pas à votre structure.")),
    Action.COMPANY_ASSIGNMENTS: (
        _member_of, _l("Vous ne pouvez pas répondre pour cette structure.")),
    Action.COMPANY_AGREEMENTS: (_member_of, COMPANY_ONLY),
    Action.COMPANY_MEMBERS: (_member_of, COMPANY_ONLY),
    Action.TUTOR_ACCESS: (_member_or_steering, COMPANY_ONLY),
    Action.TUTOR_OWN: (_tutor_self, _l("Réservé au tuteur ou à la tutrice concerné(e).")),
    Action.ASSIGNMENT_PARTY: (_party, _l("Vous n'êtes pas partie à cette affectation.")),
}

# A teacher whose account waits for validation is told so, rather than "not your school".
WAITING_TEACHER = _l(
    "Votre compte attend encore la validation du groupe de pilotage ou d'un collègue "
    "de votre établissement.")
TEACHER_ACTIONS = frozenset({Action.SCHOOL_PUPILS, Action.SCHOOL_ASSIGNMENTS,
                             Action.SCHOOL_AGREEMENTS})


def can(actor: Actor, action: Action, obj: Any = None) -> bool:
    """May ``actor`` do ``action`` to ``obj``? ``obj`` None means "their own" (their school,
    their structure) or, for the steering actions, everything."""
    if actor is None:
        return action in SYSTEM_ACTIONS
    if isinstance(actor, ApiToken):
        # A partner's token manages its structure's offers, nothing else.
        return (action == Action.COMPANY_OFFERS and actor.revoked_at is None
                and (obj is None or _company_id(obj) == actor.company_id))
    if not account_open(actor):
        return False
    rule, _message = RULES[action]
    return rule(actor, obj)


def require(actor: Actor, action: Action, obj: Any = None) -> None:
    """Raise :class:`PermissionDenied` unless :func:`can`."""
    if can(actor, action, obj):
        return
    if (isinstance(actor, User) and actor.role == Role.TEACHER and actor.validated_at is None
            and action in TEACHER_ACTIONS):
        raise PermissionDenied(WAITING_TEACHER)
    raise PermissionDenied(RULES[action][1])


def person(actor: Actor) -> User | None:
    """The user to name in the journal: an API token's actions are journaled with their source
    (``api-token:<id>``) and no user."""
    return actor if isinstance(actor, User) else None
