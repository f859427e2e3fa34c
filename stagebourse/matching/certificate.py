"""Optimality certificates, computed independently of the flow solver.

An assignment is described by the chosen arc of every pupil (or -1). It is an optimum of

    minimise  sum of pair costs  +  unassigned_cost x (number of unassigned pupils)

iff its *residual graph* has no negative cycle. The residual graph has one node per pupil,
one per slot, a node ``U`` ("unassigned") and a sink ``Z``:

* pupil i -> slot t, cost c(i,t), for every feasible pair not chosen;
* slot t -> pupil i, cost -c(i,t), for every chosen pair;
* pupil i -> U, cost ``unassigned_cost``, for every placed pupil;
* U -> pupil i, cost -``unassigned_cost``, for every unplaced pupil;
* slot t -> Z if t has a free seat; Z -> t if t has an occupied seat;
* U -> Z always; Z -> U if some pupil is unplaced.

Shortest-path distances from a virtual root (joined to every node at cost 0) are node
potentials ``pi`` with non-negative reduced costs ``c + pi[tail] - pi[head]`` on every
residual arc; they are an optimal dual solution of the linear program and so a certificate
of optimality. They are computed by a vectorised Bellman-Ford (exact, in 64-bit integers),
which also returns a negative cycle (an improving exchange) when there is one.

Maximum cardinality is certified separately: no unplaced pupil reaches a slot with a free
seat by an alternating path (König's theorem for this transportation problem).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import breadth_first_order, connected_components

from .costs import Problem

__all__ = [
    "ARC_PLACE",
    "ARC_REMOVE",
    "ARC_TO_UNASSIGNED",
    "ARC_FROM_UNASSIGNED",
    "ARC_SLOT_FREE",
    "ARC_SLOT_USED",
    "ARC_U_Z",
    "ARC_Z_U",
    "AugmentingPath",
    "Potentials",
    "ResidualGraph",
    "augmenting_path",
    "potentials",
    "residual_graph",
]

IntArray = npt.NDArray[np.int64]

ARC_PLACE, ARC_REMOVE, ARC_TO_UNASSIGNED, ARC_FROM_UNASSIGNED = 0, 1, 2, 3
ARC_SLOT_FREE, ARC_SLOT_USED, ARC_U_Z, ARC_Z_U = 4, 5, 6, 7


@dataclass(frozen=True, slots=True)
class ResidualGraph:
    """Residual graph of an assignment (see the module docstring).

    Attributes
    ----------
    n_nodes : int
        ``n_pupils + n_slots + 2``; node ``n_pupils + t`` is slot t, then U, then Z.
    tail, head, cost : ndarray of int64
        Arcs, sorted by tail.
    kind : ndarray of int8
        One of the ``ARC_*`` constants.
    ref : ndarray of int64
        Problem arc index (pair arcs), pupil (U arcs) or slot (Z arcs); -1 otherwise.
    indptr : ndarray of int64
        ``tail`` CSR pointer.
    """

    n_nodes: int
    tail: IntArray
    head: IntArray
    cost: IntArray
    kind: npt.NDArray[np.int8]
    ref: IntArray
    indptr: IntArray


def residual_graph(problem: Problem, choice: IntArray, unassigned_units: int) -> ResidualGraph:
    """Build the residual graph of an assignment.

    Parameters
    ----------
    problem : Problem
    choice : ndarray of int64
        Chosen arc index per pupil, -1 when unplaced. Must be a valid assignment.
    unassigned_units : int
        ``unassigned_cost`` in cost units.

    Returns
    -------
    ResidualGraph
    """
    n, m = problem.n_pupils, problem.n_slots
    node_u, node_z = n + m, n + m + 1
    chosen = np.zeros(problem.n_arcs, dtype=np.bool_)
    chosen[choice[choice >= 0]] = True
    ap = problem.arc_pupil.astype(np.int64)
    asl = problem.arc_slot.astype(np.int64) + n
    ac = problem.arc_cost
    arcs_idx = np.arange(problem.n_arcs, dtype=np.int64)
    placed = np.flatnonzero(choice >= 0)
    has_arc = np.zeros(n, dtype=np.bool_)
    has_arc[ap] = True
    unplaced = np.flatnonzero((choice < 0) & has_arc)
    any_unplaced = bool(np.any(choice < 0))
    load = np.bincount(problem.arc_slot[choice[choice >= 0]].astype(np.int64), minlength=m)
    free = np.flatnonzero(load < problem.slot_seats)
    used = np.flatnonzero(load > 0)
    nc = ~chosen
    parts = [
        (ap[nc], asl[nc], ac[nc], ARC_PLACE, arcs_idx[nc]),
        (asl[chosen], ap[chosen], -ac[chosen], ARC_REMOVE, arcs_idx[chosen]),
        (placed, np.full(placed.size, node_u), np.full(placed.size, unassigned_units),
         ARC_TO_UNASSIGNED, placed),
        (np.full(unplaced.size, node_u), unplaced, np.full(unplaced.size, -unassigned_units),
         ARC_FROM_UNASSIGNED, unplaced),
        (free + n, np.full(free.size, node_z), np.zeros(free.size, dtype=np.int64),
         ARC_SLOT_FREE, free),
        (np.full(used.size, node_z), used + n, np.zeros(used.size, dtype=np.int64),
         ARC_SLOT_USED, used),
        (np.array([node_u]), np.array([node_z]), np.zeros(1, dtype=np.int64), ARC_U_Z,
         np.array([-1])),
    ]
    if any_unplaced:
        parts.append((np.array([node_z]), np.array([node_u]), np.zeros(1, dtype=np.int64),
                      ARC_Z_U, np.array([-1])))
    tail = np.concatenate([p[0] for p in parts]).astype(np.int64)
    head = np.concatenate([p[1] for p in parts]).astype(np.int64)
    cost = np.concatenate([p[2] for p in parts]).astype(np.int64)
    kind = np.concatenate([np.full(len(p[0]), p[3], dtype=np.int8) for p in parts])
    ref = np.concatenate([p[4] for p in parts]).astype(np.int64)
    order = np.argsort(tail, kind="stable")
    tail, head, cost, kind, ref = tail[order], head[order], cost[order], kind[order], ref[order]
    n_nodes = n + m + 2
    indptr = np.zeros(n_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(tail, minlength=n_nodes), out=indptr[1:])
    return ResidualGraph(n_nodes=n_nodes, tail=tail, head=head, cost=cost, kind=kind, ref=ref,
                         indptr=indptr)


@dataclass(frozen=True, slots=True)
class Potentials:
    """Result of the Bellman-Ford pass on a residual graph.

    Attributes
    ----------
    pi : ndarray of int64 or None
        Node potentials (shortest distances from the virtual root), None when a negative
        cycle exists.
    cycle : ndarray of int64 or None
        Residual arc indices of a negative cycle, in order, when there is one.
    rounds : int
        Number of relaxation rounds done.
    """

    pi: IntArray | None
    cycle: IntArray | None
    rounds: int


def _expand(indptr: IntArray, nodes: IntArray) -> IntArray:
    """Indices of all arcs leaving ``nodes`` (CSR ranges, concatenated)."""
    starts = indptr[nodes]
    counts = indptr[nodes + 1] - starts
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - np.cumsum(counts) + counts, counts)
    return offsets + np.arange(total, dtype=np.int64)


def _pred_cycle(graph: ResidualGraph, pred: IntArray) -> IntArray | None:
    """A cycle in the predecessor graph (then a negative cycle), as residual arcs."""
    nodes = np.flatnonzero(pred >= 0)
    if nodes.size == 0:
        return None
    parents = graph.tail[pred[nodes]]
    g = coo_matrix((np.ones(nodes.size, dtype=np.int8), (nodes, parents)),
                   shape=(graph.n_nodes, graph.n_nodes))
    ncomp, labels = connected_components(g, directed=True, connection="strong")
    sizes = np.bincount(labels, minlength=ncomp)
    self_loop = nodes[parents == nodes]
    on_cycle = np.flatnonzero(sizes[labels] > 1)
    if on_cycle.size == 0 and self_loop.size == 0:
        return None
    start = int(on_cycle[0]) if on_cycle.size else int(self_loop[0])
    arcs: list[int] = []
    node = start
    for _ in range(graph.n_nodes + 1):
        arc = int(pred[node])
        arcs.append(arc)
        node = int(graph.tail[arc])
        if node == start:
            break
    arcs.reverse()
    return np.asarray(arcs, dtype=np.int64)


def potentials(graph: ResidualGraph, check_every: int = 16) -> Potentials:
    """Shortest distances from a virtual root, or a negative cycle.

    A frontier (queue-based) Bellman-Ford: each round relaxes only the arcs leaving nodes
    whose distance improved in the previous round, vectorised over the whole frontier.
    The predecessor graph is searched for a cycle every ``check_every`` rounds (a cycle
    there always has negative cost), so a non-optimal assignment is detected quickly.

    Parameters
    ----------
    graph : ResidualGraph
    check_every : int, optional

    Returns
    -------
    Potentials
    """
    dist = np.zeros(graph.n_nodes, dtype=np.int64)
    pred = np.full(graph.n_nodes, -1, dtype=np.int64)
    mark = np.zeros(graph.n_nodes, dtype=np.bool_)
    # first round: only arcs of negative cost improve on the initial zeros
    active = np.unique(graph.tail[graph.cost < 0])
    rounds = 0
    while active.size:
        rounds += 1
        arcs = _expand(graph.indptr, active)
        cand = dist[graph.tail[arcs]] + graph.cost[arcs]
        heads = graph.head[arcs]
        better = cand < dist[heads]
        if not np.any(better):
            break
        arcs, cand, heads = arcs[better], cand[better], heads[better]
        np.minimum.at(dist, heads, cand)
        win = cand == dist[heads]
        pred[heads[win]] = arcs[win]
        mark[heads] = True
        active = np.flatnonzero(mark)
        mark[active] = False
        if rounds % check_every == 0 or rounds > graph.n_nodes:
            cycle = _pred_cycle(graph, pred)
            if cycle is not None:
                return Potentials(pi=None, cycle=cycle, rounds=rounds)
    return Potentials(pi=dist, cycle=None, rounds=rounds)


@dataclass(frozen=True, slots=True)
class AugmentingPath:
    """An alternating path that places one more pupil.

    Attributes
    ----------
    pupils : list of int
        The unplaced pupil first, then each pupil who moves.
    slots : list of int
        ``slots[k]`` is the slot that ``pupils[k]`` takes; the last one has a free seat.
    """

    pupils: list[int]
    slots: list[int]


def augmenting_path(problem: Problem, choice: IntArray) -> AugmentingPath | None:
    """Find an alternating path from an unplaced pupil to a free seat, if any.

    Parameters
    ----------
    problem : Problem
    choice : ndarray of int64
        Chosen arc index per pupil, -1 when unplaced.

    Returns
    -------
    AugmentingPath or None
        None proves the number of placed pupils is maximum.
    """
    n, m = problem.n_pupils, problem.n_slots
    if n == 0 or m == 0 or problem.n_arcs == 0:
        return None
    placed = choice >= 0
    chosen = np.zeros(problem.n_arcs, dtype=np.bool_)
    chosen[choice[placed]] = True
    root = n + m
    ap = problem.arc_pupil.astype(np.int64)
    asl = problem.arc_slot.astype(np.int64) + n
    unplaced = np.flatnonzero(~placed)
    nc = ~chosen
    rows = np.concatenate([ap[nc], asl[chosen], np.full(unplaced.size, root)])
    cols = np.concatenate([asl[nc], ap[chosen], unplaced])
    g = coo_matrix((np.ones(rows.size, dtype=np.int8), (rows, cols)),
                   shape=(n + m + 1, n + m + 1)).tocsr()
    order, preds = breadth_first_order(g, root, directed=True, return_predecessors=True)
    load = np.bincount(problem.arc_slot[choice[placed]].astype(np.int64), minlength=m)
    reached = order[order >= n]
    reached = reached[reached < n + m]
    free = reached[load[reached - n] < problem.slot_seats[reached - n]]
    if free.size == 0:
        return None
    node = int(free[0])
    pupils: list[int] = []
    slots: list[int] = []
    while node != root:
        slot = node - n
        pupil = int(preds[node])
        pupils.append(pupil)
        slots.append(slot)
        node = int(preds[pupil])
    pupils.reverse()
    slots.reverse()
    return AugmentingPath(pupils=pupils, slots=slots)
