"""The steering group's manual changes to a round: a move or a cancellation, each checked
against the engine's rules (``matching.verify``), justified and journaled."""

from __future__ import annotations

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from stagebourse import matching as engine
from stagebourse.extensions import db
from stagebourse.identifiers import week_label
from stagebourse.matching.verify import Infeasibility, infeasibility
from stagebourse.models import (
    Assignment,
    AssignmentState,
    Company,
    JournalEntry,
    MatchingRun,
    Offer,
    Pupil,
    Role,
    RunState,
    User,
    utcnow,
)
from stagebourse.services import ServiceError, agreements, journal, placement
from stagebourse.services.journal import Event
from stagebourse.services.matching.rounds import _params_from_run, run_instance
from stagebourse.services.notifications import public_url, queue_email
from stagebourse.services.offers import HOLDING_STATES
from stagebourse.services.policy import Action, require

MIN_REASON_LENGTH = 10


def _check_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON_LENGTH:
        raise ServiceError(_l("Écrivez la raison de ce changement (%(n)s caractères au moins) : "
                              "elle figurera dans l'audit.", n=MIN_REASON_LENGTH))
    return reason


def _engine_pupil(run: MatchingRun, pupil_id: int) -> engine.Pupil:
    reverse = {pid: pseudo for pseudo, pid in (run.pseudonyms or {}).items()}
    pseudo = reverse.get(pupil_id)
    if pseudo is None:
        raise ServiceError(_l("Cet élève ne faisait pas partie de ce tour."))
    for raw in run_instance(run)["pupils"]:
        if raw["id"] == pseudo:
            return engine.Pupil(id=raw["id"], level=raw["level"], age=raw["age"],
                                weeks=tuple(raw["weeks"]), lat=raw["lat"], lon=raw["lon"],
                                max_km=raw["max_km"], needs_accessible=raw["needs_accessible"],
                                wishes=tuple(w for w in raw["wishes"] if w.startswith("sector:")
                                             or w[6:] in _offer_ids(run)))
    raise ServiceError(_l("Cet élève ne faisait pas partie de ce tour."))  # pragma: no cover


def _offer_ids(run: MatchingRun) -> set[str]:
    return {o["id"] for o in run_instance(run)["offers"]}


def _free_seats(run: MatchingRun, offer: Offer, week: str, exclude: int | None) -> int:
    seats = sum(w.seats for w in offer.weeks
                if w.week == week and w.campaign_id == run.campaign_id)
    states = (*HOLDING_STATES, AssignmentState.PROPOSED)
    taken = db.session.scalar(
        select(func.count()).select_from(Assignment)
        .join(MatchingRun, MatchingRun.id == Assignment.run_id)
        .where(Assignment.offer_id == offer.id, Assignment.week == week,
               Assignment.id != (exclude or -1),
               # Seats held in any round of the campaign, plus this run's own proposals.
               ((MatchingRun.id == run.id) & Assignment.state.in_(states))
               | ((MatchingRun.id != run.id) & Assignment.state.in_(HOLDING_STATES)))) or 0
    return max(0, seats - int(taken))


def check_manual(run: MatchingRun, pupil_id: int, offer: Offer, week: str,
                 exclude: int | None = None) -> tuple[int | None, float, float]:
    """Whether the engine would accept (pupil, offer, week) now; (rank, km, cost) if so.

    The engine itself decides, on a one-pupil instance with the run's parameters and the
    offer's free seats: weeks, seats, distance, level, age, accessibility, wishes.
    """
    from stagebourse.services.offers import visible_offer_conditions

    visible = db.session.scalar(select(Offer.id).join(Company, Company.id == Offer.company_id)
                                .where(Offer.id == offer.id, *visible_offer_conditions()))
    if visible is None:
        raise ServiceError(_l("Cette offre n'est pas publiée (ou sa structure n'est pas "
                              "validée)."))
    pupil = _engine_pupil(run, pupil_id)
    free = _free_seats(run, offer, week, exclude)
    oid = f"o{offer.id}"
    target = engine.Offer(
        id=oid, sector=offer.sector_code, lat=offer.lat, lon=offer.lon,
        levels=tuple(lv for lv, ok in (("3e", offer.for_3e), ("2de", offer.for_2de)) if ok),
        min_age=offer.min_age, accessible=offer.accessible, seats=((week, free),))
    # The other offers the pupil named come along without seats, so that the engine counts
    # the rank of the target exactly as in the run.
    stored = {o["id"]: o for o in run_instance(run)["offers"]}
    others = [engine.Offer(id=o["id"], sector=o["sector"], lat=o["lat"], lon=o["lon"],
                           levels=tuple(o["levels"]), min_age=o["min_age"],
                           accessible=o["accessible"], seats=((week, 0),))
              for o in (stored[w[6:]] for w in pupil.wishes
                        if w.startswith("offer:") and w[6:] != oid)]
    instance = engine.make_instance(_params_from_run(run), [pupil], [target, *others])
    problem = engine.build_problem(instance)
    for arc in range(problem.n_arcs):
        if problem.weeks[int(problem.slot_week[int(problem.arc_slot[arc])])] == week:
            cost = float(problem.scale.to_points(problem.arc_cost[arc:arc + 1])[0])
            rank = int(problem.arc_rank[arc]) or None
            return rank, float(problem.arc_metres[arc]) / 1000.0, cost
    raise ServiceError(_l("Ce changement enfreint une règle de l'affectation : %(why)s",
                          why=_rule_broken(infeasibility(instance, 0, 0, week), week)))


