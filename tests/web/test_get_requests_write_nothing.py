"""No GET request writes: every GET route of the URL map, for every persona of the access
matrix, leaves every table as it was.

Each persona signs in first (a POST, which writes); then, before and after each GET, every
table's rows are read through a connection of their own, so what is compared is what a request
committed. Nothing is excluded: the one write a GET may make by design, the partner API's rate
limit counter, needs a token, and no persona sends one here.

The world holds what once tempted pages to write: a run left "queued" by a server restart long
ago (pages used to mark it failed on display) and a campaign without its tutor questionnaire
(the questionnaires page used to create it).
"""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from flask import Flask
from sqlalchemy import delete

from stagebourse.extensions import db
from stagebourse.models import Base, MatchingRun, Questionnaire, Respondent, RunState, utcnow
from tests.web.route_map import build_url, rules, sign_in
from tests.web.test_access_matrix import PERSONAS

pytestmark = pytest.mark.committing  # snapshots the tables through a connection of its own

Snapshot = dict[str, tuple[int, str]]


def snapshot() -> Snapshot:
    """Each table: its row count and a digest of its sorted rows."""
    tables: Snapshot = {}
    with db.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            rows = sorted(repr(tuple(row)) for row in connection.execute(table.select()))
            tables[table.name] = (len(rows), hashlib.sha256("\n".join(rows).encode())
                                  .hexdigest())
    return tables


def leave_temptations(campaign_id: int) -> None:
    db.session.add(MatchingRun(campaign_id=campaign_id, state=RunState.QUEUED, seed=1,
                               created_at=utcnow() - dt.timedelta(days=1)))
    db.session.execute(delete(Questionnaire).where(Questionnaire.campaign_id == campaign_id,
                                                   Questionnaire.respondent == Respondent.TUTOR))


@pytest.mark.parametrize("persona", PERSONAS)
def test_no_get_request_changes_any_table(app: Flask, world, persona: str) -> None:
    leave_temptations(world["values"]["campaign_id"])
    client = app.test_client()
    user = world["users"].get(persona)
    if user is not None:
        sign_in(client, user)
    db.session.commit()  # what the test itself set up, so that the snapshots see it
    before = snapshot()
    writes = []
    for rule, method in rules(app):
        if method != "GET":
            continue
        url = build_url(rule, world["values"])
        response = client.get(url)
        response.close()
        after = snapshot()
        changed = sorted(name for name in after if after[name] != before[name])
        if changed:
            writes.append(f"{persona} GET {url} ({rule.endpoint}) → "
                          f"{response.status_code} changed {changed}")
            before = after
    assert writes == []
