"""The claim rule shared by the outbox and the job queue takes no more rows than asked.

On PostgreSQL, a LIMIT in a plain ``IN (SELECT … FOR UPDATE SKIP LOCKED)`` subquery is not
enough: the planner may rescan it once per updated row, and each rescan yields the next rows.
"""

from __future__ import annotations

from collections import Counter

import pytest
from flask import Flask
from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import Job, JobState, OutboxState
from stagebourse.services import jobs
from stagebourse.services.outbox import claim_batch
from tests.factories import outbox_states, queue

# Claims and progress are side writes, on connections of their own.
pytestmark = pytest.mark.committing


def test_a_job_claim_takes_one_job_when_several_are_due(app: Flask) -> None:
    for number in range(4):
        jobs.enqueue("example", {"number": number})
    db.session.commit()
    first, second = jobs.claim("first"), jobs.claim("second")
    assert first is not None and second is not None
    assert (first.payload, second.payload) == ({"number": 0}, {"number": 1})
    held = Counter(db.session.execute(select(Job.state)).scalars())
    assert held == Counter({JobState.RUNNING: 2, JobState.QUEUED: 2})


def test_an_outbox_claim_takes_no_more_than_its_batch(app: Flask) -> None:
    queue(5)
    token, rows = claim_batch("worker", limit=2)
    assert len(rows) == 2 and all(row.claimed_by == token for row in rows)
    assert outbox_states() == Counter({OutboxState.SENDING: 2, OutboxState.PENDING: 3})
