"""Pupils as their teachers manage them: one by one, access codes, consent, the class board."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import BindParameter, Integer, ScalarSelect, bindparam, func, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from stagebourse import clock
from stagebourse.extensions import db
from stagebourse.identifiers import age_on, week_monday
from stagebourse.models import (
    Assignment,
    AssignmentState,
    Campaign,
    CampaignSchoolWeek,
    CampaignState,
    ConsentMethod,
    Level,
    MatchingRun,
    Pupil,
    Request,
    RequestState,
    Role,
    User,
    Wish,
)
from stagebourse.services import ServiceError, journal
from stagebourse.services.accounts import set_access_code
from stagebourse.services.campaigns import current_campaign, current_campaign_query
from stagebourse.services.journal import Event
from stagebourse.services.offers import HOLDING_STATES
from stagebourse.services.policy import Action, can, require
from stagebourse.services.rosters import person_key, teacher_school

CONSENT_AGE = 15  # under this age on the first internship day, no assignment without consent


# Loading with object-level checks ---------------------------------------------------------

def is_teacher_of(actor: User, pupil: Pupil) -> bool:
    """A validated teacher of the pupil's school: may see the pupil and act on their behalf."""
    return can(actor, Action.SCHOOL_PUPILS, pupil)


def pupil_for_teacher(actor: User, pupil_id: int) -> Pupil | None:
    """The pupil if this teacher may see them (same school), else None (the view 404s)."""
    pupil = db.session.get(Pupil, pupil_id)
    return pupil if pupil is not None and is_teacher_of(actor, pupil) else None


def class_pupils(actor: User, class_name: str) -> list[Pupil]:
    require(actor, Action.SCHOOL_PUPILS)
    school = teacher_school(actor)
    return list(db.session.scalars(
        select(Pupil).where(Pupil.school_id == school.id, Pupil.class_name == class_name)
        .options(joinedload(Pupil.user))  # the board shows whether each has signed in
        .order_by(Pupil.last_name, Pupil.first_name, Pupil.id)
    ))


# One pupil --------------------------------------------------------------------------------

PUPIL_FIELDS = ("last_name", "first_name", "birth_date", "class_name", "level", "gender",
                "guardian_email", "qpv_resident")


def _check_duplicate(school_id: int, data: dict[str, Any], exclude: int | None = None) -> None:
    key = person_key(data["last_name"], data["first_name"], data["birth_date"])
    for other in db.session.scalars(select(Pupil).where(
            Pupil.school_id == school_id, Pupil.birth_date == data["birth_date"])):
        if other.id != exclude and person_key(other.last_name, other.first_name,
                                              other.birth_date) == key:
            raise ServiceError(_l(
                "Un élève de même nom, prénom et date de naissance est déjà inscrit (classe "
                "%(class_name)s). Vérifiez qu'il ne s'agit pas de la même personne.",
                class_name=other.class_name))


def add_pupil(actor: User, data: dict[str, Any]) -> Pupil:
    require(actor, Action.SCHOOL_PUPILS)
    school = teacher_school(actor)
    _check_duplicate(school.id, data)
    pupil = Pupil(school_id=school.id, **{k: data.get(k) for k in PUPIL_FIELDS})
    pupil.user = User(role=Role.PUPIL, display_name=pupil.first_name, school_id=school.id)
    db.session.add(pupil)
    db.session.flush()
    journal.record(actor, Event.PUPIL_CREATED, pupil, class_name=pupil.class_name)
    db.session.flush()
    return pupil


