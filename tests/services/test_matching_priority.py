"""A pupil turned away by a host is never worse off: the next round places them first."""

from __future__ import annotations

import dataclasses
import json

import pytest
from flask import Flask

from stagebourse import matching as engine
from stagebourse.extensions import db
from stagebourse.models import Assignment, AssignmentState, DeclinedBy, RunState
from stagebourse.services import matching
from stagebourse.services.matching import RunOptions
from tests.scenarios import small_round

SEEDS = (1, 2, 3, 4, 5, 6)


def placed_pupils(run_pseudonyms: dict[str, int], result: dict[str, object]) -> set[int]:
    return {run_pseudonyms[a["pupil"]] for a in result["assignments"]}  # type: ignore[attr-defined]


@pytest.mark.parametrize(("state", "declined_by"), [
    pytest.param(AssignmentState.DECLINED, DeclinedBy.COMPANY, id="declined before the reveal"),
    pytest.param(AssignmentState.CANCELLED, DeclinedBy.WITHDRAWN, id="withdrawn after it"),
])
def test_a_pupil_refused_by_a_host_is_placed_first_when_seats_are_scarce(
        app: Flask, state: AssignmentState, declined_by: DeclinedBy) -> None:
    # Six pupils with the same wish and four seats: round 1 leaves two without a seat.
    steering, campaign = small_round(pupils=6, seats=(1, 1, 2))
    first = matching.run_round(steering, campaign, RunOptions(seed=3))
    matching.publish(steering, first)
    assert first.placed_count == 4
    # The host of one proposal turns the pupil away; the seat goes back to the pool.
    refused: Assignment = min(first.assignments, key=lambda a: a.id)
    refused.state, refused.declined_by = state, declined_by
    db.session.commit()

    # Round 2: that pupil and the two never placed compete for the one seat left.
    for seed in SEEDS:
        run = matching.run_round(steering, campaign, RunOptions(seed=seed, round_number=2))
        assert run.state == RunState.DONE and run.verified_ok, run.verify_message
        assert refused.pupil_id in run.pseudonyms.values()
        assert run.pupil_count == 3 and run.stats["seats"] == 1
        assert run.stats["priority_pupils"] == 1
        instance = json.loads(run.instance_json)
        assert {p["id"]: p["priority"] for p in instance["pupils"]} == {
            pseudonym: int(pupil_id == refused.pupil_id)
            for pseudonym, pupil_id in run.pseudonyms.items()}
        result = matching.run_result(run)
        assert placed_pupils(run.pseudonyms, result) == {refused.pupil_id}
        assert result["priority_classes"] == [{"priority": 1, "pupils": 1, "placed": 1},
                                              {"priority": 0, "pupils": 2, "placed": 0}]

    # Without the priority, the seeded lottery would have given the seat to another pupil
    # for some of these seeds: the priority, not luck, placed the refused pupil.
    stored = engine.instance_from_dict(instance)
    plain = engine.make_instance(stored.params, [dataclasses.replace(p, priority=0)
                                                 for p in stored.pupils], stored.offers)
    others: set[int] = set()
    for seed in SEEDS:
        chosen = engine.run_mechanism(plain, "optimal", seed=seed)
        others |= placed_pupils(run.pseudonyms, engine.result_to_dict(
            chosen, engine.instance_sha256(plain))) - {refused.pupil_id}
    assert others


def test_round_one_has_no_priority_pupils(app: Flask) -> None:
    """Only a host's refusal in a published round gives priority."""
    steering, campaign = small_round(pupils=6, seats=(1, 1, 2))
    first = matching.run_round(steering, campaign, RunOptions(seed=3))
    assert first.stats["priority_pupils"] == 0
    assert {p["priority"] for p in json.loads(first.instance_json)["pupils"]} == {0}
