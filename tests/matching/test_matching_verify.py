"""The verifier: accepts engine results, catches every kind of tampering precisely."""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any

import pytest
from matching_reference import feasible_triples, metres, rank_of

from stagebourse.matching.generate import generate_instance
from stagebourse.matching.instance import Instance, InstanceError, instance_to_dict
from stagebourse.matching.io import instance_sha256, result_from_dict, result_to_dict
from stagebourse.matching.mechanisms import run_mechanism
from stagebourse.matching.verify import infeasibility, verify_result


@pytest.fixture(scope="module")
def case() -> tuple[Instance, dict[str, Any], dict[str, dict[str, str]]]:
    made = generate_instance(400, 50)
    result = run_mechanism(made.instance, "optimal")
    return made.instance, result_to_dict(result, instance_sha256(made.instance)), made.groups


def _verify(inst: Instance, doc: dict[str, Any],
            groups: dict[str, dict[str, str]] | None = None) -> tuple[bool, list[str]]:
    report = verify_result(inst, result_from_dict(doc), groups)
    return report.ok, report.problems


def _fix_objective(inst: Instance, doc: dict[str, Any]) -> None:
    doc["objective"] = sum(a["cost"] for a in doc["assignments"]) \
        + inst.params.unassigned_cost * len(doc["unassigned"])


def test_engine_results_are_certified(case: Any) -> None:
    inst, doc, groups = case
    report = verify_result(inst, result_from_dict(doc))
    assert report.ok, report.problems
    assert any(n.startswith("optimal: no alternating path") for n in report.notes)
    for mech in ("fcfs", "network-first"):
        other = result_to_dict(run_mechanism(inst, mech, groups=groups), instance_sha256(inst))
        report = verify_result(inst, result_from_dict(other), groups)
        assert report.ok, report.problems
        assert report.notes[-1] == f"{mech}: identical to a re-run with seed {inst.params.seed}"


def test_wrong_cost_is_caught(case: Any) -> None:
    inst, doc, _ = case
    bad = copy.deepcopy(doc)
    a = bad["assignments"][3]
    right = a["cost"]
    a["cost"] = right + 0.01
    ok, problems = _verify(inst, bad)
    assert not ok
    assert problems == [f'assignments[3] (pupil "{a["pupil"]}"): cost is {right + 0.01!r}, '
                        f"recomputed {right!r}"]


def test_wrong_rank_and_distance_are_caught(case: Any) -> None:
    inst, doc, _ = case
    bad = copy.deepcopy(doc)
    a = bad["assignments"][0]
    a["rank"], a["distance_km"] = 5, a["distance_km"] + 1
    ok, problems = _verify(inst, bad)
    assert not ok and len(problems) == 2
    assert problems[0].startswith(f'assignments[0] (pupil "{a["pupil"]}"): rank is 5, '
                                  "recomputed ")
    assert "distance_km is" in problems[1]


def test_over_capacity_is_caught(case: Any) -> None:
    inst, doc, _ = case
    from stagebourse.matching.costs import build_problem

    pb = build_problem(inst)
    unplaced = {inst.pupils.index(p) for p in inst.pupils if p.id in set(doc["unassigned"])}
    k = next(k for k in range(pb.n_arcs) if int(pb.arc_pupil[k]) in unplaced)
    s = int(pb.arc_slot[k])
    offer, week = inst.offers[int(pb.slot_offer[s])].id, pb.weeks[int(pb.slot_week[s])]
    pupil = inst.pupils[int(pb.arc_pupil[k])].id
    bad = copy.deepcopy(doc)
    bad["unassigned"].remove(pupil)
    bad["assignments"].append({"pupil": pupil, "offer": offer, "week": week,
                               "rank": int(pb.arc_rank[k]) or None,
                               "distance_km": int(pb.arc_metres[k]) / 1000.0,
                               "cost": float(pb.scale.to_points(pb.arc_cost[k:k + 1])[0])})
    _fix_objective(inst, bad)
    ok, problems = _verify(inst, bad)
    seats = int(pb.slot_seats[s])
    assert not ok
    assert problems == [f"offer {offer} in {week}: {seats + 1} pupils assigned to {seats} seats"]


def test_infeasible_assignment_is_explained(case: Any) -> None:
    inst, doc, _ = case
    bad = copy.deepcopy(doc)
    a = bad["assignments"][0]
    far = max(inst.offers, key=lambda o: abs(o.lat - inst.pupils[0].lat))
    a["offer"] = far.id
    ok, problems = _verify(inst, bad)
    assert not ok
    assert problems[0].startswith(f'assignments[0] (pupil "{a["pupil"]}"): offer {far.id} in '
                                  f'{a["week"]} is not feasible: ')