def _rule_broken(why: Infeasibility, week: str) -> str:
    """The engine's reason for refusing a triple, in the steering group's words."""
    if why.rule == "week":
        weeks = ", ".join(week_label(w) for w in why.pupil_weeks)
        return str(_l("la semaine %(week)s n'est pas une semaine de stage de l'élève (les "
                      "siennes : %(weeks)s).", week=week_label(week), weeks=weeks))
    if why.rule == "seats":
        return str(_l("l'offre n'a plus de place libre la semaine %(week)s.",
                      week=week_label(week)))
    if why.rule == "distance":
        return str(_l("le lieu est à %(km)s km, au-delà des %(max)s km que l'élève peut faire.",
                      km=format_decimal(why.km), max=format_decimal(why.max_km)))
    if why.rule == "level":
        return str(_l("l'offre n'accueille pas les élèves de ce niveau (%(level)s).",
                      level=why.level))
    if why.rule == "age":
        return str(_l("l'offre demande %(min)s ans et l'élève en aura %(age)s.",
                      min=why.min_age, age=why.age))
    if why.rule == "accessible":
        return str(_l("l'élève a besoin d'un lieu accessible et celui-ci ne l'est pas."))
    return str(_l("ni l'offre ni son secteur ne font partie des vœux de l'élève, et les "
                  "paramètres du tour n'autorisent pas d'offre hors vœux."))


def manual_assign(actor: User, run: MatchingRun, pupil_id: int, offer_id: int, week: str,
                  reason: str) -> Assignment:
    """Move a pupil of the run to another offer/week (or place an unplaced one)."""
    require(actor, Action.STEER_MATCHING, run)
    reason = _check_reason(reason)
    if run.state not in (RunState.DONE, RunState.PUBLISHED):
        raise ServiceError(_l("On ne modifie qu'un essai terminé ou un tour publié."))
    offer = db.session.get(Offer, offer_id)
    if offer is None:
        raise ServiceError(_l("Offre inconnue."))
    current = db.session.scalar(select(Assignment).where(Assignment.run_id == run.id,
                                                         Assignment.pupil_id == pupil_id))
    if current is not None and current.state in (AssignmentState.DECLINED,
                                                  AssignmentState.COMPLETED):
        raise ServiceError(_l("Cette affectation est close (refusée ou effectuée)."))
    rank, km, cost = check_manual(run, pupil_id, offer, week,
                                  exclude=current.id if current is not None else None)
    previous = ({"offer": current.offer_id, "week": current.week,
                 "state": current.state.value} if current is not None else None)
    confirmed = current is not None and current.state == AssignmentState.CONFIRMED
    if confirmed:
        assert current is not None
        # The old placement's agreement, signed or not, no longer holds: voided (its parties
        # are told), so that the internship can never start on it.
        agreements.void_for(actor, current, f"Affectation déplacée : {reason}",
                            tell_parties=True)
        current.offer_id, current.week, current.rank = offer.id, week, rank
        current.distance_km, current.cost = km, cost
        current.decided_at = utcnow()
    else:
        state = AssignmentState.PUBLISHED if run.state == RunState.PUBLISHED \
            else AssignmentState.PROPOSED
        if current is None:
            current = Assignment(run_id=run.id, pupil_id=pupil_id, offer_id=offer.id,
                                 week=week, rank=rank, distance_km=km, cost=cost, state=state)
            db.session.add(current)
        else:
            current.offer_id, current.week, current.rank = offer.id, week, rank
            current.distance_km, current.cost, current.state = km, cost, state
            current.pupil_confirmed_at = current.company_confirmed_at = None
            current.declined_by = current.decided_at = None
    current.manual_reason = reason
    db.session.flush()
    entry = journal.record(actor, Event.MATCHING_MANUAL_MOVE, run, assignment=current.id,
                           previous=previous, offer=offer.id, week=week, rank=rank,
                           reason=reason)
    if confirmed:
        # A confirmed placement moved (decided with the family and the new host, as the
        # written reason says): it stays confirmed and its new agreement is drafted at once,
        # for the school to review and send to the four parties.
        db.session.expire(current, ["offer"])
        agreements.draft(actor, current)
    elif run.state == RunState.PUBLISHED:
        # A published assignment changed: the family and the new host must answer again.
        db.session.flush()
        _queue_moved_mail(current, offer, f"moved:{entry.id}")
    db.session.flush()
    return current


