"""Optimality certificates, computed independently of the flow solver.

An assignment is described by the chosen arc of every pupil (or -1). Without priority
classes, it is an optimum of

    minimise  sum of pair costs  +  unassigned_cost x (number of unassigned pupils)

iff its *residual graph* has no negative cycle. The residual graph has one node per pupil,
one per slot, a node ``U`` ("unassigned") and a sink ``Z``:

* pupil i -> slot t, cost c(i,t), for every feasible pair not chosen;
* slot t -> pupil i, cost -c(i,t), for every chosen pair;
* pupil i -> U, cost ``unassigned_cost``, for every placed pupil;
* U -> pupil i, cost -``unassigned_cost``, for every unplaced pupil;
* slot t -> Z if t has a free seat; Z -> t if t has an occupied seat;
* U -> Z always; Z -> U if some pupil is unplaced.

With priority classes, the pupils of class 0 keep the node ``U``, and every other class k
present has a node ``U_k`` of its own, with the same pupil arcs but no arc to or from ``Z``: a
cycle then never changes the number of pupils placed in a class k >= 1, and no negative cycle
means minimum objective among the assignments placing as many pupils of each class k >= 1
(class 0 keeps the unassigned cost's test). That these numbers are the lexicographic maximum is
certified separately, by :func:`priority_exchange`.

Shortest-path distances from a virtual root (joined to every node at cost 0) are node
potentials ``pi`` with non-negative reduced costs ``c + pi[tail] - pi[head]`` on every
residual arc; they are an optimal dual solution of the linear program and so a certificate
of optimality. They are computed by a vectorised Bellman-Ford (exact, in 64-bit integers),
which also returns a negative cycle (an improving exchange) when there is one.

Maximum cardinality is certified separately: no unplaced pupil reaches a slot with a free
seat by an alternating path (König's theorem for this transportation problem). Priority:
the sets of pupils that can be placed together form a matroid (a transversal matroid), so the
numbers placed per class are lexicographically maximum iff no unplaced pupil of class k
reaches, by an alternating path, a placed pupil of a lower class whose place it could take.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
    "priority_exchange",
    "residual_graph",
    "unassigned_nodes",
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
        ``n_pupils + n_slots + 2`` + the number of priority classes >= 1 present; node
        ``n_pupils + t`` is slot t, then U, then Z, then ``U_k`` in increasing order of k.
    tail, head : ndarray of int32
        Arcs, sorted by tail.
    cost : ndarray of int64
    kind : ndarray of int8
        One of the ``ARC_*`` constants.
    ref : ndarray of int64
        Problem arc index (pair arcs), pupil (U arcs) or slot (Z arcs); -1 otherwise.
    indptr : ndarray of int64
        ``tail`` CSR pointer.
    """

    n_nodes: int
    tail: npt.NDArray[np.int32]
    head: npt.NDArray[np.int32]
    cost: IntArray
    kind: npt.NDArray[np.int8]
    ref: IntArray
    indptr: IntArray


def unassigned_nodes(problem: Problem) -> tuple[IntArray, int]:
    """The "unassigned" node of every pupil in the residual graph, and the number of nodes.

    Parameters
    ----------
    problem : Problem

    Returns
    -------
    pupil_u : ndarray of int64
        U (``n_pupils + n_slots``) for a pupil of class 0, ``U_k`` for a pupil of class k.
    n_nodes : int
    """
    n, m = problem.n_pupils, problem.n_slots
    priority = problem.pupil_priority
    higher = np.unique(priority[priority > 0])
    pupil_u = np.full(n, n + m, dtype=np.int64)
    if higher.size:
        up = priority > 0
        pupil_u[up] = n + m + 2 + np.searchsorted(higher, priority[up])
    return pupil_u, n + m + 2 + int(higher.size)