def update_pupil(actor: User, pupil: Pupil, data: dict[str, Any], expected_version: int) -> Pupil:
    """Save a teacher's edit unless someone saved the same pupil since the form was opened."""
    require(actor, Action.SCHOOL_PUPILS, pupil)
    conflict = ServiceError(_l(
        "Un collègue (ou l'élève) a modifié cette fiche pendant que vous la modifiiez. La page "
        "montre maintenant la version enregistrée : vérifiez-la et refaites votre modification."))
    teacher_school(actor)
    if pupil.version != expected_version:
        raise conflict
    _check_duplicate(pupil.school_id, data, exclude=pupil.id)
    changed = sorted(k for k in PUPIL_FIELDS if getattr(pupil, k) != data.get(k))
    for name in PUPIL_FIELDS:
        setattr(pupil, name, data.get(name))
    if pupil.user is not None:
        pupil.user.display_name = pupil.first_name
    journal.record(actor, Event.PUPIL_UPDATED, pupil, fields=changed)
    try:
        db.session.flush()
    except StaleDataError:
        # Someone committed between our read and our write: the version check in the UPDATE.
        db.session.rollback()
        raise conflict from None
    return pupil


# Access codes -----------------------------------------------------------------------------

@dataclass
class CodeSlip:
    pupil: Pupil
    code: str


def _issue(actor: User, pupils: list[Pupil], only_missing: bool) -> list[CodeSlip]:
    school = teacher_school(actor)
    slips = []
    for pupil in pupils:
        if pupil.school_id != school.id:
            raise ServiceError(_l("Cet élève n'est pas de votre établissement."))
        user = pupil.user
        if user is None:
            user = User(role=Role.PUPIL, display_name=pupil.first_name, school_id=school.id)
            pupil.user = user
        if only_missing and user.access_code_hash is not None:
            continue
        slips.append(CodeSlip(pupil, set_access_code(user)))
    if not slips:
        raise ServiceError(_l(
            "Aucun code à imprimer : tous ces élèves ont déjà un code. Cochez les élèves dont "
            "le code est perdu pour leur en donner un nouveau."))
    return slips


def issue_codes(actor: User, pupils: list[Pupil], *, only_missing: bool) -> list[CodeSlip]:
    """New codes for the pupils given (or only those who never had one). Codes are kept only
    as a hash, so this is the one moment they can be printed; every previous code stops
    working and the pupils' open sessions are signed out."""
    require(actor, Action.SCHOOL_PUPILS)
    for pupil in pupils:
        require(actor, Action.SCHOOL_PUPILS, pupil)
    slips = _issue(actor, pupils, only_missing)
    journal.record(actor, Event.PUPILS_CODES_ISSUED, actor.school,
                   pupils=[slip.pupil.id for slip in slips], only_missing=only_missing)
    db.session.flush()
    return slips


def regenerate_code(actor: User, pupil: Pupil) -> CodeSlip:
    """A lost code: a new one, the old one stops working and every session is signed out."""
    require(actor, Action.SCHOOL_PUPILS, pupil)
    slip = _issue(actor, [pupil], only_missing=False)[0]
    journal.record(actor, Event.PUPIL_CODE_REGENERATED, pupil)
    db.session.flush()
    return slip


# Consent ----------------------------------------------------------------------------------

def record_consent(actor: User, pupil: Pupil, on: dt.date, method: ConsentMethod) -> None:
    require(actor, Action.SCHOOL_PUPILS, pupil)
    teacher_school(actor)
    if on > clock.today():
        raise ServiceError(_l("La date du consentement ne peut pas être dans le futur."))
    pupil.consent_on = on
    pupil.consent_method = method
    pupil.consent_recorded_by = journal.actor_label(actor)
    journal.record(actor, Event.PUPIL_CONSENT_RECORDED, pupil, on=on.isoformat(),
                   method=method.value)
    db.session.flush()


def withdraw_consent(actor: User, pupil: Pupil, reason: str = "") -> int:
    """The guardian withdraws consent: it is erased and the pupil leaves every running campaign.
    Returns how many requests were withdrawn."""
    require(actor, Action.SCHOOL_PUPILS, pupil)
    teacher_school(actor)
    if pupil.consent_on is None:
        raise ServiceError(_l("Aucun consentement n'est enregistré pour cet élève."))
    pupil.consent_on = None
    pupil.consent_method = None
    pupil.consent_recorded_by = None
    requests = db.session.scalars(
        select(Request).join(Campaign, Campaign.id == Request.campaign_id).where(
            Request.pupil_id == pupil.id,
            Campaign.state.in_([CampaignState.DRAFT, CampaignState.OPEN, CampaignState.CLOSED]),
            Request.state.in_([RequestState.DRAFT, RequestState.CONFIRMED]),
        )
    ).all()
    for request in requests:
        request.state = RequestState.WITHDRAWN
        request.updated_by_id = actor.id
    journal.record(actor, Event.PUPIL_CONSENT_WITHDRAWN, pupil, reason=reason.strip()[:500],
                   requests_withdrawn=[r.id for r in requests])
    db.session.flush()
    return len(requests)


