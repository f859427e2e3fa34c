"""Counterfactual mechanisms and blindness of the optimal one."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from matching_reference import check_result, feasible_triples

from stagebourse.matching.generate import generate_instance
from stagebourse.matching.instance import InstanceError, instance_from_dict, instance_to_dict
from stagebourse.matching.io import instance_sha256, result_to_dict
from stagebourse.matching.lottery import pupil_order
from stagebourse.matching.mechanisms import run_mechanism


def _reference_fcfs(doc: dict[str, Any], seed: int, first: list[bool] | None = None
                    ) -> dict[str, tuple[str, str]]:
    """Plain-Python first come, first served, straight from the definition."""
    triples = feasible_triples(doc)
    week_order = sorted({t.week for t in triples})
    by_pupil: dict[int, list[Any]] = {}
    for t in triples:
        by_pupil.setdefault(t.pupil, []).append(t)
    seats = {(o["id"], w): s for o in doc["offers"] for w, s in o["seats"].items()}
    order = pupil_order(seed, [p["id"] for p in doc["pupils"]]).tolist()
    if first is not None:
        order = [i for i in order if first[i]] + [i for i in order if not first[i]]
    out = {}
    for i in order:
        options = sorted(by_pupil.get(i, []),
                         key=lambda t: (round(t.cost, 9), week_order.index(t.week), t.offer))
        for t in options:
            key = (doc["offers"][t.offer]["id"], t.week)
            if seats[key] > 0:
                seats[key] -= 1
                out[doc["pupils"][i]["id"]] = key
                break
    return out


def _engine(doc: dict[str, Any], mechanism: str, seed: int,
            groups: dict[str, dict[str, str]] | None = None) -> dict[str, Any]:
    inst = instance_from_dict(doc)
    result = run_mechanism(inst, mechanism, seed=seed, groups=groups)
    return result_to_dict(result, instance_sha256(inst))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fcfs_follows_its_definition(seed: int) -> None:
    made = generate_instance(500, 30 + seed)
    doc = instance_to_dict(made.instance)
    result = _engine(doc, "fcfs", seed)
    check_result(doc, result)
    got = {a["pupil"]: (a["offer"], a["week"]) for a in result["assignments"]}
    assert got == _reference_fcfs(doc, seed)


def test_network_first_follows_its_definition_and_favours_the_network() -> None:
    made = generate_instance(500, 40)
    doc = instance_to_dict(made.instance)
    result = _engine(doc, "network-first", 4, made.groups)
    check_result(doc, result)
    flags = [made.groups[p["id"]]["network"] == "yes" for p in doc["pupils"]]
    got = {a["pupil"]: (a["offer"], a["week"]) for a in result["assignments"]}
    assert got == _reference_fcfs(doc, 4, flags)


def test_network_pupil_always_beats_an_identical_pupil_without_network() -> None:
    pupil = {"level": "3e", "age": 14, "weeks": ["2027-W05"], "lat": 50.357, "lon": 3.523,
             "max_km": 15.0, "needs_accessible": False, "wishes": ["sector:sante"]}
    doc = {"format": "stagebourse-instance/1",
           "params": {"rank_costs": [0, 100, 220, 360, 520], "allow_unranked": False,
                      "unranked_cost": 1000, "km_cost": 10, "unassigned_cost": 100000,
                      "seed": 0},
           "pupils": [dict(pupil, id="a"), dict(pupil, id="b")],
           "offers": [{"id": "o1", "sector": "sante", "lat": 50.36, "lon": 3.51,
                       "levels": ["3e"], "min_age": 14, "accessible": True,
                       "seats": {"2027-W05": 1}}]}
    groups = {"a": {"network": "no"}, "b": {"network": "yes"}}
    for seed in range(20):
        result = _engine(doc, "network-first", seed, groups)
        assert [a["pupil"] for a in result["assignments"]] == ["b"]


def test_optimal_places_at_least_as_many_as_the_counterfactuals() -> None:
    made = generate_instance(1500, 41)
    inst = made.instance
    best = run_mechanism(inst, "optimal")
    for mech in ("fcfs", "network-first"):
        other = run_mechanism(inst, mech, groups=made.groups, problem=best.problem)
        assert other.placed <= best.placed
        assert other.objective_units >= best.objective_units


def test_optimal_is_blind_to_group_labels() -> None:
    made = generate_instance(600, 42)
    inst = made.instance
    base = run_mechanism(inst, "optimal", groups=made.groups)
    ids = list(made.groups)
    rng = np.random.default_rng(1)
    for label in ("gender", "qpv", "network", "school", "disability"):
        values = [made.groups[i][label] for i in ids]
        permuted = rng.permutation(values).tolist()
        groups = {i: dict(made.groups[i], **{label: v}) for i, v in zip(ids, permuted,
                                                                        strict=True)}
        again = run_mechanism(inst, "optimal", groups=groups)
        assert np.array_equal(again.choice, base.choice)
    flipped = {i: {k: "other" for k in row} for i, row in made.groups.items()}
    assert np.array_equal(run_mechanism(inst, "optimal", groups=flipped).choice, base.choice)


@pytest.mark.parametrize(("mechanism", "groups", "message"), [
    ("lottery", None, 'mechanism: must be one of optimal, fcfs, network-first, got "lottery"'),
    ("network-first", None, 'groups: network-first needs a "network" column (yes/no)'),
    ("network-first", {"p1": {"network": "maybe"}},
     'groups: pupil "p1": column "network" must be yes or no, got "maybe"'),
])
def test_mechanism_errors_are_precise(mechanism: str, groups: Any, message: str) -> None:
    inst = generate_instance(1, 1).instance
    with pytest.raises(InstanceError) as info:
        run_mechanism(inst, mechanism, groups=groups)
    assert str(info.value) == message
