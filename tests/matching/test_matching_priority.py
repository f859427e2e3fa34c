"""Priority classes: the lexicographic optimum against HiGHS, its certificate, old files."""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from matching_reference import (
    check_result,
    feasible_triples,
    lexicographic_optimum,
    priority_optimum,
)
from matching_strategies import contested_instance_st, instance_st

from stagebourse.matching import mechanisms
from stagebourse.matching.generate import generate_instance
from stagebourse.matching.instance import InstanceError, instance_from_dict, instance_to_dict
from stagebourse.matching.io import instance_sha256, result_from_dict, result_to_dict
from stagebourse.matching.mechanisms import run_mechanism
from stagebourse.matching.verify import verify_result

#: fewer examples than the base engine's properties: each one runs a HiGHS solve per class
PRIORITY_PROPERTY = settings(deadline=None, max_examples=80,
                             suppress_health_check=[HealthCheck.too_slow])
#: any small instance with classes, or pupils competing for few seats
WITH_PRIORITIES = st.one_of(instance_st(priorities=True), contested_instance_st())


def solve_doc(doc: dict[str, Any]) -> dict[str, Any]:
    inst = instance_from_dict(doc)
    return result_to_dict(run_mechanism(inst, "optimal"), instance_sha256(inst))


def verify_doc(doc: dict[str, Any], result: dict[str, Any]) -> tuple[bool, list[str]]:
    report = verify_result(instance_from_dict(doc), result_from_dict(result))
    return report.ok, report.problems


def placed_by_class(doc: dict[str, Any], result: dict[str, Any]) -> dict[int, int]:
    priority = {p["id"]: p.get("priority", 0) for p in doc["pupils"]}
    counts = dict.fromkeys(set(priority.values()), 0)
    for a in result["assignments"]:
        counts[priority[a["pupil"]]] += 1
    return counts


def assert_lexicographic(doc: dict[str, Any], result: dict[str, Any]) -> None:
    """The three levels of the objective, compared with the HiGHS reference."""
    check_result(doc, result)
    triples = feasible_triples(doc)
    best = priority_optimum(doc, triples)
    assert placed_by_class(doc, result) == best.placed_by_class
    assert len(result["assignments"]) == best.placed
    assert math.isclose(sum(a["cost"] for a in result["assignments"]), best.pair_cost,
                        rel_tol=1e-9, abs_tol=1e-6)
    # priority never lowers the number placed (the placeable sets form a matroid)
    assert best.placed == lexicographic_optimum(doc, triples).placed
    ok, problems = verify_doc(doc, result)
    assert ok, problems


def without_priorities(doc: dict[str, Any]) -> dict[str, Any]:
    plain = copy.deepcopy(doc)
    for p in plain["pupils"]:
        p["priority"] = 0
    return plain


@PRIORITY_PROPERTY
@given(WITH_PRIORITIES)
def test_small_instances_with_priorities_match_highs_level_by_level(doc: dict[str, Any]
                                                                    ) -> None:
    result = solve_doc(doc)
    assert_lexicographic(doc, result)
    plain = solve_doc(without_priorities(doc))
    event("priority changes the numbers placed per class"
          if placed_by_class(doc, plain) != placed_by_class(doc, result) else "same numbers")


@PRIORITY_PROPERTY
@given(contested_instance_st())
def test_an_optimum_ignoring_priorities_is_certified_only_if_it_places_as_many_by_class(
        doc: dict[str, Any]) -> None:
    """The optimum of the same pupils without priorities, checked against the instance with
    them: the verifier accepts it exactly when it already places the lexicographic numbers
    per class (then it is also a lexicographic optimum), and rejects it otherwise."""
    inst = instance_from_dict(doc)
    plain = result_to_dict(run_mechanism(instance_from_dict(without_priorities(doc)),
                                         "optimal"), instance_sha256(inst))
    ok, problems = verify_doc(doc, plain)
    expected = placed_by_class(doc, plain) == priority_optimum(doc).placed_by_class
    assert ok is expected, problems
    event("certified" if ok else "rejected")
    if not ok:
        assert len(problems) == 1 and " can be placed instead of " in problems[0]