# Eligibility for the assignment -----------------------------------------------------------

def first_internship_day(pupil: Pupil, campaign: Campaign) -> dt.date | None:
    """Monday of the school's first internship week in this campaign (None if it has none)."""
    return _monday(db.session.scalar(select(_first_week(campaign.id, pupil.school_id))))


def _first_week(campaign_id: Any, school_id: Any) -> ScalarSelect[str | None]:
    """The school's first internship week in the campaign (ISO weeks sort as text); the
    arguments are values or parameters of the statement that includes it."""
    return (select(func.min(CampaignSchoolWeek.week))
            .where(CampaignSchoolWeek.campaign_id == campaign_id,
                   CampaignSchoolWeek.school_id == school_id)
            .scalar_subquery())


def _monday(week: str | None) -> dt.date | None:
    return week_monday(week) if week else None


def needs_consent(pupil: Pupil, campaign: Campaign) -> bool:
    return _needs_consent_from(pupil, first_internship_day(pupil, campaign))


def consent_missing(pupil: Pupil, campaign: Campaign | None = None) -> bool:
    """Under 15 on the first day of the current campaign of the pupil's level and no guardian
    consent recorded: the round will leave the pupil out, so someone must be told."""
    campaign = campaign or current_campaign(pupil.level)
    return (campaign is not None and pupil.level == campaign.level
            and pupil.consent_on is None and needs_consent(pupil, campaign))


def _needs_consent_from(pupil: Pupil | BoardPupil, first_day: dt.date | None) -> bool:
    if first_day is None:
        return True  # unknown weeks: be safe
    return age_on(pupil.birth_date, first_day) < CONSENT_AGE


@dataclass
class Eligibility:
    eligible: bool
    reasons: list[str]

    def __bool__(self) -> bool:
        return self.eligible


def eligible_for_matching(pupil: Pupil, campaign: Campaign,
                          request: Request | None = None) -> Eligibility:
    """Whether the assignment may place this pupil, and if not, why (for the teacher)."""
    return eligibility_from(pupil, campaign, first_internship_day(pupil, campaign), request)


def eligibility_from(pupil: Pupil, campaign: Campaign, first_day: dt.date | None,
                     request: Request | None = None) -> Eligibility:
    """:func:`eligible_for_matching` with the school's first internship day already read
    (a round's candidates read it once per school, not once per pupil)."""
    reasons: list[str] = []
    if pupil.level != campaign.level:
        reasons.append(str(_l("l'élève n'est pas du niveau de cette campagne")))
    if request is None:
        request = db.session.scalar(select(Request).where(
            Request.campaign_id == campaign.id, Request.pupil_id == pupil.id))
    if request is None or request.state != RequestState.CONFIRMED:
        reasons.append(str(_l("la demande n'est pas confirmée")))
    elif not request.wishes:
        reasons.append(str(_l("aucun vœu")))
    if first_day is None:
        reasons.append(str(_l("l'établissement n'a pas de semaine de stage dans cette campagne")))
    elif _needs_consent_from(pupil, first_day) and pupil.consent_on is None:
        reasons.append(str(_l("moins de 15 ans le premier jour du stage et pas de consentement "
                              "du responsable légal")))
    return Eligibility(not reasons, reasons)


# The class board --------------------------------------------------------------------------

class BoardState(enum.StrEnum):
    NO_CODE_USED = "no_code_used"
    WISHES_INCOMPLETE = "wishes_incomplete"
    REQUEST_COMPLETE = "request_complete"
    FOUND_OWN = "found_own"
    WITHDRAWN = "withdrawn"
    ASSIGNED = "assigned"
    CONFIRMED = "confirmed"
    DONE = "done"