def _queue_moved_mail(assignment: Assignment, offer: Offer, suffix: str) -> None:
    pupil = db.session.get(Pupil, assignment.pupil_id)
    db.session.expire(assignment, ["offer"])  # its offer_id just changed
    campaign = assignment.run.campaign
    if pupil is not None and pupil.guardian_email:
        queue_email(
            pupil.guardian_email, "assignment_pupil",
            key=f"assignment:pupil:{assignment.id}:{suffix}",
            reason=("votre adresse a été donnée comme celle du représentant légal d'un "
                    "élève inscrit à la bourse de stages de Valenciennes Métropole."),
            first_name=pupil.first_name, where=placement.describe(assignment),
            link=public_url("pupil.assignment_page"))
    members = db.session.scalars(select(User).where(
        User.role == Role.COMPANY, User.company_id == offer.company_id,
        User.is_active.is_(True)).order_by(User.id)).all()
    for member in members:
        assert member.email is not None
        queue_email(
            member.email, "assignment_company",
            key=f"assignment:company:{assignment.id}:{member.id}:{suffix}",
            reason=("vous êtes membre d'une structure d'accueil de la bourse de stages de "
                    "Valenciennes Métropole."),
            campaign=campaign, pupils=1, deadline=campaign.confirmation_deadline,
            link=public_url("company.assignments_page"))


def cancel_assignment(actor: User, assignment: Assignment, reason: str) -> Assignment:
    require(actor, Action.STEER_MATCHING, assignment)
    reason = _check_reason(reason)
    if assignment.state in (AssignmentState.CANCELLED, AssignmentState.DECLINED,
                            AssignmentState.COMPLETED):
        raise ServiceError(_l("Cette affectation est déjà close."))
    previous = assignment.state.value
    assignment.state = AssignmentState.CANCELLED
    assignment.manual_reason = reason
    assignment.decided_at = utcnow()
    agreements.void_for(actor, assignment, f"Affectation annulée : {reason}",
                        tell_parties=True)
    journal.record(actor, Event.MATCHING_MANUAL_CANCEL, assignment.run, assignment=assignment.id,
                   offer=assignment.offer_id, week=assignment.week, previous=previous,
                   reason=reason)
    db.session.flush()
    return assignment


def manual_changes(actor: User, run: MatchingRun) -> list[JournalEntry]:
    require(actor, Action.STEER_MATCHING, run)
    return list(db.session.scalars(
        select(JournalEntry).where(
            JournalEntry.subject_type == "MatchingRun", JournalEntry.subject_id == str(run.id),
            JournalEntry.action.in_((Event.MATCHING_MANUAL_MOVE, Event.MATCHING_MANUAL_CANCEL)))
        .order_by(JournalEntry.at, JournalEntry.id)))


def run_assignment(run: MatchingRun, assignment_id: int | None) -> Assignment | None:
    """An assignment of this round, else None (a stale or forged form)."""
    if assignment_id is None:
        return None
    assignment = db.session.get(Assignment, assignment_id)
    return assignment if assignment is not None and assignment.run_id == run.id else None

