"""Matching rounds: the ONLY adapter between the database and the blind engine.

A round builds a blind instance from the database (pseudonymous pupil ids drawn at random for
each run; the pseudonym → pupil map stays in the run, server-side), runs the optimal mechanism
and the two counterfactuals (first come first served, network first) on the same pupils with
the same seed, verifies the optimal result with the engine's certificate, audits the three,
and stores everything on the run with its assignments (state ``proposed``). A run is a dry run
until it is published; publication is one transaction.

How wishes are counted: a wish naming an offer that is not in the instance (withdrawn, no seat
left on the pupil's weeks, structure suspended...) is dropped before the engine sees it, and
the remaining wishes move up. Ranks in the instance, the result and the audit are therefore
positions among the wishes that could still be granted; ``stats["dropped_wishes"]`` counts the
dropped ones.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import DBAPIError

from stagebourse import clock
from stagebourse import matching as engine
from stagebourse.extensions import db
from stagebourse.identifiers import week_label
from stagebourse.matching.io import write_json
from stagebourse.matching.verify import Infeasibility, infeasibility
from stagebourse.models import (
    Assignment,
    AssignmentState,
    Campaign,
    CampaignState,
    Company,
    JournalEntry,
    MatchingRun,
    Offer,
    Pupil,
    Request,
    Role,
    RunState,
    School,
    User,
    utcnow,
)
from stagebourse.services import ServiceError, agreements, campaigns, journal
from stagebourse.services.notifications import public_url, queue_email
from stagebourse.services.offers import HOLDING_STATES, campaign_capacities
from stagebourse.services.policy import Action, can, require
from stagebourse.services.requests import matching_candidates
from stagebourse.transactions import side_write

MECHANISMS = ("optimal", "fcfs", "network-first")
# Labels kept BESIDE the instance, for the audit only (and "network" for network-first).
AUDIT_LABELS = ("gender", "school", "qpv", "disability", "network")
# Field names that must never appear in an instance (the blindness check).
PROTECTED_FIELDS = frozenset({
    "gender", "sex", "school", "school_id", "uai", "qpv", "qpv_resident", "disability",
    "network", "has_network", "name", "first_name", "last_name", "birth_date", "address",
    "email", "guardian_email", "home_commune", "class_name", "pupil_id",
})
DEFAULT_MIN_CELL = 11
MIN_REASON_LENGTH = 10
ProgressCallback = Callable[[int, str], None]
PseudonymDraw = Callable[[], str]


# Options ----------------------------------------------------------------------------------

@dataclass
class RunOptions:
    """What the steering group chooses for a round (the engine's cost parameters + seed)."""

    rank_costs: tuple[float, ...] = engine.Params().rank_costs
    km_cost: float = engine.Params().km_cost
    allow_unranked: bool = False
    unranked_cost: float = engine.Params().unranked_cost
    unassigned_cost: float = engine.Params().unassigned_cost
    seed: int | None = None
    round_number: int = 1

    def params(self, seed: int) -> engine.Params:
        return engine.Params(rank_costs=tuple(float(c) for c in self.rank_costs),
                             allow_unranked=self.allow_unranked,
                             unranked_cost=float(self.unranked_cost),
                             km_cost=float(self.km_cost),
                             unassigned_cost=float(self.unassigned_cost), seed=seed)


def draw_seed() -> int:
    return secrets.randbelow(2**31)


def min_cell() -> int:
    return int(current_app.config.get("AUDIT_MIN_CELL", DEFAULT_MIN_CELL))


def random_pseudonym() -> str:
    """48 random bits: nothing in a pseudonym says which pupil it stands for."""
    return "p" + secrets.token_hex(6)


# Building the blind instance --------------------------------------------------------------

@dataclass
class BuiltInstance:
    instance: engine.Instance
    pseudonyms: dict[str, int]  # pseudonym -> pupil id
    groups: dict[str, dict[str, str]]  # pseudonym -> label -> value (never in the instance)
    stats: dict[str, Any] = field(default_factory=dict)


def _holding_pupils(campaign: Campaign) -> set[int]:
    return set(db.session.scalars(
        select(Assignment.pupil_id).join(MatchingRun, MatchingRun.id == Assignment.run_id)
        .where(MatchingRun.campaign_id == campaign.id,
               Assignment.state.in_(HOLDING_STATES))))


def _lapsed_pupils(campaign: Campaign) -> set[int]:
    """Pupils who declined their seat, or let it lapse without confirming: not re-placed."""
    rows = db.session.execute(
        select(Assignment.pupil_id, Assignment.declined_by, Assignment.pupil_confirmed_at)
        .join(MatchingRun, MatchingRun.id == Assignment.run_id)
        .where(MatchingRun.campaign_id == campaign.id,
               Assignment.state == AssignmentState.DECLINED)).all()
    return {pupil_id for pupil_id, who, confirmed in rows
            if who == "pupil" or (who == "deadline" and confirmed is None)}


def build_instance(campaign: Campaign, params: engine.Params, round_number: int = 1,
                   draw_pseudonym: PseudonymDraw = random_pseudonym) -> BuiltInstance:
    """The blind instance of a round, from the database as it is now.

    Pseudonyms are drawn at random unless a draw is given: the worker passes a keyed draw
    (``matching_jobs.pseudonym_draw``) so that a run taken back after its worker died gets the
    same pseudonyms, and the demo its own seeded draw, so that its fictitious history is the
    same at every seeding (the lottery's tickets, hence the choice among equal optima, depend
    on the pseudonyms).
    """
    candidates = matching_candidates(campaign)
    excluded = _holding_pupils(campaign)
    if round_number > 1:
        excluded |= _lapsed_pupils(campaign)
    candidates = [c for c in candidates if c.pupil_id not in excluded]

    capacities = campaign_capacities(campaign)
    levels = {oid: (f3, f2) for oid, f3, f2 in db.session.execute(
        select(Offer.id, Offer.for_3e, Offer.for_2de)
        .where(Offer.id.in_({c.offer_id for c in capacities}))).all()} if capacities else {}
    by_offer: dict[int, list[Any]] = {}
    for cap in capacities:
        by_offer.setdefault(cap.offer_id, []).append(cap)
    offers: list[engine.Offer] = []
    seats_total = 0
    for offer_id, caps in sorted(by_offer.items()):
        seats = tuple((c.week, c.seats - c.assigned) for c in caps if c.seats - c.assigned > 0)
        if not seats:
            continue
        seats_total += sum(s for _, s in seats)
        first = caps[0]
        for_3e, for_2de = levels[offer_id]
        offers.append(engine.Offer(
            id=f"o{offer_id}", sector=first.sector_code, lat=first.lat, lon=first.lon,
            levels=tuple(lv for lv, ok in (("3e", for_3e), ("2de", for_2de)) if ok),
            min_age=first.min_age, accessible=first.accessible, seats=seats))
    offer_ids = {o.id for o in offers}

    pupil_rows = {p.id: p for p in db.session.scalars(
        select(Pupil).where(Pupil.id.in_([c.pupil_id for c in candidates])))} \
        if candidates else {}
    network = dict(db.session.execute(
        select(Request.pupil_id, Request.has_network)
        .where(Request.campaign_id == campaign.id)).all())

    pupils: list[engine.Pupil] = []
    pseudonyms: dict[str, int] = {}
    groups: dict[str, dict[str, str]] = {}
    dropped = 0
    for cand in candidates:
        if cand.age_on_first_day is None:
            continue
        pseudonym = draw_pseudonym()
        while pseudonym in pseudonyms:  # pragma: no cover - 48 random bits
            pseudonym = draw_pseudonym()
        wishes: list[str] = []
        for _rank, sector, wished_offer in sorted(cand.wishes, key=lambda w: w[0]):
            if wished_offer is not None:
                wish = f"offer:o{wished_offer}"
                if f"o{wished_offer}" not in offer_ids:
                    dropped += 1
                    continue
            else:
                wish = f"sector:{sector}"
            if wish not in wishes:
                wishes.append(wish)
        pupils.append(engine.Pupil(
            id=pseudonym, level=campaign.level.value, age=cand.age_on_first_day,
            weeks=tuple(cand.weeks), lat=cand.origin[0], lon=cand.origin[1],
            max_km=cand.max_travel_km, needs_accessible=cand.needs_accessible,
            wishes=tuple(wishes)))
        pseudonyms[pseudonym] = cand.pupil_id
        row = pupil_rows[cand.pupil_id]
        groups[pseudonym] = {
            "gender": row.gender.value if row.gender is not None else "",
            "school": row.school.name,
            "qpv": "" if row.qpv_resident is None else ("yes" if row.qpv_resident else "no"),
            "disability": "yes" if row.needs_accessible else "no",
            # Not answered counts as "no network" for network-first (documented).
            "network": "yes" if network.get(cand.pupil_id) else "no",
        }
    # The instance is sorted by pseudonym: its order says nothing about the pupils.
    pupils.sort(key=lambda p: p.id)
    instance = engine.make_instance(params, pupils, offers)
    stats = {"pupils": len(pupils), "offers": len(offers),
             "slots": sum(len(o.seats) for o in offers), "seats": seats_total,
             "dropped_wishes": dropped, "excluded_pupils": len(excluded),
             "round": round_number}
    return BuiltInstance(instance, pseudonyms, groups, stats)


# Creating and running a round -------------------------------------------------------------

def _check_can_run(campaign: Campaign, round_number: int) -> None:
    if round_number == 1:
        if campaign.state not in (CampaignState.CLOSED, CampaignState.MATCHED):
            raise ServiceError(_l("Clôturez d'abord les vœux de la campagne : un tour "
                                  "d'affectation se calcule sur des vœux arrêtés."))
    elif round_number == 2:
        if campaign.state != CampaignState.PUBLISHED:
            raise ServiceError(_l("Le second tour suit la publication du premier : publiez "
                                  "d'abord un tour."))
    else:
        raise ServiceError(_l("Il n'y a que deux tours : 1 ou 2."))
    published = db.session.scalar(select(func.count()).select_from(MatchingRun).where(
        MatchingRun.campaign_id == campaign.id, MatchingRun.round_number == round_number,
        MatchingRun.state == RunState.PUBLISHED))
    if published:
        raise ServiceError(_l("Ce tour est déjà publié : il ne peut plus être recalculé."))


def create_run(actor: User | None, campaign: Campaign, options: RunOptions) -> MatchingRun:
    """Record a queued run (seed drawn if not given). Execute it with :func:`execute_run`."""
    require(actor, Action.STEER_MATCHING, campaign)
    _check_can_run(campaign, options.round_number)
    seed = options.seed if options.seed is not None else draw_seed()
    try:
        params = options.params(seed)
        engine.make_instance(params, [], [])  # validates the parameters alone
    except engine.InstanceError as error:
        raise ServiceError(_l("Paramètres refusés par le moteur : %(error)s",
                              error=str(error))) from None
    if options.round_number == 2:
        release_unconfirmed(actor, campaign)
    run = MatchingRun(campaign=campaign, round_number=options.round_number,
                      mechanism="optimal", state=RunState.QUEUED,
                      params=json.loads(json.dumps(_params_dict(params))), seed=seed,
                      created_by_id=actor.id if actor is not None else None,
                      message=str(_l("En attente de démarrage")))
    db.session.add(run)
    db.session.flush()
    journal.record(actor, "matching.run_created", run, campaign=campaign.id,
                   round=options.round_number, seed=seed)
    db.session.flush()
    return run


def _params_dict(params: engine.Params) -> dict[str, Any]:
    document: dict[str, Any] = engine.instance_to_dict(engine.make_instance(params, [], []))
    return dict(document["params"])


def _set_progress(run: MatchingRun, percent: int, message: str,
                  callback: ProgressCallback | None) -> None:
    run.progress = percent
    run.message = message
    if callback is not None:
        callback(percent, message)


def _mark_failed(run: MatchingRun, message: str) -> None:
    run.state = RunState.FAILED
    run.progress = 100
    run.message = message[:2000]
    run.finished_at = utcnow()


def execute_run(run: MatchingRun, progress: ProgressCallback | None = None, *,
                draw_pseudonym: PseudonymDraw = random_pseudonym) -> MatchingRun:
    """Build, solve, verify, audit and store a queued run, in the caller's transaction.

    The computation only reads, with autoflush off, so that nothing of the run is written
    before its results are: a progress report written on another connection (the job queue)
    never waits for this transaction, even on SQLite where one writer holds the database.
    A refusal (a bad instance) records why on the run. Any other error is raised after the run
    is marked failed in a transaction of its own, since the caller rolls back: nobody waits
    for it."""
    if run.state != RunState.QUEUED:
        raise ServiceError(_l("Ce calcul a déjà été lancé."))
    started = time.perf_counter()
    try:
        with db.session.no_autoflush:
            computed = _compute(run, progress, started, draw_pseudonym)
        with db.session.begin_nested():
            _store(run, computed, started)
    except (ServiceError, engine.InstanceError) as error:
        _mark_failed(run, str(error))
        db.session.flush()
    except Exception as error:
        run_id = run.id
        db.session.rollback()
        with side_write() as session:
            failed = session.get(MatchingRun, run_id)
            if failed is not None:  # None: the run itself was not committed yet
                _mark_failed(failed, f"{type(error).__name__}: {error}")
        raise
    _set_progress(run, 100, str(_l("Terminé : %(placed)s élèves placés sur %(n)s",
                                   placed=run.placed_count, n=run.pupil_count))
                  if run.verified_ok else str(_l("Le certificat d'optimalité a échoué")),
                  progress)
    return run


@dataclass
class _Computed:
    """What a run computed, before anything of it is written."""

    built: BuiltInstance
    problem: Any
    optimal: Any
    document: dict[str, Any]
    report: Any
    audit: dict[str, Any]
    digest: str


def _compute(run: MatchingRun, progress: ProgressCallback | None, started: float,
             draw_pseudonym: PseudonymDraw) -> _Computed:
    _set_progress(run, 5, str(_l("Lecture des vœux et des places")), progress)
    built = build_instance(run.campaign, _params_from_run(run), run.round_number,
                           draw_pseudonym)
    instance = built.instance
    run.build_seconds = round(time.perf_counter() - started, 6)
    _set_progress(run, 25, str(_l("Instance anonyme construite : %(n)s élèves, %(m)s offres",
                                  n=len(instance.pupils), m=len(instance.offers))), progress)
    problem = engine.build_problem(instance)
    optimal = engine.run_mechanism(instance, "optimal", problem=problem)
    _set_progress(run, 50, str(_l("Affectation optimale calculée")), progress)
    counterfactuals = [engine.run_mechanism(instance, m, groups=built.groups, problem=problem)
                       for m in ("fcfs", "network-first")]
    _set_progress(run, 65, str(_l("Comparaisons (premier arrivé, réseau d'abord) calculées")),
                  progress)
    digest = engine.instance_sha256(instance)
    document = engine.result_to_dict(optimal, digest)
    report = engine.verify_result(instance, engine.result_from_dict(document), problem=problem)
    _set_progress(run, 80, str(_l("Certificat d'optimalité vérifié")), progress)
    audit = engine.audit([optimal, *counterfactuals], built.groups)
    return _Computed(built, problem, optimal, document, report, audit, digest)


def _store(run: MatchingRun, computed: _Computed, started: float) -> None:
    built, optimal, report = computed.built, computed.optimal, computed.report
    instance = built.instance
    run.instance_json = json.dumps(engine.instance_to_dict(instance), ensure_ascii=False,
                                   separators=(",", ":"))
    run.instance_sha256 = computed.digest
    run.result_json = json.dumps(computed.document, ensure_ascii=False, separators=(",", ":"))
    run.audit_json = json.dumps(computed.audit, ensure_ascii=False, separators=(",", ":"))
    run.pseudonyms = built.pseudonyms
    run.stats = {**built.stats, "arcs": int(computed.problem.n_arcs)}
    run.solver = optimal.solver[:100]
    run.objective = optimal.objective
    run.solve_seconds = round(optimal.solve_seconds, 6)
    run.pupil_count = len(instance.pupils)
    run.placed_count = optimal.placed
    run.verified_ok = report.ok
    run.verify_message = "\n".join(report.problems) or None
    for item in computed.document["assignments"]:
        run.assignments.append(Assignment(
            pupil_id=built.pseudonyms[item["pupil"]], offer_id=int(item["offer"][1:]),
            week=item["week"], rank=item["rank"], distance_km=item["distance_km"],
            cost=item["cost"], state=AssignmentState.PROPOSED))
    run.state = RunState.DONE if report.ok else RunState.FAILED
    run.finished_at = utcnow()
    run.total_seconds = round(time.perf_counter() - started, 6)
    campaign = run.campaign
    if run.round_number == 1 and campaign.state == CampaignState.CLOSED and report.ok:
        creator = db.session.get(User, run.created_by_id) if run.created_by_id else None
        campaigns.transition(creator, campaign, "matched")  # type: ignore[arg-type]
    journal.record(None, "matching.run_done", run, placed=optimal.placed,
                   pupils=len(instance.pupils), sha256=computed.digest, verified=report.ok)


def _params_from_run(run: MatchingRun) -> engine.Params:
    p = run.params
    return engine.Params(rank_costs=tuple(p["rank_costs"]), allow_unranked=p["allow_unranked"],
                         unranked_cost=p["unranked_cost"], km_cost=p["km_cost"],
                         unassigned_cost=p["unassigned_cost"], seed=run.seed)


def run_round(actor: User | None, campaign: Campaign, options: RunOptions,
              progress: ProgressCallback | None = None, *,
              draw_pseudonym: PseudonymDraw = random_pseudonym) -> MatchingRun:
    """Create and execute a run in the caller's thread (command line, tests, the demo)."""
    require(actor, Action.STEER_MATCHING, campaign)
    return execute_run(create_run(actor, campaign, options), progress,
                       draw_pseudonym=draw_pseudonym)


# Reading runs -----------------------------------------------------------------------------

def get_run(run_id: int) -> MatchingRun | None:
    return db.session.get(MatchingRun, run_id)


def campaign_runs(campaign: Campaign) -> list[MatchingRun]:
    return list(db.session.scalars(
        select(MatchingRun).where(MatchingRun.campaign_id == campaign.id)
        .order_by(MatchingRun.round_number, MatchingRun.id)))


def _loads(text: str | None) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(text) if text else {}
    return value


def run_audit(run: MatchingRun) -> dict[str, Any]:
    return _loads(run.audit_json)


def run_result(run: MatchingRun) -> dict[str, Any]:
    return _loads(run.result_json)


def run_instance(run: MatchingRun) -> dict[str, Any]:
    return _loads(run.instance_json)


def blindness(actor: User, run: MatchingRun) -> dict[str, Any]:
    """The field names of the stored instance and whether any of them is protected."""
    require(actor, Action.STEER_MATCHING, run)
    doc = run_instance(run)
    pupil_fields = sorted({k for p in doc.get("pupils", []) for k in p})
    offer_fields = sorted({k for o in doc.get("offers", []) for k in o})
    found = sorted((set(pupil_fields) | set(offer_fields) | set(doc)) & PROTECTED_FIELDS)
    return {"pupil_fields": pupil_fields, "offer_fields": offer_fields,
            "top_fields": sorted(doc), "protected_found": found, "ok": bool(doc) and not found}


@dataclass
class RunSummary:
    run: MatchingRun
    pupils: int
    placed: int
    placement_rate: float | None
    wish1_share: float | None
    mean_rank: float | None
    mean_km: float | None
    p90_km: float | None
    largest_gaps: dict[str, float | None]


def summarize(run: MatchingRun, mechanism: str = "optimal") -> RunSummary | None:
    audit = run_audit(run)
    overall = audit.get("overall", {}).get(mechanism)
    if overall is None:
        return None
    threshold = min_cell()
    gaps: dict[str, float | None] = {}
    for label_name, table in audit.get("labels", {}).items():
        worst: float | None = None
        for value, by_mech in table.items():
            entry = by_mech.get(mechanism, {})
            if value == "(missing)" or entry.get("size", 0) < threshold:
                continue
            gap = entry.get("gap_vs_rest", {}).get("placement_rate", {}).get("gap")
            if gap is not None and (worst is None or abs(gap) > abs(worst)):
                worst = gap
        gaps[label_name] = worst
    return RunSummary(run, overall["size"], overall["placed"], overall["placement_rate"],
                      overall["wish1_share"], overall["mean_rank"], overall["mean_km"],
                      overall["p90_km"], gaps)


def compare_runs(actor: User, runs: list[MatchingRun]) -> list[RunSummary]:
    require(actor, Action.STEER_MATCHING)
    return [s for s in (summarize(r) for r in runs) if s is not None]


# Publication ------------------------------------------------------------------------------

def publish(actor: User, run: MatchingRun) -> MatchingRun:
    """Publish a dry run: all of it in one transaction, or nothing.

    The run and its assignments become published, the other dry runs of the round are
    discarded, the campaign moves to "published", the outbox receives the messages to pupils
    (guardians), teachers, company members and tutors, and the journal says who did it. Two
    people publishing at once: the conditional UPDATE on the run's state lets exactly one win.
    """
    require(actor, Action.STEER_MATCHING, run)
    if run.state != RunState.DONE:
        raise ServiceError(_l("Seul un essai terminé et vérifié peut être publié (cet essai "
                              "est « %(state)s »).", state=_state_label(run.state)))
    campaign = run.campaign
    run_id, campaign_id, round_number = run.id, campaign.id, run.round_number
    try:
        won = db.session.execute(
            update(MatchingRun)
            .where(MatchingRun.id == run_id, MatchingRun.state == RunState.DONE)
            .values(state=RunState.PUBLISHED, published_at=utcnow(), published_by_id=actor.id)
            .execution_options(synchronize_session=False))
        if won.rowcount != 1:  # type: ignore[attr-defined]
            raise ServiceError(_l("Cet essai vient d'être publié ou écarté par quelqu'un "
                                  "d'autre : rechargez la page."))
        other = db.session.scalar(select(func.count()).select_from(MatchingRun).where(
            MatchingRun.campaign_id == campaign_id, MatchingRun.round_number == round_number,
            MatchingRun.state == RunState.PUBLISHED, MatchingRun.id != run_id))
        if other:
            raise ServiceError(_l("Un autre essai de ce tour est déjà publié."))
        db.session.execute(
            update(Assignment)
            .where(Assignment.run_id == run_id, Assignment.state == AssignmentState.PROPOSED)
            .values(state=AssignmentState.PUBLISHED)
            .execution_options(synchronize_session=False))
        discarded = db.session.execute(
            update(MatchingRun)
            .where(MatchingRun.campaign_id == campaign_id,
                   MatchingRun.round_number == round_number, MatchingRun.id != run_id,
                   MatchingRun.state.in_((RunState.DONE, RunState.FAILED)))
            .values(state=RunState.DISCARDED)
            .execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
        db.session.expire_all()
        run = db.session.get(MatchingRun, run_id)  # type: ignore[assignment]
        campaign = run.campaign
        campaigns.transition(actor, campaign, "publish")
        counts = _queue_publication_mail(run)
        from stagebourse.services.preparation import queue_preparation

        queue_preparation(actor, run)
        journal.record(actor, "matching.published", run, campaign=campaign_id,
                       round=round_number, assignments=counts["assignments"],
                       discarded=discarded, sha256=run.instance_sha256)
        db.session.flush()
    except ServiceError:
        db.session.rollback()
        raise
    except DBAPIError:
        # SQLite refuses a second writer instead of waiting: the other publication won.
        db.session.rollback()
        raise ServiceError(_l("Une autre publication est en cours : rechargez la page dans "
                              "un instant.")) from None
    except Exception:
        db.session.rollback()
        raise
    return run


def _state_label(state: RunState) -> str:
    from stagebourse.labels import label

    return label(state)


def _queue_publication_mail(run: MatchingRun) -> dict[str, int]:
    campaign = run.campaign
    assignments = [a for a in run.assignments if a.state == AssignmentState.PUBLISHED]
    deadline = campaign.confirmation_deadline
    guardians = 0
    schools: dict[int, int] = {}
    companies: dict[int, list[Assignment]] = {}
    for a in assignments:
        pupil = a.pupil
        schools[pupil.school_id] = schools.get(pupil.school_id, 0) + 1
        companies.setdefault(a.offer.company_id, []).append(a)
        if pupil.guardian_email:
            queue_email(
                pupil.guardian_email, "assignment_pupil", key=f"assignment:pupil:{a.id}",
                reason=("votre adresse a été donnée comme celle du représentant légal d'un "
                        "élève inscrit à la bourse de stages de Valenciennes Métropole."),
                first_name=pupil.first_name, offer=a.offer, company=a.offer.company,
                week=week_label(a.week), deadline=deadline,
                link=public_url("pupil.assignment_page"))
            guardians += 1
    teachers = db.session.scalars(
        select(User).where(User.role == Role.TEACHER, User.school_id.in_(list(schools)),
                           User.is_active.is_(True), User.validated_at.is_not(None))
        .order_by(User.id)).all() if schools else []
    for teacher in teachers:
        assert teacher.email is not None and teacher.school_id is not None
        queue_email(
            teacher.email, "assignment_teacher", key=f"assignment:teacher:{run.id}:{teacher.id}",
            reason=("vous êtes professeur référent d'un établissement inscrit à la bourse de "
                    "stages de Valenciennes Métropole."),
            campaign=campaign, pupils=schools[teacher.school_id], deadline=deadline,
            link=public_url("teacher.assignments_page"))
    members = db.session.scalars(
        select(User).where(User.role == Role.COMPANY, User.company_id.in_(list(companies)),
                           User.is_active.is_(True)).order_by(User.id)).all() \
        if companies else []
    for member in members:
        assert member.email is not None and member.company_id is not None
        queue_email(
            member.email, "assignment_company", key=f"assignment:company:{run.id}:{member.id}",
            reason=("vous êtes membre d'une structure d'accueil de la bourse de stages de "
                    "Valenciennes Métropole."),
            campaign=campaign, pupils=len(companies[member.company_id]), deadline=deadline,
            link=public_url("company.assignments_page"))
    return {"assignments": len(assignments), "guardians": guardians,
            "teachers": len(teachers), "members": len(members)}


# Answers after publication ----------------------------------------------------------------

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
    journal.record(actor, f"assignment.{'confirmed' if accept else 'declined'}", assignment,
                   side=side, run=assignment.run_id)
    db.session.flush()
    return assignment


def answer_for_pupil(actor: User, assignment: Assignment, accept: bool,
                     today: dt.date | None = None) -> Assignment:
    """The pupil, or a validated teacher of their school, confirms or declines."""
    require(actor, Action.PUPIL_ANSWER, assignment)
    _check_answerable(assignment, today)
    return _decide(actor, assignment, "pupil", accept)


def answer_for_company(actor: User, assignment: Assignment, accept: bool,
                       today: dt.date | None = None) -> Assignment:
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
        journal.record(actor, "matching.released_unconfirmed", campaign, count=len(stale))
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


# Manual changes ---------------------------------------------------------------------------

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
    state = AssignmentState.PUBLISHED if run.state == RunState.PUBLISHED \
        else AssignmentState.PROPOSED
    if current is None:
        current = Assignment(run_id=run.id, pupil_id=pupil_id, offer_id=offer.id, week=week,
                             rank=rank, distance_km=km, cost=cost, state=state)
        db.session.add(current)
    else:
        current.offer_id, current.week, current.rank = offer.id, week, rank
        current.distance_km, current.cost, current.state = km, cost, state
        current.pupil_confirmed_at = current.company_confirmed_at = None
        current.declined_by = current.decided_at = None
    current.manual_reason = reason
    db.session.flush()
    entry = journal.record(actor, "matching.manual_move", run, assignment=current.id,
                           previous=previous, offer=offer.id, week=week, rank=rank,
                           reason=reason)
    if run.state == RunState.PUBLISHED:
        # A published assignment changed: the family and the new host must answer again.
        db.session.flush()
        _queue_moved_mail(current, offer, f"moved:{entry.id}")
    db.session.flush()
    return current


def _queue_moved_mail(assignment: Assignment, offer: Offer, suffix: str) -> None:
    pupil = db.session.get(Pupil, assignment.pupil_id)
    campaign = assignment.run.campaign
    if pupil is not None and pupil.guardian_email:
        queue_email(
            pupil.guardian_email, "assignment_pupil",
            key=f"assignment:pupil:{assignment.id}:{suffix}",
            reason=("votre adresse a été donnée comme celle du représentant légal d'un "
                    "élève inscrit à la bourse de stages de Valenciennes Métropole."),
            first_name=pupil.first_name, offer=offer, company=offer.company,
            week=week_label(assignment.week), deadline=campaign.confirmation_deadline,
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
    agreements.void_for(actor, assignment, f"Affectation annulée : {reason}")
    journal.record(actor, "matching.manual_cancel", assignment.run, assignment=assignment.id,
                   offer=assignment.offer_id, week=assignment.week, previous=previous,
                   reason=reason)
    db.session.flush()
    return assignment


def manual_changes(actor: User, run: MatchingRun) -> list[JournalEntry]:
    require(actor, Action.STEER_MATCHING, run)
    return list(db.session.scalars(
        select(JournalEntry).where(
            JournalEntry.subject_type == "MatchingRun", JournalEntry.subject_id == str(run.id),
            JournalEntry.action.in_(("matching.manual_move", "matching.manual_cancel")))
        .order_by(JournalEntry.at, JournalEntry.id)))


# Reproducibility and exports --------------------------------------------------------------

def _assignment_keys(document: Mapping[str, Any]) -> set[tuple[str, str, str]]:
    return {(a["pupil"], a["offer"], a["week"]) for a in document.get("assignments", [])}


def reproduce(actor: User | None, run: MatchingRun) -> bool:
    """Re-run the stored instance with the stored seed; record whether the result is the same."""
    require(actor, Action.STEER_MATCHING, run)
    if not run.instance_json or not run.result_json:
        raise ServiceError(_l("Cet essai n'a pas de résultat à reproduire."))
    instance = engine.instance_from_dict(json.loads(run.instance_json))
    again = engine.result_to_dict(engine.run_mechanism(instance, "optimal", seed=run.seed),
                                  engine.instance_sha256(instance))
    stored = run_result(run)
    a, b = _assignment_keys(stored), _assignment_keys(again)
    same = (a == b and again["instance_sha256"] == run.instance_sha256
            and again["objective"] == stored["objective"])
    run.reproduced_ok = same
    run.reproduced_at = utcnow()
    run.reproduced_message = (
        str(_l("Identique : %(n)s affectations, même objectif, même empreinte.", n=len(a)))
        if same else str(_l("Différent : %(missing)s affectations manquent, %(extra)s en plus.",
                            missing=len(a - b), extra=len(b - a))))
    journal.record(actor, "matching.reproduced", run, ok=same)
    db.session.flush()
    return same


def export_files(actor: User | None, run: MatchingRun, directory: Path) -> list[Path]:
    """Write the anonymised instance and result files (never the pseudonym map)."""
    require(actor, Action.STEER_MATCHING, run)
    if not run.instance_json or not run.result_json:
        raise ServiceError(_l("Cet essai n'a pas de résultat à exporter."))
    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / f"run-{run.id}-instance.json", directory / f"run-{run.id}-result.json"]
    write_json(paths[0], json.loads(run.instance_json))
    write_json(paths[1], json.loads(run.result_json))
    return paths


# One assignment, as the acting user may reach it --------------------------------------------

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


def run_assignment(run: MatchingRun, assignment_id: int | None) -> Assignment | None:
    """An assignment of this round, else None (a stale or forged form)."""
    if assignment_id is None:
        return None
    assignment = db.session.get(Assignment, assignment_id)
    return assignment if assignment is not None and assignment.run_id == run.id else None