BOARD_LABELS = {
    BoardState.NO_CODE_USED: _l("code pas encore utilisé"),
    BoardState.WISHES_INCOMPLETE: _l("vœux incomplets"),
    BoardState.REQUEST_COMPLETE: _l("demande complète"),
    BoardState.FOUND_OWN: _l("stage trouvé par ses propres moyens"),
    BoardState.WITHDRAWN: _l("retiré de la campagne"),
    BoardState.ASSIGNED: _l("affecté"),
    BoardState.CONFIRMED: _l("affectation confirmée"),
    BoardState.DONE: _l("stage effectué"),
}
NO_CONSENT_FILTER = "no_consent"


@dataclass(frozen=True)
class BoardPupil:
    """What the board shows of a pupil, read as columns: a class of 28 loaded as objects with
    their accounts cost more than the rest of the page."""
    id: int
    last_name: str
    first_name: str
    class_name: str
    level: Level
    birth_date: dt.date
    consent_on: dt.date | None
    has_code: bool  # an access code was handed out (the account holds its hash)
    signed_in: bool  # the pupil has signed in at least once


@dataclass
class BoardRow:
    pupil: BoardPupil
    state: BoardState
    consent_missing: bool  # consent required and not recorded
    wishes: int

    @property
    def label(self) -> str:
        return str(BOARD_LABELS[self.state])

    @property
    def has_code(self) -> bool:
        return self.pupil.has_code

    @property
    def signed_in(self) -> bool:
        return self.pupil.signed_in


def class_board(actor: User, class_name: str, campaign: Campaign | None,
                state_filter: str | None = None) -> list[BoardRow]:
    school = teacher_school(actor)
    return _board(school.id, class_name, campaign, state_filter)


def current_class_board(actor: User, class_name: str, state_filter: str | None = None
                        ) -> tuple[list[BoardRow], Campaign | None]:
    """The board of a class in the current campaign of its level (its first pupil's)."""
    school = teacher_school(actor)
    campaign = db.session.scalar(_CLASS_CAMPAIGN, {"school_id": school.id,
                                                   "class_name": class_name})
    return _board(school.id, class_name, campaign, state_filter), campaign


# The board reads a class in one statement: its pupils as columns with their accounts, their
# request in the campaign (state and number of wishes), their announced placement and the
# school's first internship week, which says who needs a guardian's consent (a class of
# 28 read as objects with their wishes cost more than the rest of the page, and each statement
# more costs a round trip). It selects the class, not a list of its pupils' ids: the text is
# the same for every class, one prepared statement per connection, and the index on school and
# class finds the class without reading the school's pupils. The statements are built once
# (building them cost a twentieth of the page); the school, class and campaign are parameters.

_BOARD_ORDER = (Pupil.last_name, Pupil.first_name, Pupil.id)
_SCHOOL: BindParameter[int] = bindparam("school_id", type_=Integer)
_IN_CLASS = (Pupil.school_id == _SCHOOL, Pupil.class_name == bindparam("class_name"))
_CLASS_CAMPAIGN = current_campaign_query(
    select(Pupil.level).where(*_IN_CLASS).order_by(*_BOARD_ORDER).limit(1).scalar_subquery())
# No campaign: a null campaign_id, which no request or run has (the columns are NOT NULL).
_CAMPAIGN: BindParameter[int] = bindparam("campaign_id", type_=Integer)
_BOARD = (
    select(Pupil.id, Pupil.last_name, Pupil.first_name, Pupil.class_name, Pupil.level,
           Pupil.birth_date, Pupil.consent_on, User.access_code_hash, User.last_login_at,
           Request.state,
           select(func.count(Wish.id)).where(Wish.request_id == Request.id).scalar_subquery(),
           select(Assignment.state)
           .join(MatchingRun, MatchingRun.id == Assignment.run_id)
           .where(Assignment.pupil_id == Pupil.id, MatchingRun.campaign_id == _CAMPAIGN,
                  Assignment.state.in_(HOLDING_STATES))
           .order_by(Assignment.id.desc()).limit(1).scalar_subquery(),
           _first_week(_CAMPAIGN, _SCHOOL).label("first_week"))
    .outerjoin(User, User.pupil_id == Pupil.id)
    .outerjoin(Request, (Request.pupil_id == Pupil.id) & (Request.campaign_id == _CAMPAIGN))
    .where(*_IN_CLASS)
    .order_by(*_BOARD_ORDER))