def test_pupil_missing_or_twice_is_caught(case: Any) -> None:
    inst, doc, _ = case
    bad = copy.deepcopy(doc)
    gone = bad["unassigned"].pop()
    ok, problems = _verify(inst, bad)
    assert problems == [f'pupils missing from both assignments and unassigned: "{gone}"']
    bad = copy.deepcopy(doc)
    bad["unassigned"].append(bad["assignments"][0]["pupil"])
    ok, problems = _verify(inst, bad)
    assert not ok and "also appears in assignments[0]" in problems[0]


def test_wrong_objective_is_caught(case: Any) -> None:
    inst, doc, _ = case
    bad = dict(doc, objective=doc["objective"] - 1)
    ok, problems = _verify(inst, bad)
    assert not ok and problems[0].startswith(f"objective is {doc['objective'] - 1!r}, "
                                             f"recomputed {doc['objective']!r}")


def test_result_of_another_instance_is_refused(case: Any) -> None:
    inst, doc, _ = case
    ok, problems = _verify(inst, dict(doc, instance_sha256="0" * 64))
    assert not ok and problems[0].startswith("instance_sha256: the result was computed on "
                                             "another instance")


def test_non_optimal_exchange_is_caught_and_described(case: Any) -> None:
    """Give two placed pupils each other's seats when both stay feasible: a valid but worse
    (or equal) assignment; the verifier must find the improving exchange when it is worse."""
    inst, doc, _ = case
    from stagebourse.matching.costs import build_problem

    pb = build_problem(inst)
    feasible = {}
    for k in range(pb.n_arcs):
        s = int(pb.arc_slot[k])
        feasible[(inst.pupils[int(pb.arc_pupil[k])].id, inst.offers[int(pb.slot_offer[s])].id,
                  pb.weeks[int(pb.slot_week[s])])] = float(pb.scale.to_points(
                      pb.arc_cost[k:k + 1])[0]), int(pb.arc_rank[k]) or None, \
            int(pb.arc_metres[k]) / 1000.0
    by_slot = {(a["offer"], a["week"]): a for a in doc["assignments"]}
    for a in doc["assignments"]:
        for b in by_slot.values():
            if a is b:
                continue
            ka = (a["pupil"], b["offer"], b["week"])
            kb = (b["pupil"], a["offer"], a["week"])
            if ka in feasible and kb in feasible and \
                    feasible[ka][0] + feasible[kb][0] > a["cost"] + b["cost"] + 1e-6:
                bad = copy.deepcopy(doc)
                for item in bad["assignments"]:
                    if item["pupil"] == a["pupil"]:
                        item.update(offer=b["offer"], week=b["week"], cost=feasible[ka][0],
                                    rank=feasible[ka][1], distance_km=feasible[ka][2])
                    elif item["pupil"] == b["pupil"]:
                        item.update(offer=a["offer"], week=a["week"], cost=feasible[kb][0],
                                    rank=feasible[kb][1], distance_km=feasible[kb][2])
                _fix_objective(inst, bad)
                ok, problems = _verify(inst, bad)
                assert not ok
                assert problems[0].startswith("not optimal: this exchange lowers the objective "
                                              "by ")
                assert a["pupil"] in problems[0] or b["pupil"] in problems[0]
                return
    pytest.fail("no swappable pair found")


def test_placing_fewer_than_possible_is_caught_with_the_path(case: Any) -> None:
    inst, doc, _ = case
    bad = copy.deepcopy(doc)
    removed = bad["assignments"].pop(0)
    bad["unassigned"].append(removed["pupil"])
    _fix_objective(inst, bad)
    ok, problems = _verify(inst, bad)
    assert not ok
    assert problems[0].startswith("not optimal: one more pupil can be placed: ")
    assert problems[0].endswith("(free seat)")


def test_tampered_fcfs_is_caught(case: Any) -> None:
    inst, _, groups = case
    doc = result_to_dict(run_mechanism(inst, "fcfs", seed=9), instance_sha256(inst))
    bad = copy.deepcopy(doc)
    bad["seed"] = 10
    ok, problems = _verify(inst, bad)
    assert not ok and problems[0].startswith("fcfs: a re-run with seed 10 differs for ")


@pytest.mark.parametrize(("change", "message"), [
    ({"format": "x"}, "result.format: must be \"stagebourse-result/1\", got 'x'"),
    ({"seed": -1}, "result.seed: must be a non-negative integer, got -1"),
    ({"assignments": {}}, "result.assignments: must be a list"),
    ({"objective": "12"}, "result.objective: must be a finite number, got '12'"),
])
def test_malformed_result_files_are_bad_input(case: Any, change: dict[str, Any],
                                              message: str) -> None:
    _, doc, _ = case
    with pytest.raises(InstanceError) as info:
        result_from_dict(dict(doc, **change))
    assert str(info.value) == message


def test_result_assignment_missing_a_field_is_bad_input(case: Any) -> None:
    _, doc, _ = case
    bad = copy.deepcopy(doc)
    del bad["assignments"][2]["week"]
    with pytest.raises(InstanceError) as info:
        result_from_dict(bad)
    assert str(info.value) == 'result.assignments[2]: missing field "week"'


