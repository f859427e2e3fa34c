"""Independent verification of a result file against its instance.

The verifier never calls the flow solver. It

1. checks the instance hash, that every pupil appears exactly once, that every assignment
   is a feasible (pupil, offer, week) triple and that no (offer, week) is over capacity;
2. recomputes every rank, distance and cost and the objective;
3. for ``optimal``: certifies that the number placed is maximum (no alternating path from
   an unplaced pupil to a free seat), that with priority classes the numbers placed per
   class are lexicographically maximum (no alternating path from an unplaced pupil to a
   placed pupil of a lower class), and that the objective is minimum (node potentials with
   non-negative reduced costs on the whole residual graph, computed by Bellman-Ford in exact
   integers); otherwise it reports the improving exchange it found;
4. for ``fcfs`` (and ``network-first`` when the groups are given): re-runs the mechanism
   with the result's seed and compares.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from .certificate import (
    ARC_FROM_UNASSIGNED,
    ARC_PLACE,
    ARC_REMOVE,
    ARC_TO_UNASSIGNED,
    AugmentingPath,
    augmenting_path,
    potentials,
    priority_exchange,
    residual_graph,
)
from .costs import Problem, build_problem, distance_metres
from .instance import Instance
from .io import ResultFile, instance_sha256
from .mechanisms import run_mechanism

__all__ = ["Infeasibility", "VerifyReport", "explain_infeasible", "infeasibility",
           "verify_result"]

IntArray = npt.NDArray[np.int64]
MAX_LISTED = 20


@dataclass
class VerifyReport:
    """Outcome of :func:`verify_result`.

    Attributes
    ----------
    ok : bool
        True when nothing is wrong.
    problems : list of str
        Precise messages, one per defect (at most ``MAX_LISTED`` of a kind).
    notes : list of str
        What was certified.
    choice : ndarray of int64 or None
        The assignment as arc indices of the feasible graph, once it is known to be valid.
    """

    ok: bool = True
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    choice: IntArray | None = None

    def fail(self, message: str) -> None:
        """Record a defect.

        Parameters
        ----------
        message : str
        """
        self.ok = False
        self.problems.append(message)


@dataclass(frozen=True)
class Infeasibility:
    """The first rule that a (pupil, offer, week) triple breaks, with the figures involved:
    callers word it in their own language (``explain_infeasible`` is the English one).

    ``rule`` is one of "week", "seats", "distance", "level", "age", "accessible", "wish".
    """

    rule: str
    pupil_weeks: tuple[str, ...] = ()
    km: float = 0.0
    max_km: float = 0.0
    level: str = ""
    age: int = 0
    min_age: int = 0
    sector: str = ""


def infeasibility(instance: Instance, pupil: int, offer: int, week: str) -> Infeasibility:
    """Which rule (pupil, offer, week) breaks; ``pupil`` and ``offer`` are indices in the
    instance. Rules are checked in a fixed order, the same as ``costs.build_problem``."""
    p, o = instance.pupils[pupil], instance.offers[offer]
    if week not in p.weeks:
        return Infeasibility("week", pupil_weeks=tuple(p.weeks))
    if dict(o.seats).get(week, 0) <= 0:
        return Infeasibility("seats")
    km = int(distance_metres(p.lat, p.lon, o.lat, o.lon)) / 1000.0
    if not km <= p.max_km:
        return Infeasibility("distance", km=km, max_km=p.max_km)
    if p.level not in o.levels:
        return Infeasibility("level", level=p.level)
    if p.age < o.min_age:
        return Infeasibility("age", age=p.age, min_age=o.min_age)
    if p.needs_accessible and not o.accessible:
        return Infeasibility("accessible")
    return Infeasibility("wish", sector=o.sector)


def explain_infeasible(instance: Instance, pupil: int, offer: int, week: str) -> str:
    """Say in English why (pupil, offer, week) is not a feasible triple (``infeasibility``)."""
    why = infeasibility(instance, pupil, offer, week)
    oid = instance.offers[offer].id
    return {
        "week": f"{week} is not one of the pupil's weeks ({', '.join(why.pupil_weeks)})",
        "seats": f"offer {oid} has no seat in {week}",
        "distance": f"distance {why.km:g} km exceeds max_km {why.max_km:g}",
        "level": f"offer {oid} does not accept level {why.level}",
        "age": f"age {why.age} is below the offer's min_age {why.min_age}",
        "accessible": f"the pupil needs an accessible workplace and offer {oid} is not "
                      "accessible",
        "wish": f"no wish names offer {oid} or its sector {why.sector} and allow_unranked is "
                "false",
    }[why.rule]


def _points(problem: Problem, units: int) -> float:
    return float(problem.scale.to_points(np.array([units]))[0])


def _describe_cycle(problem: Problem, instance: Instance, graph_kind: npt.NDArray[np.int8],
                    graph_ref: IntArray, cycle: IntArray) -> str:
    moves: list[str] = []
    for arc in cycle.tolist():
        kind, ref = int(graph_kind[arc]), int(graph_ref[arc])
        if kind == ARC_PLACE:
            p = instance.pupils[int(problem.arc_pupil[ref])].id
            s = int(problem.arc_slot[ref])
            moves.append(f"{p} takes {instance.offers[int(problem.slot_offer[s])].id} "
                         f"{problem.weeks[int(problem.slot_week[s])]}")
        elif kind == ARC_REMOVE:
            p = instance.pupils[int(problem.arc_pupil[ref])].id
            s = int(problem.arc_slot[ref])
            moves.append(f"{p} leaves {instance.offers[int(problem.slot_offer[s])].id} "
                         f"{problem.weeks[int(problem.slot_week[s])]}")
        elif kind == ARC_TO_UNASSIGNED:
            moves.append(f"{instance.pupils[ref].id} becomes unassigned")
        elif kind == ARC_FROM_UNASSIGNED:
            moves.append(f"unassigned {instance.pupils[ref].id} gets a seat")
    return "; ".join(moves)


def _describe_path(problem: Problem, instance: Instance, path: AugmentingPath) -> str:
    steps = []
    for k, (p, s) in enumerate(zip(path.pupils, path.slots, strict=True)):
        offer = instance.offers[int(problem.slot_offer[s])].id
        week = problem.weeks[int(problem.slot_week[s])]
        holder = path.pupils[k + 1] if k + 1 < len(path.pupils) else path.dropped
        after = f" from {instance.pupils[holder].id}" if holder >= 0 else " (free seat)"
        steps.append(f"{instance.pupils[p].id} takes {offer} {week}{after}")
    if path.dropped >= 0:
        steps.append(f"{instance.pupils[path.dropped].id} is unplaced")
    return "; ".join(steps)


def verify_result(instance: Instance, result: ResultFile,
                  groups: Mapping[str, Mapping[str, str]] | None = None,
                  problem: Problem | None = None) -> VerifyReport:
    """Check a result against its instance, independently of the solver.

    Parameters
    ----------
    instance : Instance
    result : ResultFile
    groups : mapping, optional
        Needed only to re-run ``network-first``.
    problem : Problem, optional
        The feasible graph, if already built.

    Returns
    -------
    VerifyReport
    """
    report = VerifyReport()
    digest = instance_sha256(instance)
    if result.instance_sha256 != digest:
        report.fail(f"instance_sha256: the result was computed on another instance (result "
                    f"says {result.instance_sha256}, this instance is {digest})")
        return report
    if problem is None:
        problem = build_problem(instance)
    pupil_index = {p.id: k for k, p in enumerate(instance.pupils)}
    seen: dict[str, str] = {}
    n, m = problem.n_pupils, problem.n_slots
    week_index = {w: k for k, w in enumerate(problem.weeks)}
    slot_key = problem.slot_offer.astype(np.int64) * max(len(problem.weeks), 1) \
        + problem.slot_week.astype(np.int64)
    slot_order = np.argsort(slot_key, kind="stable")
    arc_key = problem.arc_pupil.astype(np.int64) * max(m, 1) + problem.arc_slot.astype(np.int64)
    choice = np.full(n, -1, dtype=np.int64)
    listed = 0

    def fail_listed(message: str) -> None:
        nonlocal listed
        listed += 1
        if listed <= MAX_LISTED:
            report.fail(message)
        elif listed == MAX_LISTED + 1:
            report.fail("... (further defects of this kind not listed)")

    # identifiers -> indices (unknown and repeated pupils reported here)
    rows: list[int] = []
    idx_i: list[int] = []
    idx_j: list[int] = []
    idx_w: list[int] = []
    for a in result.assignments:
        where = f'assignments[{a.index}] (pupil "{a.pupil}")'
        i = pupil_index.get(a.pupil)
        if i is None:
            fail_listed(f"{where}: unknown pupil")
            continue
        if a.pupil in seen:
            fail_listed(f"{where}: pupil appears twice (also {seen[a.pupil]})")
            continue
        seen[a.pupil] = f"assignments[{a.index}]"
        try:
            j = instance.offer_index(a.offer)
        except KeyError:
            fail_listed(f'{where}: unknown offer "{a.offer}"')
            continue
        rows.append(a.index)
        idx_i.append(i)
        idx_j.append(j)
        idx_w.append(week_index.get(a.week, -1))
    ai = np.asarray(idx_i, dtype=np.int64)
    aj = np.asarray(idx_j, dtype=np.int64)
    aw = np.asarray(idx_w, dtype=np.int64)
    # (offer, week) -> slot -> arc, vectorised
    slot = np.full(ai.size, -1, dtype=np.int64)
    if m:
        sorted_slot_key = slot_key[slot_order]
        key = aj * max(len(problem.weeks), 1) + aw
        pos = np.clip(np.searchsorted(sorted_slot_key, key), 0, m - 1)
        hit = (aw >= 0) & (sorted_slot_key[pos] == key)
        slot[hit] = slot_order[pos[hit]]
    arc = np.full(ai.size, -1, dtype=np.int64)
    if problem.n_arcs:
        key = ai * max(m, 1) + slot
        pos = np.clip(np.searchsorted(arc_key, key), 0, problem.n_arcs - 1)
        hit = (slot >= 0) & (arc_key[pos] == key)
        arc[hit] = pos[hit]
    ok = arc >= 0
    for k in np.flatnonzero(~ok).tolist():
        a = result.assignments[rows[k]]
        why = explain_infeasible(instance, int(ai[k]), int(aj[k]), a.week)
        fail_listed(f'assignments[{a.index}] (pupil "{a.pupil}"): offer {a.offer} in {a.week} '
                    f"is not feasible: {why}")
    good = np.flatnonzero(ok)
    garc = arc[good]
    choice[ai[good]] = garc
    exp_rank = problem.arc_rank[garc].astype(np.int64)
    exp_km = problem.arc_metres[garc] / 1000.0
    exp_cost = problem.scale.to_points(problem.arc_cost[garc])
    got = [result.assignments[rows[k]] for k in good.tolist()]
    got_rank = np.fromiter((a.rank or 0 for a in got), dtype=np.int64, count=len(got))
    got_null = np.fromiter((a.rank is None for a in got), dtype=np.bool_, count=len(got))
    got_km = np.fromiter((a.distance_km for a in got), dtype=np.float64, count=len(got))
    got_cost = np.fromiter((a.cost for a in got), dtype=np.float64, count=len(got))
    bad_rank = (got_rank != exp_rank) | (got_null != (exp_rank == 0))
    bad_km = np.abs(got_km - exp_km) > 1e-6
    bad_cost = np.abs(got_cost - exp_cost) > 1e-9 * np.maximum(1.0, np.abs(exp_cost))
    for k in np.flatnonzero(bad_rank | bad_km | bad_cost).tolist():
        a = got[k]
        where = f'assignments[{a.index}] (pupil "{a.pupil}")'
        if bad_rank[k]:
            fail_listed(f"{where}: rank is {a.rank}, recomputed {int(exp_rank[k]) or None}")
        if bad_km[k]:
            fail_listed(f"{where}: distance_km is {a.distance_km!r}, recomputed "
                        f"{float(exp_km[k])!r}")
        if bad_cost[k]:
            fail_listed(f"{where}: cost is {a.cost!r}, recomputed {float(exp_cost[k])!r}")
    for k, pid in enumerate(result.unassigned):
        if pid not in pupil_index:
            fail_listed(f'unassigned[{k}]: unknown pupil "{pid}"')
        elif pid in seen:
            fail_listed(f'unassigned[{k}]: pupil "{pid}" also appears in {seen[pid]}')
        else:
            seen[pid] = f"unassigned[{k}]"
    missing = [p.id for p in instance.pupils if p.id not in seen]
    if missing:
        shown = ", ".join(f'"{x}"' for x in missing[:MAX_LISTED])
        more = f" and {len(missing) - MAX_LISTED} more" if len(missing) > MAX_LISTED else ""
        report.fail(f"pupils missing from both assignments and unassigned: {shown}{more}")
    load = np.bincount(problem.arc_slot[choice[choice >= 0]].astype(np.int64), minlength=m)
    for s in np.flatnonzero(load > problem.slot_seats).tolist():
        report.fail(f"offer {instance.offers[int(problem.slot_offer[s])].id} in "
                    f"{problem.weeks[int(problem.slot_week[s])]}: {int(load[s])} pupils "
                    f"assigned to {int(problem.slot_seats[s])} seats")
    if not report.ok:
        return report

    placed = int(np.count_nonzero(choice >= 0))
    units = int(problem.arc_cost[choice[choice >= 0]].sum()) \
        + problem.scale.unassigned_units * (n - placed)
    objective = _points(problem, units)
    if abs(result.objective - objective) > 1e-9 * max(1.0, abs(objective)):
        report.fail(f"objective is {result.objective!r}, recomputed {objective!r} (sum of the "
                    f"costs + unassigned_cost x {n - placed} unassigned)")
        return report
    report.choice = choice
    report.notes.append(f"all constraints hold; {placed} of {n} pupils placed; objective "
                        f"{objective!r} recomputed exactly")

    if result.mechanism == "optimal":
        path = augmenting_path(problem, choice)
        if path is not None:
            report.fail("not optimal: one more pupil can be placed: "
                        + _describe_path(problem, instance, path))
            return report
        exchange = priority_exchange(problem, choice)
        if exchange is not None:
            enters, leaves = instance.pupils[exchange.pupils[0]], \
                instance.pupils[exchange.dropped]
            report.fail(f"not optimal: {enters.id} (priority {enters.priority}) can be placed "
                        f"instead of {leaves.id} (priority {leaves.priority}): "
                        + _describe_path(problem, instance, exchange))
            return report
        graph = residual_graph(problem, choice, problem.scale.unassigned_units)
        pot = potentials(graph)
        if pot.cycle is not None:
            gain = -int(graph.cost[pot.cycle].sum())
            report.fail(f"not optimal: this exchange lowers the objective by "
                        f"{_points(problem, gain)!r}: "
                        + _describe_cycle(problem, instance, graph.kind, graph.ref, pot.cycle))
            return report
        report.notes.append(f"optimal: no alternating path reaches a free seat, so {placed} "
                            "placed is the maximum; node potentials give every residual arc a "
                            "non-negative reduced cost, so the objective is the minimum")
        if np.unique(problem.pupil_priority).size > 1:
            counts = ", ".join(
                f"class {k}: {int(np.count_nonzero((choice >= 0) & (problem.pupil_priority == k)))}"
                f" of {int(np.count_nonzero(problem.pupil_priority == k))}"
                for k in np.unique(problem.pupil_priority)[::-1].tolist())
            report.notes.append(
                f"priority: no unplaced pupil reaches a placed pupil of a lower class by an "
                f"alternating path, so the numbers placed per class ({counts}) are the "
                "lexicographic maximum, and the objective is the minimum among assignments "
                "placing as many pupils of each class")
    elif result.mechanism == "fcfs" or (result.mechanism == "network-first"
                                        and groups is not None):
        again = run_mechanism(instance, result.mechanism, seed=result.seed, groups=groups,
                              problem=problem)
        differ = np.flatnonzero(again.choice != choice)
        if differ.size:
            first = instance.pupils[int(differ[0])].id
            report.fail(f"{result.mechanism}: a re-run with seed {result.seed} differs for "
                        f"{differ.size} pupils (first: \"{first}\")")
        else:
            report.notes.append(f"{result.mechanism}: identical to a re-run with seed "
                                f"{result.seed}")
    elif result.mechanism == "network-first":
        report.notes.append("network-first: not re-run (give --groups with a network column)")
    else:
        report.fail(f'mechanism: unknown mechanism "{result.mechanism}"')
    return report
