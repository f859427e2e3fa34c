"""Audit statistics: intervals against published values, tables on a hand-made case."""

from __future__ import annotations

import math

import pytest

from stagebourse.matching.audit import audit, diff_interval, render_audit, wilson_interval
from stagebourse.matching.instance import instance_from_dict
from stagebourse.matching.mechanisms import run_mechanism


def test_wilson_interval_matches_newcombe_1998() -> None:
    # Newcombe (1998), Statistics in Medicine 17:857, table I: 81/263 -> 0.2553 to 0.3662
    low, high = wilson_interval(81, 263)
    assert (round(low, 4), round(high, 4)) == (0.2553, 0.3662)
    assert all(math.isnan(x) for x in wilson_interval(0, 0))


def test_difference_interval_matches_newcombe_1998_method_10() -> None:
    # Newcombe (1998), Statistics in Medicine 17:873, example (a): 56/70 - 48/80
    d, low, high = diff_interval(56, 70, 48, 80)
    assert math.isclose(d, 0.2)
    assert (round(low, 4), round(high, 4)) == (0.0524, 0.3339)


def _case() -> tuple[dict[str, object], dict[str, dict[str, str]]]:
    def pupil(pid: str, wishes: list[str]) -> dict[str, object]:
        return {"id": pid, "level": "3e", "age": 14, "weeks": ["2027-W05"], "lat": 50.357,
                "lon": 3.523, "max_km": 15.0, "needs_accessible": False, "wishes": wishes}

    doc = {"format": "stagebourse-instance/1",
           "params": {"rank_costs": [0, 100, 220, 360, 520], "allow_unranked": False,
                      "unranked_cost": 1000, "km_cost": 0, "unassigned_cost": 100000,
                      "seed": 0},
           "pupils": [pupil("f1", ["sector:sante"]), pupil("f2", ["sector:btp", "sector:sante"]),
                      pupil("m1", ["sector:btp"]), pupil("m2", ["sector:social"])],
           "offers": [{"id": "s", "sector": "sante", "lat": 50.357, "lon": 3.523,
                       "levels": ["3e"], "min_age": 14, "accessible": True,
                       "seats": {"2027-W05": 1}},
                      {"id": "b", "sector": "btp", "lat": 50.357, "lon": 3.523,
                       "levels": ["3e"], "min_age": 14, "accessible": True,
                       "seats": {"2027-W05": 1}}]}
    groups = {"f1": {"gender": "F"}, "f2": {"gender": "F"}, "m1": {"gender": "M"},
              "m2": {"gender": "M"}}
    return doc, groups


def test_group_table_on_a_hand_made_case() -> None:
    doc, groups = _case()
    inst = instance_from_dict(doc)
    result = run_mechanism(inst, "optimal")
    # optimum: f1 -> sante (rank 1), m1 -> btp (rank 1); f2 and m2 cannot both be placed
    report = audit([result], groups)
    f = report["labels"]["gender"]["F"]["optimal"]
    m = report["labels"]["gender"]["M"]["optimal"]
    assert (f["size"], f["placed"], f["placement_rate"], f["wish1_share"]) == (2, 1, 0.5, 0.5)
    assert (m["size"], m["placed"], m["placement_rate"], m["mean_rank"]) == (2, 1, 0.5, 1.0)
    assert f["mean_km"] == 0.0 and f["p90_km"] == 0.0
    gap = f["gap_vs_rest"]["placement_rate"]
    assert gap["gap"] == 0.0 and gap["low"] < 0 < gap["high"]
    rows = {r["sector"]: r for r in report["gender_sector"]["optimal"]}
    # sante was wished by f1 and f2 (both F) and went to a girl: index 1
    assert rows["sante"]["by"]["F"] == {"wish_share": 1.0, "placed_share": 1.0, "index": 1.0,
                                        "wished": 2, "placed": 1}
    # btp was wished by f2 and m1 and went to m1: boys over-represented (index 2)
    assert rows["btp"]["by"]["M"]["index"] == 2.0
    assert rows["btp"]["by"]["F"]["index"] == 0.0
    text = render_audit(report)
    assert "By gender (optimal; gap = group minus rest, 95% interval)" in text


def test_side_by_side_counterfactuals_and_missing_labels() -> None:
    doc, groups = _case()
    inst = instance_from_dict(doc)
    best = run_mechanism(inst, "optimal")
    fcfs = run_mechanism(inst, "fcfs", problem=best.problem)
    del groups["m2"]
    report = audit([best, fcfs], groups)
    assert report["mechanisms"] == ["optimal", "fcfs"]
    assert set(report["labels"]["gender"]) == {"F", "M", "(missing)"}
    assert report["overall"]["fcfs"]["placed"] <= report["overall"]["optimal"]["placed"]
    assert "side by side" in render_audit(report)
    with pytest.raises(ValueError, match="at least one result"):
        audit([], None)
