"""The matching mechanisms: the optimal bourse and the counterfactuals it is compared with.

* ``optimal``: the exact lexicographic optimum (as many pupils of the highest priority class
  placed as possible, then of the next class..., then as many pupils as possible, then the
  smallest sum of rank and travel costs), ties broken by the seeded lottery.
* ``fcfs``: first come, first served. Pupils, in a seeded random application order, each
  take their best (cheapest) feasible seat still free.
* ``network-first``: the same, but pupils whose family has a network choose first (in
  random order), then the others: what happens without a bourse.

Only ``network-first`` reads a label (``network``); ``optimal`` never sees any. The
counterfactuals ignore priority classes: they stand for what happens without the bourse.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .certificate import potentials, priority_exchange, residual_graph
from .costs import Problem, build_problem
from .instance import Instance, InstanceError
from .lottery import draw_among_optima, pupil_order
from .solver import (
    class_rank,
    components,
    max_flow_min_cost,
    safe_gap,
    solver_name,
    trial_gap,
)

__all__ = [
    "MECHANISMS",
    "MatchResult",
    "choice_from_arcs",
    "run_mechanism",
    "solve_fcfs",
    "solve_optimal",
]

IntArray = npt.NDArray[np.int64]
MECHANISMS = ("optimal", "fcfs", "network-first")


@dataclass(frozen=True, slots=True)
class MatchResult:
    """The outcome of one mechanism on one instance.

    Attributes
    ----------
    instance : Instance
    problem : Problem
        The feasible graph the mechanism worked on.
    mechanism : str
        ``"optimal"``, ``"fcfs"`` or ``"network-first"``.
    seed : int
    solver : str
    solve_seconds : float
        Time spent choosing the assignment (the feasible graph already built).
    choice : ndarray of int64
        For every pupil (instance order), the index of its arc in ``problem``, or -1.
    """

    instance: Instance
    problem: Problem
    mechanism: str
    seed: int
    solver: str
    solve_seconds: float
    choice: IntArray

    @property
    def placed(self) -> int:
        """Number of placed pupils."""
        return int(np.count_nonzero(self.choice >= 0))

    @property
    def cost_units(self) -> int:
        """Exact sum of the assignments' costs, in cost units."""
        return int(self.problem.arc_cost[self.choice[self.choice >= 0]].sum())

    @property
    def objective_units(self) -> int:
        """Exact objective in cost units: costs + unassigned_cost x unplaced."""
        unplaced = self.problem.n_pupils - self.placed
        return self.cost_units + self.problem.scale.unassigned_units * unplaced

    @property
    def objective(self) -> float:
        """Objective in points (sum of costs + ``unassigned_cost`` x unplaced)."""
        return float(self.problem.scale.to_points(np.array([self.objective_units]))[0])


def choice_from_arcs(problem: Problem, arcs: IntArray) -> IntArray:
    """Turn a set of chosen arcs into the chosen arc of every pupil (-1 if none).

    Parameters
    ----------
    problem : Problem
    arcs : ndarray of int64

    Returns
    -------
    ndarray of int64
    """
    choice = np.full(problem.n_pupils, -1, dtype=np.int64)
    choice[problem.arc_pupil[arcs]] = arcs
    return choice


def _lexicographic(problem: Problem) -> IntArray:
    """The lexicographic optimum, batch by batch (see :mod:`stagebourse.matching.solver`).

    With priority classes, each batch is solved with the trial gap; a batch where a priority
    exchange remains is solved again with the safe gap, which cannot leave one.
    """
    comp = components(problem)
    if comp.n_batches == 0:
        return np.full(problem.n_pupils, -1, dtype=np.int64)
    order = np.argsort(comp.arc_batch, kind="stable")
    bounds = np.searchsorted(comp.arc_batch[order], np.arange(comp.n_batches + 1))
    batch_arcs = [order[bounds[b]:bounds[b + 1]] for b in range(comp.n_batches)]
    rank = class_rank(problem)
    if not np.any(rank):
        chosen = [max_flow_min_cost(problem, arcs, comp, b) for b, arcs in enumerate(batch_arcs)]
        return choice_from_arcs(problem, np.concatenate(chosen))
    chosen = [max_flow_min_cost(problem, arcs, comp, b, rank * trial_gap(problem, arcs))
              for b, arcs in enumerate(batch_arcs)]
    choice = choice_from_arcs(problem, np.concatenate(chosen))
    resolved: set[int] = set()
    while (exchange := priority_exchange(problem, choice)) is not None:
        first = exchange.pupils[0]
        b = int(comp.arc_batch[np.searchsorted(problem.arc_pupil, first)])
        if b in resolved:  # pragma: no cover - excluded by the safe gap's proof
            raise RuntimeError("the safe gap left a priority exchange")
        resolved.add(b)
        arcs = batch_arcs[b]
        choice[problem.arc_pupil[arcs]] = -1
        again = max_flow_min_cost(problem, arcs, comp, b, rank * safe_gap(problem, arcs))
        choice[problem.arc_pupil[again]] = again
    return choice