def test_augmenting_path_through_a_placed_pupil_is_spelled_out() -> None:
    """p0 can only take X, held by p1, who could move to the free Y."""
    from stagebourse.matching.instance import instance_from_dict

    def pupil(pid: str, wishes: list[str]) -> dict[str, Any]:
        return {"id": pid, "level": "3e", "age": 14, "weeks": ["2027-W05"], "lat": 50.0,
                "lon": 3.0, "max_km": 5, "needs_accessible": False, "wishes": wishes}

    doc = {"format": "stagebourse-instance/1",
           "params": {"rank_costs": [0, 100, 220, 360, 520], "allow_unranked": False,
                      "unranked_cost": 1000, "km_cost": 0, "unassigned_cost": 10000, "seed": 1},
           "pupils": [pupil("p0", ["offer:X"]), pupil("p1", ["offer:X", "offer:Y"])],
           "offers": [{"id": x, "sector": "s", "lat": 50.0, "lon": 3.0, "levels": ["3e"],
                       "min_age": 14, "accessible": True, "seats": {"2027-W05": 1}}
                      for x in ("X", "Y")]}
    inst = instance_from_dict(doc)
    result = {"format": "stagebourse-result/1", "instance_sha256": instance_sha256(inst),
              "mechanism": "optimal", "seed": 1, "solver": "hand", "solve_seconds": 0,
              "objective": 10000,
              "assignments": [{"pupil": "p1", "offer": "X", "week": "2027-W05", "rank": 1,
                               "distance_km": 0.0, "cost": 0}],
              "unassigned": ["p0"]}
    ok, problems = _verify(inst, result)
    assert not ok
    assert problems == ["not optimal: one more pupil can be placed: p0 takes X 2027-W05 from "
                        "p1; p1 takes Y 2027-W05 (free seat)"]


def test_residual_graph_has_exactly_the_arcs_of_its_definition() -> None:
    from stagebourse.matching.certificate import residual_graph
    from stagebourse.matching.costs import build_problem

    inst = generate_instance(300, 51).instance
    result = run_mechanism(inst, "optimal")
    pb, choice = build_problem(inst), result.choice.copy()
    choice[int(next(i for i in range(len(choice)) if choice[i] >= 0))] = -1  # one unplaced more
    n, m, big = pb.n_pupils, pb.n_slots, pb.scale.unassigned_units
    u, z = n + m, n + m + 1
    expected = set()
    chosen = set(choice[choice >= 0].tolist())
    load = [0] * m
    for a in chosen:
        load[int(pb.arc_slot[a])] += 1
    for a in range(pb.n_arcs):
        i, t, c = int(pb.arc_pupil[a]), n + int(pb.arc_slot[a]), int(pb.arc_cost[a])
        expected.add((t, i, -c) if a in chosen else (i, t, c))
    has_arc = set(pb.arc_pupil.tolist())
    for i in range(n):
        if choice[i] >= 0:
            expected.add((i, u, big))
        elif i in has_arc:
            expected.add((u, i, -big))
    for t in range(m):
        if load[t] < pb.slot_seats[t]:
            expected.add((n + t, z, 0))
        if load[t] > 0:
            expected.add((z, n + t, 0))
    expected |= {(u, z, 0), (z, u, 0)}
    graph = residual_graph(pb, choice, big)
    got = list(zip(graph.tail.tolist(), graph.head.tolist(), graph.cost.tolist(), strict=True))
    assert len(got) == len(set(got)) == len(expected)
    assert set(got) == expected
    assert graph.tail.tolist() == sorted(graph.tail.tolist())
    assert graph.indptr[-1] == len(got)


def test_infeasibility_names_a_rule_the_triple_really_breaks(case: Any) -> None:
    """Checked against the reference's own reading of the rules (tests/matching)."""
    inst = case[0]
    doc = instance_to_dict(inst)
    feasible = {(t.pupil, t.offer, t.week) for t in feasible_triples(doc)}
    seen: Counter[str] = Counter()
    for i, p in enumerate(doc["pupils"][:80]):
        for j, o in enumerate(doc["offers"]):
            for week in sorted({*p["weeks"], *o["seats"]}):
                if (i, j, week) in feasible:
                    continue
                why = infeasibility(inst, i, j, week)
                seen[why.rule] += 1
                broken = {
                    "week": week not in p["weeks"],
                    "seats": o["seats"].get(week, 0) <= 0,
                    # The reference rounds metres, the engine truncates: 1 m either way.
                    "distance": metres(p, o) / 1000.0 > p["max_km"] - 0.002,
                    "level": p["level"] not in o["levels"],
                    "age": p["age"] < o["min_age"],
                    "accessible": p["needs_accessible"] and not o["accessible"],
                    "wish": rank_of(p, o) is None,
                }[why.rule]
                assert broken, (i, j, week, why)
    assert {"week", "seats", "distance", "wish"} <= set(seen), seen
