"""The lottery: deterministic, blind, order-independent, equal chances for equal pupils."""

from __future__ import annotations

import copy
import random
from collections import Counter
from typing import Any

import numpy as np
from scipy.stats import binomtest, chisquare

from stagebourse.matching.costs import build_problem
from stagebourse.matching.generate import generate_instance
from stagebourse.matching.instance import instance_from_dict, instance_to_dict
from stagebourse.matching.lottery import pupil_order, ticket
from stagebourse.matching.mechanisms import run_mechanism

SEEDS = range(300)  # fixed: the statistical tests below are deterministic


def _twins(n: int, offers: list[tuple[str, float, float, int]]) -> dict[str, Any]:
    pupil = {"level": "3e", "age": 14, "weeks": ["2027-W05"], "lat": 50.357, "lon": 3.523,
             "max_km": 15.0, "needs_accessible": False, "wishes": ["sector:sante"]}
    return {
        "format": "stagebourse-instance/1",
        "params": {"rank_costs": [0, 100, 220, 360, 520], "allow_unranked": False,
                   "unranked_cost": 1000, "km_cost": 10, "unassigned_cost": 100000, "seed": 0},
        "pupils": [dict(pupil, id=f"twin-{k}") for k in range(n)],
        "offers": [{"id": oid, "sector": "sante", "lat": lat, "lon": lon, "levels": ["3e"],
                    "min_age": 14, "accessible": True, "seats": {"2027-W05": seats}}
                   for oid, lat, lon, seats in offers],
    }


def _outcomes(doc: dict[str, Any]) -> list[list[str]]:
    inst = instance_from_dict(doc)
    pb = build_problem(inst)
    rows = []
    for seed in SEEDS:
        result = run_mechanism(inst, "optimal", seed=seed, problem=pb)
        rows.append([inst.offers[int(pb.slot_offer[pb.arc_slot[a]])].id if a >= 0 else "-"
                     for a in result.choice.tolist()])
    return rows


def test_two_identical_pupils_for_one_seat_win_equally_often() -> None:
    rows = _outcomes(_twins(2, [("o1", 50.36, 3.51, 1)]))
    assert all(sorted(r) == ["-", "o1"] for r in rows)  # always an optimum: one placed
    wins = sum(r[0] == "o1" for r in rows)
    assert binomtest(wins, len(rows), 0.5).pvalue > 0.001
    assert 0 < wins < len(rows)


def test_three_identical_pupils_share_a_near_seat_a_far_seat_and_nothing_uniformly() -> None:
    rows = _outcomes(_twins(3, [("near", 50.36, 3.51, 1), ("far", 50.40, 3.60, 1)]))
    assert all(sorted(r) == ["-", "far", "near"] for r in rows)
    for pupil in range(3):
        counts = Counter(r[pupil] for r in rows)
        observed = [counts["near"], counts["far"], counts["-"]]
        assert chisquare(observed).pvalue > 0.001, observed


def test_same_seed_same_tickets_and_order() -> None:
    assert ticket(7, "p1", "o12", "2027-W05") == ticket(7, "p1", "o12", "2027-W05")
    assert ticket(7, "p1", "o12", "2027-W05") != ticket(8, "p1", "o12", "2027-W05")
    ids = [f"p{k}" for k in range(50)]
    assert pupil_order(3, ids).tolist() == pupil_order(3, ids).tolist()
    assert sorted(pupil_order(3, ids).tolist()) == list(range(50))
    assert pupil_order(3, ids).tolist() != pupil_order(4, ids).tolist()


def _assignments(doc: dict[str, Any], seed: int | None = None) -> dict[str, tuple[str, str]]:
    inst = instance_from_dict(doc)
    result = run_mechanism(inst, "optimal", seed=seed)
    pb = result.problem
    return {inst.pupils[i].id: (inst.offers[int(pb.slot_offer[pb.arc_slot[a]])].id,
                                pb.weeks[int(pb.slot_week[pb.arc_slot[a]])])
            for i, a in enumerate(result.choice.tolist()) if a >= 0}


def test_result_does_not_depend_on_the_order_of_pupils_and_offers_in_the_file() -> None:
    doc = instance_to_dict(generate_instance(700, 21).instance)
    base = _assignments(doc)
    shuffled = copy.deepcopy(doc)
    rng = random.Random(5)
    rng.shuffle(shuffled["pupils"])
    rng.shuffle(shuffled["offers"])
    assert _assignments(shuffled) == base


def test_identical_twins_in_a_realistic_instance_both_get_seats_over_seeds() -> None:
    doc = instance_to_dict(generate_instance(300, 22).instance)
    inst = instance_from_dict(doc)
    result = run_mechanism(inst, "optimal")
    # a placed pupil gets an identical twin: they now compete for the same seats
    placed = int(np.flatnonzero(result.choice >= 0)[0])
    twin = dict(doc["pupils"][placed], id="twin")
    doc["pupils"].append(twin)
    original = doc["pupils"][placed]["id"]
    inst = instance_from_dict(doc)
    pb = build_problem(inst)
    first = second = 0
    objective = set()
    for seed in range(60):
        r = run_mechanism(inst, "optimal", seed=seed, problem=pb)
        objective.add(r.objective_units)
        got = {inst.pupils[i].id: int(a) for i, a in enumerate(r.choice.tolist())}
        first += got[original] >= 0
        second += got["twin"] >= 0
    assert len(objective) == 1
    assert first > 0 and second > 0