def _marginal_cost_of_last_pupil(problem: Problem, choice: IntArray) -> int:
    """cost(K) - cost(K-1): the saving of leaving one more pupil of class 0 unplaced (exact).

    cost(K-1) is the least cost of an assignment placing one pupil of class 0 fewer and, in
    every other class, as many pupils as ``choice``: one source per class, whose supply is
    that number, so the flow places exactly that many pupils of the class.
    """
    from ortools.graph.python import min_cost_flow

    n, m, e = problem.n_pupils, problem.n_slots, problem.n_arcs
    classes, pupil_class = np.unique(problem.pupil_priority, return_inverse=True)
    pupil_class = pupil_class.reshape(-1)
    n_sources = classes.size
    sources, sink = n + m + np.arange(n_sources), n + m + n_sources
    flow = min_cost_flow.SimpleMinCostFlow()
    tails = np.concatenate([sources[pupil_class], problem.arc_pupil.astype(np.int64),
                            n + np.arange(m)]).astype(np.int64)
    heads = np.concatenate([np.arange(n), n + problem.arc_slot.astype(np.int64),
                            np.full(m, sink)]).astype(np.int64)
    caps = np.concatenate([np.ones(n + e, dtype=np.int64), problem.slot_seats])
    unit = np.concatenate([np.zeros(n, dtype=np.int64), problem.arc_cost,
                           np.zeros(m, dtype=np.int64)])
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, unit)
    placed = choice >= 0
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[sources] = np.bincount(pupil_class[placed], minlength=n_sources)
    supplies[sources[0]] -= 1  # class 0 is the lowest class (the cycle left one unplaced)
    supplies[sink] = -int(supplies[sources].sum())
    flow.set_nodes_supplies(np.arange(sink + 1, dtype=np.int64), supplies)
    if flow.solve() != min_cost_flow.SimpleMinCostFlow.OPTIMAL:  # pragma: no cover
        raise RuntimeError("flow solver failed computing cost(K-1)")
    return int(problem.arc_cost[choice[placed]].sum()) - int(flow.optimal_cost())


def solve_optimal(instance: Instance, problem: Problem | None = None,
                  seed: int | None = None) -> MatchResult:
    """Exact lexicographic optimum with the seeded lottery among optima.

    The optimum places as many pupils of the highest priority class as possible, then of
    the next class, and so on down to class 0, then minimises the sum of pair costs.

    Parameters
    ----------
    instance : Instance
    problem : Problem, optional
        The feasible graph, if already built.
    seed : int, optional
        Lottery seed; ``instance.params.seed`` by default.

    Returns
    -------
    MatchResult

    Raises
    ------
    InstanceError
        If ``unassigned_cost`` is too small for the optimum of the stated objective to
        place as many pupils as possible (the message gives the smallest valid value).
    """
    if problem is None:
        problem = build_problem(instance)
    seed = instance.params.seed if seed is None else seed
    start = time.perf_counter()
    choice = _lexicographic(problem)
    unassigned = problem.scale.unassigned_units
    pot = potentials(residual_graph(problem, choice, unassigned))
    if pot.pi is None:
        # a negative cycle can only leave a pupil of class 0 unplaced: the rest is optimal
        need = _marginal_cost_of_last_pupil(problem, choice)
        need_points = float(problem.scale.to_points(np.array([need]))[0])
        raise InstanceError(
            f"params.unassigned_cost: {instance.params.unassigned_cost:g} is too small for this "
            f"instance: leaving one more pupil unplaced would save {need_points:.15g} in rank "
            "and travel costs, so the optimum would not place as many pupils as possible; use at "
            f"least {need_points:.15g}")
    pupil_ids = [p.id for p in instance.pupils]
    offer_ids = [o.id for o in instance.offers]
    final = draw_among_optima(problem, choice, pot.pi, unassigned, seed, pupil_ids, offer_ids)
    seconds = time.perf_counter() - start
    return MatchResult(instance=instance, problem=problem, mechanism="optimal", seed=seed,
                       solver=solver_name() + " + blake2b lottery", solve_seconds=seconds,
                       choice=final)