@settings(PRIORITY_PROPERTY, max_examples=40)
@given(contested_instance_st(tight_unassigned=True))
def test_tight_unassigned_cost_with_priorities_is_honoured_or_refused_at_class_0(
        doc: dict[str, Any]) -> None:
    """The unassigned cost is tested where the number placed is free: in class 0, the other
    classes placing as many. Refused iff one pupil of class 0 fewer saves more than it."""
    triples = feasible_triples(doc)
    best = priority_optimum(doc, triples)
    saving = 0.0
    if best.placed_by_class.get(0, 0) > 0:
        saving = best.pair_cost - priority_optimum(doc, triples, fewer_in_class_0=1).pair_cost
    unassigned = doc["params"]["unassigned_cost"]
    try:
        result = solve_doc(doc)
    except InstanceError as exc:
        event("refused")
        need = float(str(exc).rsplit("use at least ", 1)[1])
        assert math.isclose(need, saving, rel_tol=1e-9, abs_tol=1e-6)
        assert need > unassigned
        fixed = copy.deepcopy(doc)
        fixed["params"]["unassigned_cost"] = need
        assert_lexicographic(fixed, solve_doc(fixed))
        return
    event("honoured")
    assert saving <= unassigned + 1e-6
    assert_lexicographic(doc, result)


@pytest.mark.parametrize("seed", [1, 2])
def test_medium_generated_instances_with_priority_pupils_match_highs(seed: int) -> None:
    doc = instance_to_dict(generate_instance(300, seed, priority_share=0.1).instance)
    result = solve_doc(doc)
    counts = placed_by_class(doc, result)
    plain = placed_by_class(doc, solve_doc(without_priorities(doc)))
    assert counts[1] > plain[1]  # seats are scarce: the priority changes who is placed
    assert_lexicographic(doc, result)


