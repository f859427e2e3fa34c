"""Rounds: created by the steering group, computed by the worker, read by the pages.

A round runs the optimal mechanism and the two counterfactuals (first come first served,
network first) on the same pupils with the same seed, verifies the optimal result with the
engine's certificate, audits the three, and stores everything on the run with its assignments
(state ``proposed``). A run is a dry run until it is published."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from stagebourse import matching as engine
from stagebourse.extensions import db
from stagebourse.models import (
    Assignment,
    AssignmentState,
    Campaign,
    CampaignState,
    MatchingRun,
    RunState,
    User,
    utcnow,
)
from stagebourse.services import ServiceError, campaigns, journal
from stagebourse.services.journal import Event
from stagebourse.services.matching.answers import release_unconfirmed
from stagebourse.services.matching.feasibility import unplaceable_reasons
from stagebourse.services.matching.instances import (
    PROTECTED_FIELDS,
    BuiltInstance,
    PseudonymDraw,
    build_instance,
    random_pseudonym,
)
from stagebourse.services.policy import Action, require
from stagebourse.transactions import side_write

DEFAULT_MIN_CELL = 11


ProgressCallback = Callable[[int, str], None]


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


def published_rounds(campaign: Campaign) -> int:
    """How many rounds of the campaign are published (they are numbered 1, 2, 3...)."""
    return int(db.session.scalar(select(func.max(MatchingRun.round_number)).where(
        MatchingRun.campaign_id == campaign.id, MatchingRun.state == RunState.PUBLISHED))
        or 0)


def next_round(campaign: Campaign) -> int:
    """The round a new run belongs to: the one after the last published round."""
    return published_rounds(campaign) + 1


def _check_can_run(campaign: Campaign, round_number: int) -> None:
    if round_number < 1:
        raise ServiceError(_l("Les tours sont numérotés à partir de 1."))
    if round_number == 1:
        if campaign.state not in (CampaignState.CLOSED, CampaignState.MATCHED,
                                  CampaignState.PUBLISHED):
            raise ServiceError(_l("Clôturez d'abord les vœux de la campagne : un tour "
                                  "d'affectation se calcule sur des vœux arrêtés."))
    elif campaign.state != CampaignState.PUBLISHED:
        raise ServiceError(_l("Un nouveau tour suit la publication du précédent : publiez "
                              "d'abord un tour."))
    expected = next_round(campaign)
    if round_number < expected:
        raise ServiceError(_l("Ce tour est déjà publié : il ne peut plus être recalculé. "
                              "Lancez le tour %(n)s.", n=expected))
    if round_number > expected:
        raise ServiceError(_l("Le tour %(n)s suit la publication du tour %(prev)s : publiez "
                              "d'abord celui-ci.", n=round_number, prev=expected - 1))


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
    if options.round_number > 1:
        # After the confirmation deadline the seats still awaiting an answer go back to the
        # pool: this round offers them, with every seat freed by a decline or a cancellation.
        release_unconfirmed(actor, campaign)
    run = MatchingRun(campaign=campaign, round_number=options.round_number,
                      mechanism="optimal", state=RunState.QUEUED,
                      params=json.loads(json.dumps(_params_dict(params))), seed=seed,
                      created_by_id=actor.id if actor is not None else None,
                      message=str(_l("En attente de démarrage")))
    db.session.add(run)
    db.session.flush()
    journal.record(actor, Event.MATCHING_RUN_CREATED, run, campaign=campaign.id,
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
    # Pupils no seat could reach, and why: the run says it, not only the round form.
    built.stats["no_feasible_seat"] = dict(unplaceable_reasons(instance, problem))
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
    journal.record(None, Event.MATCHING_RUN_DONE, run, placed=optimal.placed,
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


def get_run(run_id: int) -> MatchingRun | None:
    # Every page of a run names its campaign.
    return db.session.get(MatchingRun, run_id, options=[joinedload(MatchingRun.campaign)])


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


# The field names of each stored instance, by its digest: an instance never changes once
# stored, and parsing megabytes of it for a few names cost 100 ms on each view of a
# département's audit page.
_FIELDS_BY_INSTANCE: dict[str, dict[str, Any]] = {}


def blindness(actor: User, run: MatchingRun) -> dict[str, Any]:
    """The field names of the stored instance and whether any of them is protected."""
    require(actor, Action.STEER_MATCHING, run)
    digest = run.instance_sha256
    fields = _FIELDS_BY_INSTANCE.get(digest) if digest else None
    if fields is None:
        fields = _field_names(run_instance(run))
        if digest:
            if len(_FIELDS_BY_INSTANCE) >= 64:
                _FIELDS_BY_INSTANCE.clear()
            _FIELDS_BY_INSTANCE[digest] = fields
    return fields


def _field_names(doc: dict[str, Any]) -> dict[str, Any]:
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

