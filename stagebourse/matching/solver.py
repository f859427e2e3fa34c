"""Exact lexicographic optimum: place as many pupils as possible, then minimise the cost.

The feasible graph splits into connected components (pupils and slots joined by feasible
arcs), which are independent; each batch of components is solved by one call of
OR-Tools' ``SimpleMinCostFlow.solve_max_flow_with_min_cost`` on the network
source -> pupil (capacity 1) -> slot (capacity 1, exact integer cost) -> sink (capacity:
seats). That call computes a maximum flow of minimum cost, i.e. the lexicographic optimum.

With priority classes, the arc source -> pupil of a pupil of class k costs ``-r(k) x gap``,
where r(k) is the rank of k among the classes present (0 for the lowest). When ``gap``
exceeds the cost of every assignment of the batch, every maximum flow of minimum cost places
the lexicographic maximum of pupils per class (docs/matching.md, section 5);
:func:`safe_gap` is such a bound. A smaller trial gap (:func:`trial_gap`) is tried first
because it keeps the costs small, which the cost-scaling solver is faster with; its result is
kept only when no priority exchange exists (``certificate.priority_exchange``), which is the
same proof of optimality whatever the gap.
"""

from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from ortools.graph.python import min_cost_flow
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .costs import Problem

__all__ = ["BATCH_ARCS", "Components", "class_rank", "components", "max_flow_min_cost",
           "safe_gap", "solver_name", "trial_gap"]

IntArray = npt.NDArray[np.int64]

#: Components are grouped into batches of at least this many arcs (one solver call each).
BATCH_ARCS = 50_000


def solver_name() -> str:
    """Name and version of the flow solver, for the result file.

    Returns
    -------
    str
    """
    try:
        version = importlib.metadata.version("ortools")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - always installed
        version = "unknown"
    return f"ortools {version} SimpleMinCostFlow.solve_max_flow_with_min_cost"


@dataclass(frozen=True, slots=True)
class Components:
    """Connected components of the feasible graph, grouped in batches.

    Attributes
    ----------
    arc_batch : ndarray of int64
        Batch of every arc.
    n_batches : int
    n_components : int
        Components that contain at least one arc.
    pupil_local, slot_local : ndarray of int64
        Index of every pupil (slot) among the pupils (slots) of its batch, in increasing
        order of global index; -1 for a pupil (slot) without arcs.
    batch_pupils, batch_slots : ndarray of int64
        Number of pupils (slots) in each batch.
    """

    arc_batch: IntArray
    n_batches: int
    n_components: int
    pupil_local: IntArray
    slot_local: IntArray
    batch_pupils: IntArray
    batch_slots: IntArray


