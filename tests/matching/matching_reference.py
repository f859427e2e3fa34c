"""Independent reference implementation used by the tests (plain Python + scipy HiGHS).

Nothing here imports the engine's cost or solver code: feasibility, ranks and costs are
recomputed from the instance document with the ``math`` module, and optima come from
scipy's ``milp`` (HiGHS branch and bound / LP).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import LinearConstraint, milp
from scipy.sparse import csr_matrix

R = 6371.0


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * R * math.asin(math.sqrt(min(1.0, max(0.0, h))))


def metres(p: dict[str, Any], o: dict[str, Any]) -> int:
    return int(round(haversine_km(p["lat"], p["lon"], o["lat"], o["lon"]) * 1000.0))


def rank_of(p: dict[str, Any], o: dict[str, Any]) -> int | None:
    for k, wish in enumerate(p["wishes"], start=1):
        if wish == f"offer:{o['id']}" or wish == f"sector:{o['sector']}":
            return k
    return None


@dataclass
class Triple:
    pupil: int
    offer: int
    week: str
    rank: int | None
    km: float
    cost: float


def feasible_triples(doc: dict[str, Any]) -> list[Triple]:
    params = doc["params"]
    out: list[Triple] = []
    for i, p in enumerate(doc["pupils"]):
        for j, o in enumerate(doc["offers"]):
            if p["level"] not in o["levels"] or p["age"] < o["min_age"]:
                continue
            if p["needs_accessible"] and not o["accessible"]:
                continue
            d = metres(p, o)
            if not d / 1000.0 <= p["max_km"]:
                continue
            rank = rank_of(p, o)
            if rank is None and not params["allow_unranked"]:
                continue
            base = params["unranked_cost"] if rank is None else params["rank_costs"][rank - 1]
            for w in p["weeks"]:
                if o["seats"].get(w, 0) > 0:
                    out.append(Triple(i, j, w, rank, d / 1000.0,
                                      base + params["km_cost"] * d / 1000.0))
    return out


@dataclass
class Optimum:
    placed: int
    pair_cost: float
    objective: float


def _model(doc: dict[str, Any], triples: list[Triple]) -> tuple[csr_matrix, np.ndarray,
                                                                    np.ndarray]:
    n = len(doc["pupils"])
    slots = sorted({(t.offer, t.week) for t in triples})
    slot_index = {s: k for k, s in enumerate(slots)}
    rows, cols = [], []
    for a, t in enumerate(triples):
        rows += [t.pupil, n + slot_index[(t.offer, t.week)]]
        cols += [a, a]
    a_mat = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n + len(slots), len(triples)))
    caps = np.array([doc["offers"][o]["seats"][w] for o, w in slots], dtype=float)
    upper = np.concatenate([np.ones(n), caps])
    return a_mat, upper, np.array([t.cost for t in triples])


def lexicographic_optimum(doc: dict[str, Any], triples: list[Triple] | None = None) -> Optimum:
    """Max number placed, then min pair cost (two HiGHS solves)."""
    triples = feasible_triples(doc) if triples is None else triples
    n = len(doc["pupils"])
    unassigned = doc["params"]["unassigned_cost"]
    if not triples:
        return Optimum(0, 0.0, unassigned * n)
    a_mat, upper, cost = _model(doc, triples)
    e = len(triples)
    one = np.ones(e)
    first = milp(-one, constraints=[LinearConstraint(a_mat, -np.inf, upper)],
                 integrality=np.ones(e), bounds=(0, 1))
    assert first.status == 0, first.message
    k = int(round(-first.fun))
    second = milp(cost, constraints=[LinearConstraint(a_mat, -np.inf, upper),
                                     LinearConstraint(one[None, :], k, k)],
                  integrality=np.ones(e), bounds=(0, 1))
    assert second.status == 0, second.message
    return Optimum(k, float(second.fun), float(second.fun) + unassigned * (n - k))


@dataclass
class PriorityOptimum:
    placed_by_class: dict[int, int]
    placed: int
    pair_cost: float


def _priority(doc: dict[str, Any], pupil: int) -> int:
    # the first version of the format has no priority field: every pupil is of class 0
    return int(doc["pupils"][pupil].get("priority", 0))


def priority_optimum(doc: dict[str, Any], triples: list[Triple] | None = None,
                     fewer_in_class_0: int = 0) -> PriorityOptimum:
    """Lexicographic optimum over priority classes, by one HiGHS solve per level.

    For each class present, highest first: maximise the number placed in the class, then
    fix it by an equality. Every class fixed, the number placed is fixed too; then minimise
    the pair cost. With ``fewer_in_class_0``, the last cost solve places that many pupils of
    class 0 fewer (the other classes as many): the cost of the next best number placed.
    """
    triples = feasible_triples(doc) if triples is None else triples
    classes = sorted({_priority(doc, i) for i in range(len(doc["pupils"]))}, reverse=True)
    if not triples:
        return PriorityOptimum({k: 0 for k in classes}, 0, 0.0)
    a_mat, upper, cost = _model(doc, triples)
    e = len(triples)
    constraints = [LinearConstraint(a_mat, -np.inf, upper)]
    counts: dict[int, int] = {}
    rows: dict[int, np.ndarray] = {}
    for k in classes:
        row = np.array([1.0 if _priority(doc, t.pupil) == k else 0.0 for t in triples])
        best = milp(-row, constraints=constraints, integrality=np.ones(e), bounds=(0, 1))
        assert best.status == 0, best.message
        counts[k] = int(round(-best.fun))
        rows[k] = row
        constraints.append(LinearConstraint(row[None, :], counts[k], counts[k]))
    if fewer_in_class_0:
        constraints[-1] = LinearConstraint(rows[0][None, :], counts[0] - fewer_in_class_0,
                                           counts[0] - fewer_in_class_0)
    cheapest = milp(cost, constraints=constraints, integrality=np.ones(e), bounds=(0, 1))
    assert cheapest.status == 0, cheapest.message
    return PriorityOptimum(counts, sum(counts.values()) - fewer_in_class_0, float(cheapest.fun))


def stated_optimum(doc: dict[str, Any], triples: list[Triple] | None = None) -> float:
    """Min of sum of costs + unassigned_cost x unassigned (one HiGHS solve)."""
    triples = feasible_triples(doc) if triples is None else triples
    n = len(doc["pupils"])
    unassigned = doc["params"]["unassigned_cost"]
    if not triples:
        return float(unassigned * n)
    a_mat, upper, cost = _model(doc, triples)
    res = milp(cost - unassigned, constraints=[LinearConstraint(a_mat, -np.inf, upper)],
               integrality=np.ones(len(triples)), bounds=(0, 1))
    assert res.status == 0, res.message
    return float(res.fun) + unassigned * n


def check_result(doc: dict[str, Any], result: dict[str, Any]) -> None:
    """Assert every constraint and every recomputed number of a result document."""
    params = doc["params"]
    pupils = {p["id"]: p for p in doc["pupils"]}
    offers = {o["id"]: o for o in doc["offers"]}
    seen: set[str] = set()
    load: dict[tuple[str, str], int] = {}
    total = 0.0
    for a in result["assignments"]:
        assert a["pupil"] in pupils and a["pupil"] not in seen, a
        seen.add(a["pupil"])
        p, o = pupils[a["pupil"]], offers[a["offer"]]
        w = a["week"]
        assert w in p["weeks"], a
        assert o["seats"].get(w, 0) > 0, a
        load[(o["id"], w)] = load.get((o["id"], w), 0) + 1
        d = metres(p, o) / 1000.0
        assert d <= p["max_km"], a
        assert p["level"] in o["levels"], a
        assert p["age"] >= o["min_age"], a
        assert o["accessible"] or not p["needs_accessible"], a
        rank = rank_of(p, o)
        assert rank == a["rank"], a
        assert rank is not None or params["allow_unranked"], a
        assert a["distance_km"] == d, a
        base = params["unranked_cost"] if rank is None else params["rank_costs"][rank - 1]
        assert math.isclose(a["cost"], base + params["km_cost"] * d, rel_tol=1e-9,
                            abs_tol=1e-9), a
        total += a["cost"]
    for (oid, w), count in load.items():
        assert count <= offers[oid]["seats"][w], (oid, w, count)
    for pid in result["unassigned"]:
        assert pid in pupils and pid not in seen, pid
        seen.add(pid)
    assert seen == set(pupils)
    expected = total + params["unassigned_cost"] * len(result["unassigned"])
    assert math.isclose(result["objective"], expected, rel_tol=1e-9, abs_tol=1e-6)
