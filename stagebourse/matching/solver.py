"""Exact lexicographic optimum: place as many pupils as possible, then minimise the cost.

The feasible graph splits into connected components (pupils and slots joined by feasible
arcs), which are independent; each batch of components is solved by one call of
OR-Tools' ``SimpleMinCostFlow.solve_max_flow_with_min_cost`` on the network
source -> pupil (capacity 1) -> slot (capacity 1, exact integer cost) -> sink (capacity:
seats). That call computes a maximum flow of minimum cost, i.e. the lexicographic optimum.
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

__all__ = ["BATCH_ARCS", "Components", "components", "max_flow_min_cost", "solver_name"]

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
    """

    arc_batch: IntArray
    n_batches: int
    n_components: int


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
        return Components(arc_batch=np.zeros(0, dtype=np.int64), n_batches=0, n_components=0)
    ap = problem.arc_pupil.astype(np.int64)
    g = coo_matrix((np.ones(e, dtype=np.int8), (ap, problem.arc_slot.astype(np.int64) + n)),
                   shape=(n + m, n + m))
    _, labels = connected_components(g, directed=False)
    arc_comp = labels[ap].astype(np.int64)
    comps, inverse, sizes = np.unique(arc_comp, return_inverse=True, return_counts=True)
    # largest first; a component of batch_arcs arcs or more is alone in its batch
    order = np.argsort(-sizes, kind="stable")
    batch_of = np.empty(comps.size, dtype=np.int64)
    batch, filled = 0, 0
    for k in order:
        if filled >= batch_arcs:
            batch, filled = batch + 1, 0
        batch_of[k] = batch
        filled += int(sizes[k])
    return Components(arc_batch=batch_of[inverse].astype(np.int64), n_batches=batch + 1,
                      n_components=int(comps.size))


def max_flow_min_cost(problem: Problem, arcs: IntArray, costs: IntArray | None = None
                      ) -> IntArray:
    """Solve one batch exactly: maximum number placed, then minimum total cost.

    Parameters
    ----------
    problem : Problem
    arcs : ndarray of int64
        Indices of the arcs of the batch (a union of components).
    costs : ndarray of int64, optional
        Costs to use instead of ``problem.arc_cost[arcs]``.

    Returns
    -------
    ndarray of int64
        The chosen arcs (a subset of ``arcs``).
    """
    if arcs.size == 0:
        return np.zeros(0, dtype=np.int64)
    gp = problem.arc_pupil[arcs].astype(np.int64)
    gs = problem.arc_slot[arcs].astype(np.int64)
    pupils, lp = np.unique(gp, return_inverse=True)
    slots, ls = np.unique(gs, return_inverse=True)
    n, m = pupils.size, slots.size
    source, sink = n + m, n + m + 1
    flow = min_cost_flow.SimpleMinCostFlow()
    pair_cost = problem.arc_cost[arcs] if costs is None else costs
    tails = np.concatenate([np.full(n, source, dtype=np.int64), lp.astype(np.int64),
                            n + np.arange(m, dtype=np.int64)])
    heads = np.concatenate([np.arange(n, dtype=np.int64), n + ls.astype(np.int64),
                            np.full(m, sink, dtype=np.int64)])
    caps = np.concatenate([np.ones(n + arcs.size, dtype=np.int64), problem.slot_seats[slots]])
    unit = np.concatenate([np.zeros(n, dtype=np.int64), pair_cost.astype(np.int64),
                           np.zeros(m, dtype=np.int64)])
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
