"""The published, seeded lottery that breaks ties between exact optima.

Given one lexicographic optimum ``x*`` and optimal node potentials ``pi`` (see
:mod:`stagebourse.matching.certificate`), the set of *all* lexicographic optima is the set of
flows that (complementary slackness)

* use no arc of positive reduced cost,
* saturate every arc of negative reduced cost,
* leave exactly as many pupils unplaced as ``x*`` in every priority class,

with any use of the arcs of reduced cost zero. This set does not depend on which optimum or
which potentials were used to describe it. The lottery gives every pair (pupil, offer, week)
a *ticket*, a 32-bit number drawn from the seed and the three identifiers::

    ticket = int.from_bytes(blake2b(f"{pupil}\\0{offer}\\0{week}".encode(),
                                    key=seed.to_bytes(8, "big"), digest_size=4).digest(), "big")

and picks, among all optima, the one whose placed pairs have the smallest sum of tickets
(a second exact min-cost flow, on the arcs of reduced cost zero only). By construction it
only ever chooses an exact optimum. Two pupils with identical data are exchangeable: their
tickets are identically distributed and the set of optima is symmetric in them, so they
have equal chances. Anyone can recompute the tickets and re-run this step.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from ortools.graph.python import min_cost_flow

from .certificate import unassigned_nodes
from .costs import Problem

__all__ = ["draw_among_optima", "pupil_order", "ticket"]

IntArray = npt.NDArray[np.int64]


def _key(seed: int) -> bytes:
    return seed.to_bytes(8, "big")


def ticket(seed: int, pupil: str, offer: str, week: str) -> int:
    """The lottery ticket of one (pupil, offer, week) pair.

    Parameters
    ----------
    seed : int
    pupil, offer, week : str
        Identifiers as written in the instance.

    Returns
    -------
    int
        An integer in ``[0, 2**32)``.
    """
    digest = hashlib.blake2b(f"{pupil}\0{offer}\0{week}".encode(), key=_key(seed),
                             digest_size=4).digest()
    return int.from_bytes(digest, "big")


def _tickets(seed: int, pupil_ids: Sequence[str], offer_ids: Sequence[str], problem: Problem,
             pupils: IntArray, slots: IntArray) -> IntArray:
    """Tickets of many pairs (same values as :func:`ticket`, computed faster)."""
    base = hashlib.blake2b(key=_key(seed), digest_size=4)
    slot_text: dict[int, bytes] = {}
    weeks = problem.weeks
    out = np.empty(pupils.size, dtype=np.int64)
    for k, (i, t) in enumerate(zip(pupils.tolist(), slots.tolist(), strict=True)):
        tail = slot_text.get(t)
        if tail is None:
            tail = f"\0{offer_ids[int(problem.slot_offer[t])]}\0{weeks[int(problem.slot_week[t])]}"\
                .encode()
            slot_text[t] = tail
        h = base.copy()
        h.update(pupil_ids[i].encode())
        h.update(tail)
        out[k] = int.from_bytes(h.digest(), "big")
    return out


def pupil_order(seed: int, pupil_ids: Sequence[str]) -> IntArray:
    """A seeded random order of pupils (used for the counterfactual mechanisms too).

    Pupils are sorted by ``blake2b(pupil_id, key=seed, digest_size=8)``, then by id.

    Parameters
    ----------
    seed : int
    pupil_ids : sequence of str

    Returns
    -------
    ndarray of int64
        Pupil indices in lottery order.
    """
    key = _key(seed)
    draws = [(hashlib.blake2b(pid.encode(), key=key, digest_size=8).digest(), pid, k)
             for k, pid in enumerate(pupil_ids)]
    draws.sort()
    return np.asarray([k for _, _, k in draws], dtype=np.int64)


def draw_among_optima(problem: Problem, choice: IntArray, pi: IntArray, unassigned_units: int,
                      seed: int, pupil_ids: Sequence[str], offer_ids: Sequence[str]
                      ) -> IntArray:
    """Choose the optimum with the smallest sum of tickets.

    Parameters
    ----------
    problem : Problem
    choice : ndarray of int64
        An exact lexicographic optimum: chosen arc per pupil, -1 when unplaced.
    pi : ndarray of int64
        Potentials certifying it (node layout of :func:`certificate.residual_graph`, with a
        node ``U_k`` per priority class k >= 1 present).
    unassigned_units : int
    seed : int
    pupil_ids, offer_ids : sequence of str

    Returns
    -------
    ndarray of int64
        The drawn optimum, in the same form as ``choice``.
    """
    n, m = problem.n_pupils, problem.n_slots
    node_z = n + m + 1
    if problem.n_arcs == 0:
        return choice.copy()
    # the unassigned arc of a pupil leads to the node of its class: U, or U_k for class k
    pupil_u, n_nodes = unassigned_nodes(problem)
    ap = problem.arc_pupil.astype(np.int64)
    asl = problem.arc_slot.astype(np.int64)
    rc_pair = problem.arc_cost + pi[ap] - pi[n + asl]
    active = np.zeros(n, dtype=np.bool_)
    active[ap] = True
    rc_unassigned = unassigned_units + pi[:n] - pi[pupil_u]
    rc_slot = pi[n:n + m] - pi[node_z]

    free_pair = np.flatnonzero(rc_pair == 0)
    forced_pair = np.flatnonzero(rc_pair < 0)
    if free_pair.size == 0:
        return choice.copy()

    supply = np.zeros(n_nodes, dtype=np.int64)
    supply[:n] = active
    # forced flows are routed beforehand (lower bounds)
    np.subtract.at(supply, ap[forced_pair], 1)
    np.add.at(supply, n + asl[forced_pair], 1)
    forced_out = active & (rc_unassigned < 0)
    supply[:n] -= forced_out
    np.add.at(supply, pupil_u[forced_out], 1)
    full = rc_slot < 0
    supply[n:n + m] -= np.where(full, problem.slot_seats, 0)
    unplaced = active & (choice < 0)
    np.subtract.at(supply, pupil_u[unplaced], 1)
    n_unplaced = int(np.count_nonzero(unplaced))
    supply[node_z] = -(int(active.sum()) - int(np.where(full, problem.slot_seats, 0).sum())
                       - n_unplaced)

    free_out = np.flatnonzero(active & (rc_unassigned == 0))
    free_slot = np.flatnonzero(rc_slot == 0)

    # number pupils in lottery order so that no residual tie depends on the input order
    involved = np.unique(ap[free_pair])
    order = pupil_order(seed, [pupil_ids[int(i)] for i in involved])
    node_of = np.arange(n_nodes, dtype=np.int64)
    node_of[involved[order]] = involved

    tickets = _tickets(seed, pupil_ids, offer_ids, problem, ap[free_pair], asl[free_pair])

    tails = np.concatenate([node_of[ap[free_pair]], node_of[free_out], n + free_slot])
    heads = np.concatenate([n + asl[free_pair], pupil_u[free_out],
                            np.full(free_slot.size, node_z)])
    caps = np.concatenate([np.ones(free_pair.size + free_out.size, dtype=np.int64),
                           problem.slot_seats[free_slot]])
    costs = np.concatenate([tickets, np.zeros(free_out.size + free_slot.size,
                                              dtype=np.int64)])
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    node_supply = supply.copy()
    node_supply[node_of] = supply
    flow.set_nodes_supplies(np.arange(n_nodes, dtype=np.int64), node_supply)
    status = flow.solve()
    if status != min_cost_flow.SimpleMinCostFlow.OPTIMAL:
        raise RuntimeError(f"lottery flow failed with status {status!r}")
    used = np.asarray(flow.flows(np.arange(free_pair.size, dtype=np.int64))) > 0

    result = np.full(n, -1, dtype=np.int64)
    result[ap[forced_pair]] = forced_pair
    picked = free_pair[used]
    result[ap[picked]] = picked
    return result