def _board(school_id: int, class_name: str, campaign: Campaign | None,
           state_filter: str | None) -> list[BoardRow]:
    found = db.session.execute(_BOARD, {
        "school_id": school_id, "class_name": class_name,
        "campaign_id": campaign.id if campaign is not None else None}).all()
    first_day = _monday(found[0].first_week) if found else None  # a class is one school
    rows = []
    for row in found:
        pupil = BoardPupil(*row[:7], has_code=row.access_code_hash is not None,
                           signed_in=row.last_login_at is not None)
        request_state, wish_count, placement_state = row[9], row[10], row[11]
        state = _board_state(request_state, wish_count, placement_state, pupil.signed_in)
        consent_missing = (campaign is not None and pupil.level == campaign.level
                           and pupil.consent_on is None
                           and _needs_consent_from(pupil, first_day))
        rows.append(BoardRow(pupil, state, consent_missing, wish_count))
    return _filtered(rows, state_filter)


def _filtered(rows: list[BoardRow], state_filter: str | None) -> list[BoardRow]:
    if state_filter == NO_CONSENT_FILTER:
        return [row for row in rows if row.consent_missing]
    if state_filter:
        return [row for row in rows if row.state.value == state_filter]
    return rows


def current_class_board_with_consent(actor: User, class_name: str,
                                     state_filter: str | None = None
                                     ) -> tuple[list[BoardRow], Campaign | None, int]:
    """:func:`current_class_board` and how many pupils of the whole class (whatever the
    filter) lack a required consent: the board says it above the table."""
    rows, campaign = current_class_board(actor, class_name)
    missing = sum(1 for row in rows if row.consent_missing)
    return _filtered(rows, state_filter), campaign, missing


def _board_state(request_state: RequestState | None, wishes: int,
                 assignment_state: AssignmentState | None, signed_in: bool) -> BoardState:
    if assignment_state is not None:
        return {AssignmentState.COMPLETED: BoardState.DONE,
                AssignmentState.CONFIRMED: BoardState.CONFIRMED}.get(
            assignment_state, BoardState.ASSIGNED)
    if request_state is not None:
        if request_state == RequestState.FOUND_OWN:
            return BoardState.FOUND_OWN
        if request_state == RequestState.WITHDRAWN:
            return BoardState.WITHDRAWN
        if request_state == RequestState.CONFIRMED and wishes:
            return BoardState.REQUEST_COMPLETE
        return BoardState.WISHES_INCOMPLETE
    return BoardState.WISHES_INCOMPLETE if signed_in else BoardState.NO_CODE_USED


def school_classes(actor: User) -> list[str]:
    require(actor, Action.SCHOOL_PUPILS)
    school = teacher_school(actor)
    return list(db.session.scalars(
        select(Pupil.class_name).where(Pupil.school_id == school.id).distinct()
        .order_by(Pupil.class_name)))


def default_level(actor: User) -> Level:
    require(actor, Action.SCHOOL_PUPILS)
    school = teacher_school(actor)
    return Level.TROISIEME if school.kind.value == "college" else Level.SECONDE


def pupil_for(actor: User, pupil_id: int) -> Pupil | None:
    """The pupil if this user may see them: a validated teacher of their school, or the
    steering group (requests about personal data); else None (the page says 404)."""
    if actor.role == Role.STEERING:
        pupil = db.session.get(Pupil, pupil_id)
        return pupil if can(actor, Action.STEER_PERSONAL_DATA, pupil) else None
    return pupil_for_teacher(actor, pupil_id)