def residual_graph(problem: Problem, choice: IntArray, unassigned_units: int) -> ResidualGraph:
    """Build the residual graph of an assignment, directly in tail order (CSR).

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
    n, m, e = problem.n_pupils, problem.n_slots, problem.n_arcs
    node_u, node_z = n + m, n + m + 1
    pupil_u, n_nodes = unassigned_nodes(problem)
    ap = problem.arc_pupil
    placed = np.flatnonzero(choice >= 0)
    chosen_arcs = choice[placed]
    has_arc = np.zeros(n, dtype=np.bool_)
    has_arc[ap] = True
    unplaced = np.flatnonzero((choice < 0) & has_arc)
    # Z -> U: the flow U -> Z counts the unplaced pupils of class 0 (with arcs or not)
    class0_unplaced = bool(np.any((choice < 0) & (problem.pupil_priority == 0)))
    load = np.bincount(problem.arc_slot[chosen_arcs].astype(np.int64), minlength=m)
    free = load < problem.slot_seats

    # out-degrees: a pupil keeps one arc per feasible pair (the chosen one becomes -> U)
    counts = np.bincount(pupil_u[unplaced], minlength=n_nodes).astype(np.int64)
    counts[:n] = np.bincount(ap, minlength=n)
    counts[n:n + m] = load + free
    counts[node_u] += 1
    counts[node_z] = int(np.count_nonzero(load)) + int(class0_unplaced)
    indptr = np.zeros(n_nodes + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    total = int(indptr[-1])
    tail = np.empty(total, dtype=np.int32)
    head = np.empty(total, dtype=np.int32)
    cost = np.empty(total, dtype=np.int64)
    kind = np.empty(total, dtype=np.int8)
    ref = np.empty(total, dtype=np.int64)

    def put(pos: IntArray, t: Any, h: Any, c: Any, k: int, r: Any) -> None:
        tail[pos], head[pos], cost[pos], kind[pos], ref[pos] = t, h, c, k, r

    # pupils: unchosen pairs in arc order (arcs are sorted by pupil), then the arc to U
    idx = np.arange(e, dtype=np.int64)
    mine = choice[ap]
    pos = idx - ((mine >= 0) & (mine < idx))
    keep = mine != idx
    put(pos[keep], ap[keep], n + problem.arc_slot[keep], problem.arc_cost[keep], ARC_PLACE,
        idx[keep])
    put(indptr[placed + 1] - 1, placed, pupil_u[placed], unassigned_units, ARC_TO_UNASSIGNED,
        placed)
    # slots: chosen pairs (slot -> pupil), then the arc to Z when a seat is free
    slot_of = problem.arc_slot[chosen_arcs].astype(np.int64)
    order = np.argsort(slot_of, kind="stable")
    slot_sorted = slot_of[order]
    rank = np.arange(order.size, dtype=np.int64) - np.searchsorted(slot_sorted, slot_sorted)
    arcs_sorted = chosen_arcs[order]
    put(indptr[n + slot_sorted] + rank, n + slot_sorted, ap[arcs_sorted],
        -problem.arc_cost[arcs_sorted], ARC_REMOVE, arcs_sorted)
    free_slots = np.flatnonzero(free)
    put(indptr[n + free_slots + 1] - 1, n + free_slots, node_z, 0, ARC_SLOT_FREE, free_slots)
    # U and every U_k: to each of their unplaced pupils; then U to Z
    by_node = unplaced[np.argsort(pupil_u[unplaced], kind="stable")]
    u_sorted = pupil_u[by_node]
    rank = np.arange(by_node.size, dtype=np.int64) - np.searchsorted(u_sorted, u_sorted)
    put(indptr[u_sorted] + rank, u_sorted, by_node, -unassigned_units, ARC_FROM_UNASSIGNED,
        by_node)
    put(np.array([indptr[node_u + 1] - 1]), node_u, node_z, 0, ARC_U_Z, -1)
    # Z: to every slot with an occupied seat, then to U if some pupil of class 0 is unplaced
    used = np.flatnonzero(load)
    base = int(indptr[node_z])
    put(base + np.arange(used.size), node_z, n + used, 0, ARC_SLOT_USED, used)
    if class0_unplaced:
        put(np.array([base + used.size]), node_z, node_u, 0, ARC_Z_U, -1)
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
    active: IntArray = np.unique(graph.tail[graph.cost < 0]).astype(np.int64)
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
    """An alternating path that places one more pupil, or a priority pupil instead of another.

    Attributes
    ----------
    pupils : list of int
        The unplaced pupil first, then each pupil who moves.
    slots : list of int
        ``slots[k]`` is the slot that ``pupils[k]`` takes; the last one has a free seat, or
        is the seat of ``dropped``.
    dropped : int
        The pupil who leaves the assignment (a lower priority class), -1 for a free seat.
    """

    pupils: list[int]
    slots: list[int]
    dropped: int = -1


def _alternating_search(problem: Problem, choice: IntArray, sources: IntArray
                        ) -> tuple[IntArray, IntArray]:
    """Breadth-first search from the pupils ``sources`` along alternating paths.

    An unchosen feasible pair leads from a pupil to a slot, a chosen pair from a slot to the
    pupil holding it. Node ``n_pupils + t`` is slot t; the root (``n_pupils + n_slots``) is
    joined to the sources. Returns the BFS order and the predecessors.
    """
    n, m = problem.n_pupils, problem.n_slots
    chosen = np.zeros(problem.n_arcs, dtype=np.bool_)
    chosen[choice[choice >= 0]] = True
    root = n + m
    ap = problem.arc_pupil.astype(np.int64)
    asl = problem.arc_slot.astype(np.int64) + n
    nc = ~chosen
    rows = np.concatenate([ap[nc], asl[chosen], np.full(sources.size, root)])
    cols = np.concatenate([asl[nc], ap[chosen], sources])
    g = coo_matrix((np.ones(rows.size, dtype=np.int8), (rows, cols)),
                   shape=(n + m + 1, n + m + 1)).tocsr()
    order, preds = breadth_first_order(g, root, directed=True, return_predecessors=True)
    return order.astype(np.int64), preds.astype(np.int64)


def _path_to(problem: Problem, preds: IntArray, slot_node: int) -> tuple[list[int], list[int]]:
    """The pupils and slots of the search path ending at ``slot_node``, from the root."""
    n, root = problem.n_pupils, problem.n_pupils + problem.n_slots
    node = slot_node
    pupils: list[int] = []
    slots: list[int] = []
    while node != root:
        pupil = int(preds[node])
        pupils.append(pupil)
        slots.append(node - n)
        node = int(preds[pupil])
    pupils.reverse()
    slots.reverse()
    return pupils, slots


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
    order, preds = _alternating_search(problem, choice, np.flatnonzero(~placed))
    load = np.bincount(problem.arc_slot[choice[placed]].astype(np.int64), minlength=m)
    reached = order[(order >= n) & (order < n + m)]
    free = reached[load[reached - n] < problem.slot_seats[reached - n]]
    if free.size == 0:
        return None
    pupils, slots = _path_to(problem, preds, int(free[0]))
    return AugmentingPath(pupils=pupils, slots=slots)


def priority_exchange(problem: Problem, choice: IntArray) -> AugmentingPath | None:
    """Find an unplaced pupil who can take the place of a placed pupil of a lower class.

    For every class k of an unplaced pupil, highest first, a breadth-first search runs from
    the unplaced pupils of class k; a placed pupil of class < k that it reaches can leave
    while the path's pupils move along and the first one is placed. When the number placed
    is maximum (:func:`augmenting_path` found nothing), no such exchange proves that the
    numbers placed per class are the lexicographic maximum (exchange property of matroids).

    Parameters
    ----------
    problem : Problem
    choice : ndarray of int64
        Chosen arc index per pupil, -1 when unplaced.

    Returns
    -------
    AugmentingPath or None
        The exchange (``dropped`` is the pupil who leaves), or None.
    """
    n = problem.n_pupils
    placed = choice >= 0
    if problem.n_arcs == 0 or not np.any(placed):
        return None
    priority = problem.pupil_priority
    lowest_placed = int(priority[placed].min())
    for k in np.unique(priority[~placed])[::-1].tolist():
        if k <= lowest_placed:
            break
        order, preds = _alternating_search(problem, choice,
                                           np.flatnonzero(~placed & (priority == k)))
        reached = order[order < n]
        lower = reached[placed[reached] & (priority[reached] < k)]
        if lower.size:
            dropped = int(lower[0])
            pupils, slots = _path_to(problem, preds, int(preds[dropped]))
            return AugmentingPath(pupils=pupils, slots=slots, dropped=dropped)
    return None
