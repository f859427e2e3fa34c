"""Validation of the public instance format: every bad-file message is pinned."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from stagebourse.matching.instance import (
    InstanceError,
    Offer,
    Params,
    Pupil,
    instance_from_dict,
    instance_to_dict,
    is_iso_week,
    make_instance,
)
from stagebourse.matching.io import canonical_json, instance_sha256, parse_json

EXAMPLE: dict[str, Any] = {
    "format": "stagebourse-instance/2",
    "params": {"rank_costs": [0, 100, 220, 360, 520], "allow_unranked": False,
               "unranked_cost": 1000, "km_cost": 10, "unassigned_cost": 100000, "seed": 7},
    "pupils": [{"id": "p1", "level": "3e", "age": 14, "weeks": ["2027-W05"], "lat": 50.357,
                "lon": 3.523, "max_km": 12.0, "needs_accessible": False,
                "wishes": ["sector:sante", "offer:o12", "sector:numerique"], "priority": 1}],
    "offers": [{"id": "o12", "sector": "sante", "lat": 50.36, "lon": 3.51,
                "levels": ["3e", "2de"], "min_age": 14, "accessible": True,
                "seats": {"2027-W05": 2, "2027-W06": 1}}],
}
# The same instance in the first version of the format, which had no priority classes.
EXAMPLE_V1: dict[str, Any] = {
    **EXAMPLE, "format": "stagebourse-instance/1",
    "pupils": [{k: v for k, v in p.items() if k != "priority"} for p in EXAMPLE["pupils"]],
}


def mutate(path: str, value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(EXAMPLE)
    *parents, last = path.split("/")
    node: Any = doc
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if isinstance(node, list):
        node[int(last)] = value
    elif value is DELETE:
        del node[last]
    else:
        node[last] = value
    return doc


DELETE = object()


def test_issue_example_is_valid_and_round_trips() -> None:
    inst = instance_from_dict(EXAMPLE)
    assert inst.pupils[0].wishes == ("sector:sante", "offer:o12", "sector:numerique")
    assert inst.pupils[0].priority == 1
    assert inst.offers[0].seats == (("2027-W05", 2), ("2027-W06", 1))
    again = instance_from_dict(json.loads(json.dumps(instance_to_dict(inst))))
    assert again == inst


def test_first_version_is_still_read_with_every_pupil_of_class_0() -> None:
    inst = instance_from_dict(EXAMPLE_V1)
    assert inst.format == "stagebourse-instance/1"
    assert [p.priority for p in inst.pupils] == [0]
    # written back in its own version, so its hash is the hash of the file as it was read
    assert instance_to_dict(inst) == json.loads(json.dumps(EXAMPLE_V1))
    import hashlib

    assert instance_sha256(inst) == hashlib.sha256(
        canonical_json(EXAMPLE_V1).encode()).hexdigest()
    assert instance_sha256(inst) != instance_sha256(instance_from_dict(EXAMPLE))


def test_new_instances_are_written_in_the_current_version() -> None:
    inst = instance_from_dict(EXAMPLE_V1)
    made = make_instance(inst.params, inst.pupils, inst.offers)
    doc = instance_to_dict(made)
    assert doc["format"] == "stagebourse-instance/2"
    assert [p["priority"] for p in doc["pupils"]] == [0]


def test_make_instance_from_python_objects_validates_like_the_file() -> None:
    params = Params(seed=3)
    offer = Offer(id="o1", sector="sante", lat=50.36, lon=3.51, levels=("3e",), min_age=14,
                  accessible=True, seats=(("2027-W05", 1),))
    pupil = Pupil(id="p1", level="3e", age=14, weeks=("2027-W05",), lat=50.357, lon=3.523,
                  max_km=10.0, wishes=("offer:o1",))
    inst = make_instance(params, [pupil], [offer])
    assert inst.pupils == (pupil,) and inst.offers == (offer,)
    with pytest.raises(InstanceError, match=r'^pupils\[1\].id: duplicate id "p1" '
                                            r"\(also pupils\[0\]\)$"):
        make_instance(params, [pupil, pupil], [offer])


BAD: list[tuple[dict[str, Any] | Any, str]] = [
    ([1, 2], "instance: must be a JSON object, got a list"),
    (mutate("format", "stagebourse-instance/3"),
     'format: must be "stagebourse-instance/2" (or the earlier "stagebourse-instance/1"), got '
     '"stagebourse-instance/3"'),
    (mutate("format", DELETE), 'format: must be "stagebourse-instance/2" (or the earlier '
                               '"stagebourse-instance/1"), got null'),
    (mutate("pupils/0/priority", DELETE), 'pupils[0] (id "p1"): missing field "priority"'),
    (mutate("pupils/0/priority", -1), 'pupils[0] (id "p1").priority: must be an integer between '
                                      "0 and 9, got -1"),
    (mutate("pupils/0/priority", 10), 'pupils[0] (id "p1").priority: must be an integer between '
                                      "0 and 9, got 10"),
    (mutate("pupils/0/priority", True), 'pupils[0] (id "p1").priority: must be an integer, got '
                                        "true"),
    (mutate("pupils/0/priority", 1.0), 'pupils[0] (id "p1").priority: must be an integer, got '
                                       "1.0"),
    (dict(EXAMPLE, format="stagebourse-instance/1"),
     'pupils[0] (id "p1"): unknown field "priority" (priority classes need format '
     '"stagebourse-instance/2")'),
    (mutate("pupils", DELETE), 'instance: missing field "pupils"'),
    (mutate("params/rank_costs", [0, 100, 220, 360]),
     "params.rank_costs: must have exactly 5 entries, got 4"),
    (mutate("params/rank_costs", [0, 100, 90, 360, 520]),
     "params.rank_costs[2]: must not be smaller than rank_costs[1] (90 < 100)"),
    (mutate("params/rank_costs", [-1, 100, 220, 360, 520]),
     "params.rank_costs[0]: must be between 0 and 1e+09, got -1"),
    (mutate("params/km_cost", "10"), 'params.km_cost: must be a number, got "10"'),
    (mutate("params/km_cost", 0.1234567), "params.km_cost: 0.1234567 has more than 6 decimal "
                                          "places (costs are computed exactly on a decimal grid)"),
    (mutate("params/allow_unranked", 0), "params.allow_unranked: must be true or false, got 0"),
    (mutate("params/seed", -1), "params.seed: must be an integer between 0 and "
                                "9007199254740991, got -1"),
    (mutate("params/seed", 2**53), "params.seed: must be an integer between 0 and "
                                   "9007199254740991, got 9007199254740992"),
    (mutate("params/seed", 1.5), "params.seed: must be an integer, got 1.5"),
    (mutate("params/unassigned_cost", 640),
     "params.unassigned_cost: 640 must exceed every pair cost, and a pair can cost up to 640 "
     '(worst wish cost + km_cost 10 x max_km 12 of pupil "p1")'),
    (mutate("params/colour", "blue"), 'params: unknown field "colour"'),
    (mutate("pupils/0/gender", "F"), 'pupils[0] (id "p1"): unknown field "gender" (the '
                                     "instance is blind: group labels go in a separate groups "
                                     "file)"),
    (mutate("pupils/0/age", DELETE), 'pupils[0] (id "p1"): missing field "age"'),
    (mutate("pupils/0/id", ""), 'pupils[0] (id "").id: must be a non-empty string, got ""'),
    (mutate("pupils/0/level", "4e"), 'pupils[0] (id "p1").level: must be "3e" or "2de", '
                                     'got "4e"'),
    (mutate("pupils/0/weeks", ["2027-W54"]),
     'pupils[0] (id "p1").weeks[0]: "2027-W54" is not an ISO week (YYYY-Www, e.g. 2027-W05)'),
    (mutate("pupils/0/weeks", ["2027-5"]),
     'pupils[0] (id "p1").weeks[0]: "2027-5" is not an ISO week (YYYY-Www, e.g. 2027-W05)'),
    (mutate("pupils/0/weeks", ["2027-W05", "2027-W05"]),
     'pupils[0] (id "p1").weeks: lists "2027-W05" twice'),
    (mutate("pupils/0/weeks", []), 'pupils[0] (id "p1").weeks: must list at least one ISO week'),
    (mutate("pupils/0/lat", float("nan")),
     'pupils[0] (id "p1").lat: must be a finite number between -90 and 90, got NaN'),
    (mutate("pupils/0/lat", 91.0),
     'pupils[0] (id "p1").lat: must be a finite number between -90 and 90, got 91.0'),
    (mutate("pupils/0/lon", -180.5),
     'pupils[0] (id "p1").lon: must be a finite number between -180 and 180, got -180.5'),
    (mutate("pupils/0/lon", float("inf")),
     'pupils[0] (id "p1").lon: must be a finite number between -180 and 180, got inf'),
    (mutate("pupils/0/max_km", -2), 'pupils[0] (id "p1").max_km: must be between 0 and 20015, '
                                    "got -2"),
    (mutate("pupils/0/age", 14.5), 'pupils[0] (id "p1").age: must be an integer, got 14.5'),
    (mutate("pupils/0/needs_accessible", "no"),
     'pupils[0] (id "p1").needs_accessible: must be true or false, got "no"'),
    (mutate("pupils/0/wishes", ["offer:o99"]),
     'pupils[0] (id "p1").wishes[0]: "offer:o99" names an unknown offer'),
    (mutate("pupils/0/wishes", ["job:o12"]),
     'pupils[0] (id "p1").wishes[0]: "job:o12" must be "sector:<code>" or "offer:<id>"'),
    (mutate("pupils/0/wishes", ["sector:a", "sector:b", "sector:c", "sector:d", "sector:e",
                                "sector:f"]),
     'pupils[0] (id "p1").wishes: has 6 wishes, at most 5 are allowed'),
    (mutate("pupils/0/wishes", ["sector:a", "sector:a"]),
     'pupils[0] (id "p1").wishes[1]: "sector:a" repeats wishes[0]'),
    (mutate("offers/0/seats", {"2027-W05": -1}),
     'offers[0] (id "o12").seats["2027-W05"]: must be a non-negative integer, got -1'),
    (mutate("offers/0/seats", {"2027-W05": 1.5}),
     'offers[0] (id "o12").seats["2027-W05"]: must be a non-negative integer, got 1.5'),
    (mutate("offers/0/seats", {"W05": 1}),
     'offers[0] (id "o12").seats["W05"]: "W05" is not an ISO week (YYYY-Www, e.g. 2027-W05)'),
    (mutate("offers/0/seats", [1]),
     'offers[0] (id "o12").seats: must be an object mapping ISO weeks to seats, got a list'),
    (mutate("offers/0/levels", []),
     'offers[0] (id "o12").levels: must list at least one level ("3e", "2de")'),
    (mutate("offers/0/levels", ["3e", "bac"]),
     'offers[0] (id "o12").levels[1]: must be "3e" or "2de", got "bac"'),
    (mutate("offers/0/min_age", -3), 'offers[0] (id "o12").min_age: must be an integer between '
                                     "0 and 99, got -3"),
    (mutate("offers/0/lat", None), 'offers[0] (id "o12").lat: must be a number, got null'),
    (mutate("offers/0/sector", " "), 'offers[0] (id "o12").sector: must be a non-empty string, '
                                     'got " "'),
    (mutate("offers", [EXAMPLE["offers"][0], EXAMPLE["offers"][0]]),
     'offers[1].id: duplicate id "o12" (also offers[0])'),
    (mutate("pupils", [EXAMPLE["pupils"][0], EXAMPLE["pupils"][0]]),
     'pupils[1].id: duplicate id "p1" (also pupils[0])'),
    (mutate("pupils", {"p1": {}}), "pupils: must be a list, got an object"),
]


@pytest.mark.parametrize(("doc", "message"), BAD, ids=[m[:50] for _, m in BAD])
def test_bad_instance_gives_one_exact_message(doc: Any, message: str) -> None:
    with pytest.raises(InstanceError) as info:
        instance_from_dict(doc)
    assert str(info.value) == message


def test_instance_error_is_a_value_error() -> None:
    assert issubclass(InstanceError, ValueError)


@pytest.mark.parametrize(("text", "message"), [
    ("{", "instance: not valid JSON: Expecting property name enclosed in double quotes at line "
          "1 column 2"),
    ("", "instance: not valid JSON: Expecting value at line 1 column 1"),
    ('{"a": NaN}', "instance: not valid JSON: NaN is not a JSON number"),
])
def test_text_that_is_not_json_is_refused_with_position(text: str, message: str) -> None:
    with pytest.raises(InstanceError) as info:
        parse_json(text, "instance")
    assert str(info.value) == message


@pytest.mark.parametrize(("week", "ok"), [("2027-W05", True), ("2026-W53", True),
                                          ("2027-W53", False), ("2027-W00", False),
                                          ("2027-w05", False), ("27-W05", False)])
def test_iso_weeks_are_checked_against_the_calendar(week: str, ok: bool) -> None:
    assert is_iso_week(week) is ok


@pytest.mark.parametrize(("value", "text"), [
    # RFC 8785, appendix B (IEEE 754 to ECMAScript number serialisation)
    (0.0, "0"), (-0.0, "0"), (1e21, "1e+21"), (1e-7, "1e-7"), (1.5e-7, "1.5e-7"),
    (1e-6, "0.000001"), (0.00001, "0.00001"), (123456789012345680000.0, "123456789012345680000"),
    (9007199254740992.0, "9007199254740992"), (50.0, "50"), (50.357, "50.357"),
    (-1.5e22, "-1.5e+22"), (5e-324, "5e-324"), (295147905179352830000.0, "295147905179352830000"),
])
def test_canonical_numbers_follow_rfc_8785(value: float, text: str) -> None:
    assert canonical_json(value) == text


def test_canonical_json_sorts_keys_and_drops_whitespace() -> None:
    assert canonical_json({"b": [1, 2.0, "é\n"], "a": {"d": None, "c": True}}) == \
        '{"a":{"c":true,"d":null},"b":[1,2,"é\\n"]}'


def test_instance_hash_ignores_layout_order_of_keys_and_number_spelling() -> None:
    base = instance_sha256(instance_from_dict(EXAMPLE))
    shuffled = json.loads(json.dumps(EXAMPLE, indent=3, sort_keys=True))
    shuffled["pupils"][0]["max_km"] = 12  # 12 and 12.0 are the same JSON number
    shuffled["comment"] = "extra top-level fields are not part of the hash"
    assert instance_sha256(instance_from_dict(shuffled)) == base
    changed = mutate("pupils/0/max_km", 12.5)
    assert instance_sha256(instance_from_dict(changed)) != base


def test_instance_hash_is_the_sha256_of_the_canonical_text() -> None:
    import hashlib

    inst = instance_from_dict(EXAMPLE)
    text = canonical_json(instance_to_dict(inst))
    assert text.startswith('{"format":"stagebourse-instance/2","offers":[{"accessible":true,')
    assert '"needs_accessible":false,"priority":1,"weeks":' in text
    assert instance_sha256(inst) == hashlib.sha256(text.encode()).hexdigest()


def test_fast_canonical_text_equals_the_generic_rfc_8785_writer() -> None:
    from stagebourse.matching.generate import generate_instance
    from stagebourse.matching.io import canonical_instance_json

    inst = generate_instance(300, 8, priority_share=0.1).instance
    assert {p.priority for p in inst.pupils} == {0, 1}
    assert canonical_instance_json(inst) == canonical_json(instance_to_dict(inst))
    old = instance_from_dict(EXAMPLE_V1)
    assert canonical_instance_json(old) == canonical_json(EXAMPLE_V1)
    odd = mutate("pupils/0/lon", 0.00001)  # needs the generic writer (no exponent in JCS)
    odd["pupils"][0]["id"] = "élève\u2028\t1"
    odd_inst = instance_from_dict(odd)
    assert canonical_instance_json(odd_inst) == canonical_json(instance_to_dict(odd_inst))
    assert '"lon":0.00001' in canonical_instance_json(odd_inst)
    for doc in (mutate("offers/0/seats", {}), mutate("offers/0/seats", {"2027-W06": 0}),
                mutate("pupils", []), mutate("params/km_cost", 2.5)):
        inst = instance_from_dict(doc)
        assert canonical_instance_json(inst) == canonical_json(instance_to_dict(inst))