def solve_fcfs(instance: Instance, problem: Problem | None = None, seed: int | None = None,
               first: Sequence[bool] | None = None, mechanism: str = "fcfs") -> MatchResult:
    """First come, first served in a seeded random order (optionally some pupils first).

    Each pupil in turn takes the cheapest feasible seat still free (ties: the earlier
    week, then the offer listed first).

    Parameters
    ----------
    instance : Instance
    problem : Problem, optional
    seed : int, optional
        ``instance.params.seed`` by default; the order is :func:`lottery.pupil_order`.
    first : sequence of bool, optional
        Pupils flagged True choose before all others (``network-first``).
    mechanism : str, optional
        Name recorded in the result.

    Returns
    -------
    MatchResult
    """
    if problem is None:
        problem = build_problem(instance)
    seed = instance.params.seed if seed is None else seed
    start = time.perf_counter()
    order = pupil_order(seed, [p.id for p in instance.pupils])
    if first is not None:
        flags = np.asarray(first, dtype=np.bool_)[order]
        order = np.concatenate([order[flags], order[~flags]])
    arc_order = np.lexsort((problem.slot_offer[problem.arc_slot],
                            problem.slot_week[problem.arc_slot], problem.arc_cost,
                            problem.arc_pupil))
    pupils_sorted = problem.arc_pupil[arc_order].astype(np.int64)
    indptr = np.zeros(problem.n_pupils + 1, dtype=np.int64)
    np.cumsum(np.bincount(pupils_sorted, minlength=problem.n_pupils), out=indptr[1:])
    arcs_list = arc_order.tolist()
    slots_list = problem.arc_slot[arc_order].tolist()
    bounds = indptr.tolist()
    left = problem.slot_seats.tolist()
    choice = [-1] * problem.n_pupils
    for i in order.tolist():
        for k in range(bounds[i], bounds[i + 1]):
            s = slots_list[k]
            if left[s] > 0:
                left[s] -= 1
                choice[i] = arcs_list[k]
                break
    seconds = time.perf_counter() - start
    return MatchResult(instance=instance, problem=problem, mechanism=mechanism, seed=seed,
                       solver="sequential choice in blake2b lottery order",
                       solve_seconds=seconds, choice=np.asarray(choice, dtype=np.int64))


def network_flags(instance: Instance, groups: Mapping[str, Mapping[str, str]]) -> list[bool]:
    """The ``network`` label of every pupil as booleans (``yes`` / ``no``).

    Parameters
    ----------
    instance : Instance
    groups : mapping
        ``groups[pupil_id]["network"]``.

    Returns
    -------
    list of bool

    Raises
    ------
    InstanceError
        If a pupil has no ``network`` label or a value other than yes/no.
    """
    flags: list[bool] = []
    for p in instance.pupils:
        value = groups.get(p.id, {}).get("network")
        if value not in ("yes", "no"):
            shown = "missing" if value is None else f'"{value}"'
            raise InstanceError(f'groups: pupil "{p.id}": column "network" must be yes or no, '
                                f"got {shown}")
        flags.append(value == "yes")
    return flags


def run_mechanism(instance: Instance, mechanism: str = "optimal", seed: int | None = None,
                  groups: Mapping[str, Mapping[str, str]] | None = None,
                  problem: Problem | None = None) -> MatchResult:
    """Run one mechanism: the single entry point for callers.

    Parameters
    ----------
    instance : Instance
    mechanism : {"optimal", "fcfs", "network-first"}
    seed : int, optional
        Overrides ``instance.params.seed``.
    groups : mapping, optional
        Audit labels per pupil id; only ``network-first`` reads one (``network``).
    problem : Problem, optional
        The feasible graph, if already built.

    Returns
    -------
    MatchResult

    Raises
    ------
    InstanceError
        Unknown mechanism, missing ``network`` labels, or ``unassigned_cost`` too small.
    """
    if mechanism == "optimal":
        return solve_optimal(instance, problem, seed)
    if mechanism == "fcfs":
        return solve_fcfs(instance, problem, seed)
    if mechanism == "network-first":
        if groups is None:
            raise InstanceError('groups: network-first needs a "network" column (yes/no)')
        return solve_fcfs(instance, problem, seed, network_flags(instance, groups),
                          mechanism="network-first")
    raise InstanceError(f'mechanism: must be one of {", ".join(MECHANISMS)}, got "{mechanism}"')