def test_a_trial_gap_too_small_is_caught_and_the_batch_solved_again(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """With a trial gap of 1, the first solve ignores the classes almost entirely; the
    exchange check finds it and the safe gap gives the same optimum as the normal run."""
    inst = generate_instance(300, 3, priority_share=0.1).instance
    normal = run_mechanism(inst, "optimal")
    safe_calls: list[int] = []
    safe_gap = mechanisms.safe_gap

    def counting_safe_gap(*args: Any) -> int:
        gap = safe_gap(*args)
        safe_calls.append(gap)
        return gap

    monkeypatch.setattr(mechanisms, "trial_gap", lambda problem, arcs: 1)
    monkeypatch.setattr(mechanisms, "safe_gap", counting_safe_gap)
    again = run_mechanism(inst, "optimal")
    assert safe_calls
    assert np.array_equal(again.choice, normal.choice)


def _doc(pupils: list[dict[str, Any]], offers: list[str], seats: int = 1) -> dict[str, Any]:
    return {"format": "stagebourse-instance/2",
            "params": {"rank_costs": [0, 100, 220, 360, 520], "allow_unranked": False,
                       "unranked_cost": 1000, "km_cost": 0, "unassigned_cost": 10000,
                       "seed": 1},
            "pupils": pupils,
            "offers": [{"id": x, "sector": "s", "lat": 50.0, "lon": 3.0, "levels": ["3e"],
                        "min_age": 14, "accessible": True, "seats": {"2027-W05": seats}}
                       for x in offers]}


def _pupil(pid: str, wishes: list[str], priority: int) -> dict[str, Any]:
    return {"id": pid, "level": "3e", "age": 14, "weeks": ["2027-W05"], "lat": 50.0,
            "lon": 3.0, "max_km": 5, "needs_accessible": False, "wishes": wishes,
            "priority": priority}


def _placed(result: dict[str, Any]) -> dict[str, str]:
    return {a["pupil"]: a["offer"] for a in result["assignments"]}


def test_higher_classes_are_served_first_whatever_their_wish_rank() -> None:
    """One seat, three pupils: the class-2 pupil gets it though it is only their fifth wish."""
    five = ["offer:A", "offer:B", "offer:C", "offer:D"]
    doc = _doc([_pupil("p0", ["offer:X"], 0), _pupil("p1", ["offer:X"], 1),
                _pupil("p2", [*five, "offer:X"], 2)], ["X", "A", "B", "C", "D"], seats=0)
    doc["offers"][0]["seats"] = {"2027-W05": 1}
    assert _placed(solve_doc(doc)) == {"p2": "X"}
    doc["pupils"][2]["priority"] = 0
    assert _placed(solve_doc(doc)) == {"p1": "X"}


def test_priority_never_costs_a_place_to_anyone_who_could_have_one() -> None:
    """p1 (class 1) prefers X, the only seat p0 can take: p1 is moved to Y, both placed."""
    doc = _doc([_pupil("p0", ["offer:X"], 0), _pupil("p1", ["offer:X", "offer:Y"], 1)],
               ["X", "Y"])
    assert _placed(solve_doc(doc)) == {"p0": "X", "p1": "Y"}


def test_unassigned_cost_is_tested_with_the_priority_classes_placing_as_many() -> None:
    """p1 (class 0) holds X at rank 1 and could move to Y at rank 5; p0 can only take X, at
    rank 5. Both placed cost 1040, p1 alone 0: with p0 of class 0, unassigned_cost 600 is too
    small (the stated objective would leave p0 out). With p0 of class 1, p0 is placed
    whatever the cost, and the test is on class 0: leaving p1 out saves 520 only."""
    four = ["sector:a", "sector:b", "sector:c", "sector:d"]  # no offer of these sectors
    doc = _doc([_pupil("p0", [*four, "offer:X"], 0),
                _pupil("p1", ["offer:X", *four[1:], "offer:Y"], 0)], ["X", "Y"])
    doc["params"]["unassigned_cost"] = 600
    with pytest.raises(InstanceError, match=r"would save 1040 .* use at least 1040$"):
        solve_doc(doc)
    doc["pupils"][0]["priority"] = 1
    result = solve_doc(doc)
    assert _placed(result) == {"p0": "X", "p1": "Y"}
    ok, problems = verify_doc(doc, result)
    assert ok, problems


def test_verify_rejects_a_result_placing_fewer_priority_pupils_and_names_the_exchange() -> None:
    """p1 (class 1) can only take X, held by p2 (class 1), who can move to Y, held by p0
    (class 0): placing p2 and p0 is feasible, places as many and costs less, but not first."""
    doc = _doc([_pupil("p0", ["offer:Y"], 0), _pupil("p1", ["offer:X"], 1),
                _pupil("p2", ["offer:X", "offer:Y"], 1)], ["X", "Y"])
    inst = instance_from_dict(doc)
    result = {"format": "stagebourse-result/1", "instance_sha256": instance_sha256(inst),
              "mechanism": "optimal", "seed": 1, "solver": "hand", "solve_seconds": 0,
              "objective": 10000,
              "assignments": [{"pupil": "p2", "offer": "X", "week": "2027-W05", "rank": 1,
                               "distance_km": 0.0, "cost": 0},
                              {"pupil": "p0", "offer": "Y", "week": "2027-W05", "rank": 1,
                               "distance_km": 0.0, "cost": 0}],
              "unassigned": ["p1"]}
    assert verify_doc(doc, result) == (False, [
        "not optimal: p1 (priority 1) can be placed instead of p0 (priority 0): p1 takes X "
        "2027-W05 from p2; p2 takes Y 2027-W05 from p0; p0 is unplaced"])
    engine = solve_doc(doc)
    assert _placed(engine) == {"p1": "X", "p2": "Y"}
    assert engine["priority_classes"] == [{"priority": 1, "pupils": 2, "placed": 2},
                                          {"priority": 0, "pupils": 1, "placed": 0}]
    report = verify_result(inst, result_from_dict(engine))
    assert report.ok, report.problems
    assert report.notes[-1].startswith("priority: no unplaced pupil reaches a placed pupil of "
                                       "a lower class by an alternating path, so the numbers "
                                       "placed per class (class 1: 2 of 2, class 0: 0 of 1)")


def test_first_version_files_solve_and_verify_as_before() -> None:
    """A version-1 file is read with every pupil of class 0 and solved exactly like the same
    pupils written in version 2; its result keeps the hash of the version-1 file."""
    doc = instance_to_dict(generate_instance(300, 21).instance)
    old = copy.deepcopy(doc)
    old["format"] = "stagebourse-instance/1"
    for p in old["pupils"]:
        del p["priority"]
    new_result, old_result = solve_doc(doc), solve_doc(old)
    assert old_result["assignments"] == new_result["assignments"]
    assert old_result["instance_sha256"] != new_result["instance_sha256"]
    assert "priority_classes" not in old_result
    ok, problems = verify_doc(old, old_result)
    assert ok, problems
    # a version-1 result does not verify against the version-2 file: another instance
    ok, problems = verify_doc(doc, old_result)
    assert not ok and problems[0].startswith("instance_sha256: the result was computed on "
                                             "another instance")
