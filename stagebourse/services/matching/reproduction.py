"""Reproducing a round from its stored inputs (the auditor's files: ``disclosure``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l

from stagebourse import matching as engine
from stagebourse.extensions import db
from stagebourse.models import (
    MatchingRun,
    User,
    utcnow,
)
from stagebourse.services import ServiceError, journal
from stagebourse.services.journal import Event
from stagebourse.services.matching.rounds import run_result
from stagebourse.services.policy import Action, require


def _assignment_keys(document: Mapping[str, Any]) -> set[tuple[str, str, str]]:
    return {(a["pupil"], a["offer"], a["week"]) for a in document.get("assignments", [])}


def reproduce(actor: User | None, run: MatchingRun) -> bool:
    """Re-run the stored instance with the stored seed; record whether the result is the same."""
    require(actor, Action.STEER_MATCHING, run)
    if not run.instance_json or not run.result_json:
        raise ServiceError(_l("Cet essai n'a pas de résultat à reproduire."))
    instance = engine.instance_from_dict(json.loads(run.instance_json))
    again = engine.result_to_dict(engine.run_mechanism(instance, "optimal", seed=run.seed),
                                  engine.instance_sha256(instance))
    stored = run_result(run)
    a, b = _assignment_keys(stored), _assignment_keys(again)
    same = (a == b and again["instance_sha256"] == run.instance_sha256
            and again["objective"] == stored["objective"])
    run.reproduced_ok = same
    run.reproduced_at = utcnow()
    run.reproduced_message = (
        str(_l("Identique : %(n)s affectations, même objectif, même empreinte.", n=len(a)))
        if same else str(_l("Différent : %(missing)s affectations manquent, %(extra)s en plus.",
                            missing=len(a - b), extra=len(b - a))))
    journal.record(actor, Event.MATCHING_REPRODUCED, run, ok=same)
    db.session.flush()
    return same