def _local(batch_of_node: IntArray, n_batches: int) -> tuple[IntArray, IntArray]:
    """Rank of every node within its batch (-1 if none) and the size of every batch."""
    local = np.full(batch_of_node.size, -1, dtype=np.int64)
    live = np.flatnonzero(batch_of_node >= 0)
    order = live[np.argsort(batch_of_node[live], kind="stable")]
    sizes = np.bincount(batch_of_node[live], minlength=n_batches).astype(np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    local[order] = np.arange(order.size, dtype=np.int64) - np.repeat(starts, sizes)
    return local, sizes


def components(problem: Problem, batch_arcs: int = BATCH_ARCS) -> Components:
    """Split the feasible graph into connected components and batch the small ones.

    Parameters
    ----------
    problem : Problem
    batch_arcs : int, optional

    Returns
    -------
    Components
    """
    n, m, e = problem.n_pupils, problem.n_slots, problem.n_arcs
    if e == 0:
        none = np.zeros(0, dtype=np.int64)
        return Components(arc_batch=none, n_batches=0, n_components=0,
                          pupil_local=np.full(n, -1, dtype=np.int64),
                          slot_local=np.full(m, -1, dtype=np.int64), batch_pupils=none,
                          batch_slots=none)
    ap = problem.arc_pupil.astype(np.int64)
    g = coo_matrix((np.ones(e, dtype=np.int8), (ap, problem.arc_slot.astype(np.int64) + n)),
                   shape=(n + m, n + m))
    n_labels, labels = connected_components(g, directed=False)
    arc_comp = labels[ap].astype(np.int64)
    sizes = np.bincount(arc_comp, minlength=n_labels)
    comps = np.flatnonzero(sizes)
    # largest first; a component of batch_arcs arcs or more is alone in its batch
    order = comps[np.argsort(-sizes[comps], kind="stable")]
    batch_of = np.full(n_labels, -1, dtype=np.int64)
    batch, filled = 0, 0
    for k in order.tolist():
        if filled >= batch_arcs:
            batch, filled = batch + 1, 0
        batch_of[k] = batch
        filled += int(sizes[k])
    n_batches = batch + 1
    arc_batch = batch_of[arc_comp]
    node_batch = np.full(n + m, -1, dtype=np.int64)
    node_batch[ap] = arc_batch
    node_batch[n + problem.arc_slot.astype(np.int64)] = arc_batch
    pupil_local, batch_pupils = _local(node_batch[:n], n_batches)
    slot_local, batch_slots = _local(node_batch[n:], n_batches)
    return Components(arc_batch=arc_batch, n_batches=n_batches, n_components=int(comps.size),
                      pupil_local=pupil_local, slot_local=slot_local,
                      batch_pupils=batch_pupils, batch_slots=batch_slots)


def class_rank(problem: Problem) -> IntArray:
    """Rank of every pupil's priority class among the classes present (0 for the lowest).

    Parameters
    ----------
    problem : Problem

    Returns
    -------
    ndarray of int64
    """
    _, rank = np.unique(problem.pupil_priority, return_inverse=True)
    return rank.astype(np.int64).reshape(-1)


def trial_gap(problem: Problem, arcs: IntArray) -> int:
    """A small bonus gap between consecutive classes: twice the largest pair cost, plus one.

    It outweighs any exchange that moves at most one other pupil; whether it was enough is
    checked afterwards.

    Parameters
    ----------
    problem : Problem
    arcs : ndarray of int64
        The arcs of the batch.

    Returns
    -------
    int
    """
    return 2 * int(problem.arc_cost[arcs].max(initial=0)) + 1


def safe_gap(problem: Problem, arcs: IntArray) -> int:
    """A bonus gap that always gives the lexicographic optimum: more than any assignment costs.

    The sum over the pupils of the batch of their most expensive pair, plus one: costs are
    non-negative, so two assignments of the batch differ in cost by less than that.

    Parameters
    ----------
    problem : Problem
    arcs : ndarray of int64
        The arcs of the batch.

    Returns
    -------
    int
    """
    worst = np.zeros(problem.n_pupils, dtype=np.int64)
    np.maximum.at(worst, problem.arc_pupil[arcs], problem.arc_cost[arcs])
    return int(worst.sum()) + 1


def max_flow_min_cost(problem: Problem, arcs: IntArray, comp: Components | None = None,
                      batch: int = 0, bonus: IntArray | None = None) -> IntArray:
    """Solve one batch exactly: maximum number placed, then minimum total cost.

    Parameters
    ----------
    problem : Problem
    arcs : ndarray of int64
        Indices of the arcs of the batch (a union of components).
    comp : Components, optional
        Gives the local numbering of the batch; computed from ``arcs`` when omitted.
    batch : int, optional
        The batch number in ``comp``.
    bonus : ndarray of int64, optional
        Per pupil (global index), subtracted from the cost of placing the pupil: the
        priority weighting (see the module docstring). None for no bonus.

    Returns
    -------
    ndarray of int64
        The chosen arcs (a subset of ``arcs``): a maximum assignment minimising the sum of
        the pair costs minus the bonuses of the placed pupils.
    """
    if arcs.size == 0:
        return np.zeros(0, dtype=np.int64)
    if comp is None:
        gp = problem.arc_pupil[arcs].astype(np.int64)
        gs = problem.arc_slot[arcs].astype(np.int64)
        pupils, lp = np.unique(gp, return_inverse=True)
        slots, ls = np.unique(gs, return_inverse=True)
        n, m = pupils.size, slots.size
        seats = problem.slot_seats[slots]
    else:
        lp = comp.pupil_local[problem.arc_pupil[arcs]]
        ls = comp.slot_local[problem.arc_slot[arcs]]
        n, m = int(comp.batch_pupils[batch]), int(comp.batch_slots[batch])
        seats = np.zeros(m, dtype=np.int64)
        seats[ls] = problem.slot_seats[problem.arc_slot[arcs]]
    source, sink = n + m, n + m + 1
    flow = min_cost_flow.SimpleMinCostFlow()
    tails = np.concatenate([np.full(n, source, dtype=np.int64), lp.astype(np.int64),
                            n + np.arange(m, dtype=np.int64)])
    heads = np.concatenate([np.arange(n, dtype=np.int64), n + ls.astype(np.int64),
                            np.full(m, sink, dtype=np.int64)])
    caps = np.concatenate([np.ones(n + arcs.size, dtype=np.int64), seats])
    placing = np.zeros(n, dtype=np.int64)
    if bonus is not None:
        placing[lp] = -bonus[problem.arc_pupil[arcs]]
    unit = np.concatenate([placing, problem.arc_cost[arcs], np.zeros(m, dtype=np.int64)])
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, unit)
    supplies = np.zeros(n + m + 2, dtype=np.int64)
    supplies[source], supplies[sink] = n, -n
    flow.set_nodes_supplies(np.arange(n + m + 2, dtype=np.int64), supplies)
    status = flow.solve_max_flow_with_min_cost()
    if status != min_cost_flow.SimpleMinCostFlow.OPTIMAL:
        raise RuntimeError(f"flow solver failed with status {status!r}")
    pair_arcs = np.arange(n, n + arcs.size, dtype=np.int64)
    used = np.asarray(flow.flows(pair_arcs)) > 0
    return arcs[used]
