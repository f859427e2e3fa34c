"""Distances, exact costs and the vectorised feasible triples against a plain reference."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np
from hypothesis import given
from matching_reference import feasible_triples
from matching_strategies import PROPERTY, instance_st

from stagebourse.matching.costs import build_problem, cost_scale, distance_metres, haversine_km
from stagebourse.matching.generate import generate_instance
from stagebourse.matching.instance import Params, instance_from_dict, instance_to_dict


def test_haversine_uses_a_sphere_of_radius_6371_km() -> None:
    one_degree = 6371.0 * math.pi / 180.0
    assert math.isclose(float(haversine_km(0.0, 0.0, 0.0, 1.0)), one_degree, rel_tol=1e-12)
    assert math.isclose(float(haversine_km(0.0, 0.0, 1.0, 0.0)), one_degree, rel_tol=1e-12)
    assert math.isclose(float(haversine_km(90.0, 0.0, -90.0, 0.0)), 6371.0 * math.pi,
                        rel_tol=1e-12)
    # Valenciennes town hall to Lille town hall, about 44 km as the crow flies
    assert 43.5 < float(haversine_km(50.3579, 3.5235, 50.6311, 3.0703)) < 45.0


def test_distance_is_rounded_to_the_metre() -> None:
    km = float(haversine_km(50.357, 3.523, 50.36, 3.51))
    assert int(distance_metres(50.357, 3.523, 50.36, 3.51)) == round(km * 1000)


def test_cost_scale_is_exact_and_small() -> None:
    scale = cost_scale(Params(rank_costs=(0, 100, 220, 360, 520), km_cost=10,
                              unassigned_cost=100000))
    # 10 points per km = 0.01 point per metre: the grid is a hundredth of a point
    assert scale.point_per_unit == Fraction(1, 100)
    assert scale.rank_units == (0, 10000, 22000, 36000, 52000)
    assert scale.km_units_per_metre == 1
    assert scale.unassigned_units == 10_000_000
    odd = cost_scale(Params(rank_costs=(0, 0.5, 1, 2, 3), km_cost=2.5, unranked_cost=1000,
                            unassigned_cost=99.25))
    assert odd.point_per_unit * odd.km_units_per_metre == Fraction(25, 10000)
    assert odd.point_per_unit * odd.unassigned_units == Fraction(9925, 100)


def _engine_triples(doc: dict[str, Any]) -> set[tuple[int, int, str, int | None, int, float]]:
    inst = instance_from_dict(doc)
    pb = build_problem(inst)
    cost = pb.scale.to_points(pb.arc_cost)
    return {(int(pb.arc_pupil[a]), int(pb.slot_offer[pb.arc_slot[a]]),
             pb.weeks[int(pb.slot_week[pb.arc_slot[a]])], int(pb.arc_rank[a]) or None,
             int(pb.arc_metres[a]), float(cost[a])) for a in range(pb.n_arcs)}


def _reference(doc: dict[str, Any]) -> set[tuple[int, int, str, int | None, int, float]]:
    return {(t.pupil, t.offer, t.week, t.rank, round(t.km * 1000), t.cost)
            for t in feasible_triples(doc)}


def _same(a: set[Any], b: set[Any]) -> bool:
    key = sorted(a), sorted(b)
    return len(key[0]) == len(key[1]) and all(
        x[:5] == y[:5] and math.isclose(x[5], y[5], rel_tol=1e-12, abs_tol=1e-9)
        for x, y in zip(*key, strict=True))


@PROPERTY
@given(instance_st(max_pupils=10, max_offers=6))
def test_feasible_triples_equal_a_brute_force_enumeration(doc: dict[str, Any]) -> None:
    assert _same(_engine_triples(doc), _reference(doc))


def test_feasible_triples_of_a_generated_instance_equal_brute_force() -> None:
    made = generate_instance(250, 11)
    doc = instance_to_dict(made.instance)
    assert _same(_engine_triples(doc), _reference(doc))
    doc["params"]["allow_unranked"] = True
    doc["params"]["unassigned_cost"] = 1e6
    assert _same(_engine_triples(doc), _reference(doc))


def test_offer_wish_improves_the_rank_of_a_sector_wish() -> None:
    doc = instance_to_dict(generate_instance(1, 1).instance)
    offer = doc["offers"][0]
    pupil = doc["pupils"][0]
    pupil.update(lat=offer["lat"], lon=offer["lon"], level=offer["levels"][0], age=16,
                 needs_accessible=False, weeks=[next(iter(offer["seats"]))],
                 wishes=[f"sector:{offer['sector']}x", "sector:" + offer["sector"],
                         f"offer:{offer['id']}"])
    pb = build_problem(instance_from_dict(doc))
    ranks = set(pb.arc_rank[pb.slot_offer[pb.arc_slot] == 0].tolist())
    assert ranks == {2}
    pupil["wishes"] = [f"offer:{offer['id']}", "sector:" + offer["sector"]]
    pb = build_problem(instance_from_dict(doc))
    assert set(pb.arc_rank[pb.slot_offer[pb.arc_slot] == 0].tolist()) == {1}


def test_generated_instances_are_realistic() -> None:
    made = generate_instance(1500, 2)
    pb = build_problem(made.instance)
    seats = int(pb.slot_seats.sum())
    assert 0.8 * 1500 <= seats <= 1.3 * 1500
    assert 10 <= pb.n_arcs / 1500 <= 100
    assert len({o.sector for o in made.instance.offers}) == 20
    assert set(made.groups["p1"]) == {"gender", "school", "qpv", "disability", "network"}
    km = np.array([p.max_km for p in made.instance.pupils])
    assert km.min() >= 8.0 and km.max() <= 15.0
