"""Matching runs computed by real ``stagebourse worker`` processes on the test database
(SQLite or PostgreSQL), as the steering page queues them.

- A queued run is computed by a worker: its progress reaches 100 and it is done.
- A worker killed (SIGKILL) in the middle of a run: after the lease, a second worker takes the
  job back, discards what the first left, and computes the run again with the same seed, to
  the same assignments as a run of the same seed that was never interrupted.

The first worker is held at a known step by the test-only pause (it waits for a file that never
appears), so the kill always lands mid-run; no assertion depends on timing.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import Assignment, Job, JobState, JournalEntry, MatchingRun, RunState
from stagebourse.services import matching_jobs
from stagebourse.services.matching import RunOptions
from tests.scenarios import small_round
from tests.smtp_server import LoopbackSmtp
from tests.worker_process import (
    WorkerProcess,
    wait_for,
)

pytestmark = pytest.mark.database

StartWorker = Callable[..., WorkerProcess]
# Short enough that the second worker takes the job back at once; the first worker renews it
# at each step of the run, and is killed while paused anyway.
SHORT_LEASE = {"JOB_LEASE_SECONDS": 2}


def run_row(run_id: int) -> Any:
    """The run's state and progress, read fresh (the workers change them underneath)."""
    row = db.session.execute(select(MatchingRun.state, MatchingRun.progress, MatchingRun.message)
                             .where(MatchingRun.id == run_id)).one()
    # End the read transaction: a worker's writes must be visible at the next poll.
    db.session.rollback()
    return row


def job_row(run_id: int) -> Any:
    row = db.session.execute(
        select(Job.state, Job.attempts, Job.progress, Job.lease_owner, Job.error)
        .where(Job.subject_type == "MatchingRun", Job.subject_id == run_id)).one()
    db.session.rollback()
    return row


def finished(*run_ids: int) -> Callable[[], bool]:
    return lambda: all(run_row(run_id).state in (RunState.DONE, RunState.FAILED)
                       for run_id in run_ids)


def result_rows(run_id: int) -> list[tuple[object, ...]]:
    """What a run decided, pupil by pupil, in database terms (not pseudonyms)."""
    rows = db.session.execute(
        select(Assignment.pupil_id, Assignment.offer_id, Assignment.week, Assignment.rank,
               Assignment.cost, Assignment.distance_km)
        .where(Assignment.run_id == run_id).order_by(Assignment.pupil_id)).all()
    db.session.rollback()
    return [tuple(row) for row in rows]


def untimed(result_json: str | None) -> dict[str, Any]:
    """A stored result without its timings (the only part that may differ between runs)."""
    document: dict[str, Any] = json.loads(result_json or "{}")
    return {key: value for key, value in document.items() if not key.endswith("_seconds")}


def test_a_queued_run_is_computed_by_a_worker_process(
        app: Flask, smtp_server: LoopbackSmtp, start_worker: StartWorker) -> None:
    steering, campaign = small_round()
    run_id = matching_jobs.start_run(steering, campaign, RunOptions(seed=5)).id
    db.session.commit()  # as the request's commit point does
    assert run_row(run_id).state == RunState.QUEUED
    assert job_row(run_id).state == JobState.QUEUED

    worker = start_worker(smtp_server.port)
    assert wait_for(finished(run_id), 120), worker.output
    assert worker.stop() == 0, worker.output

    run = run_row(run_id)
    assert run.state == RunState.DONE, (run, worker.output)
    assert run.progress == 100 and run.message.startswith("Terminé : 4 élèves placés sur 6")
    job = job_row(run_id)
    assert (job.state, job.attempts, job.progress, job.error) == (JobState.DONE, 1, 100, None)
    assert job.lease_owner.split(":")[1] == str(worker.process.pid)
    assert len(result_rows(run_id)) == 4


def test_a_worker_killed_mid_run_is_replaced_and_the_run_gives_the_same_result(
        app: Flask, smtp_server: LoopbackSmtp, start_worker: StartWorker,
        tmp_path: Path) -> None:
    steering, campaign = small_round()
    interrupted = matching_jobs.start_run(steering, campaign, RunOptions(seed=11)).id
    # The same round with the same seed, computed without interruption, for comparison.
    reference = matching_jobs.start_run(steering, campaign, RunOptions(seed=11)).id
    db.session.commit()  # as the request's commit point does

    first = start_worker(smtp_server.port, JOB_TEST_PAUSE_AT_PROGRESS=50,
                         JOB_TEST_RESUME_FILE=tmp_path / "never-created", **SHORT_LEASE)
    assert wait_for(lambda: job_row(interrupted).progress >= 50, 120), first.output
    assert first.kill() == -signal.SIGKILL, first.output

    # Killed mid-run: its job is leased to a dead worker at 50 %; the run is one transaction,
    # so nothing of it was written: still queued, no result.
    run = run_row(interrupted)
    assert (run.state, run.progress) == (RunState.QUEUED, 0), first.output
    job = job_row(interrupted)
    assert (job.state, job.attempts, job.progress) == (JobState.RUNNING, 1, 50)
    assert job.lease_owner.split(":")[1] == str(first.process.pid)
    assert result_rows(interrupted) == []
    assert run_row(reference).state == RunState.QUEUED  # the first worker never got to it

    second = start_worker(smtp_server.port, **SHORT_LEASE)
    assert wait_for(finished(interrupted, reference), 120), second.output
    assert second.stop() == 0, second.output

    for run_id in (interrupted, reference):
        assert run_row(run_id).state == RunState.DONE, second.output
        assert run_row(run_id).progress == 100
    job = job_row(interrupted)
    assert (job.state, job.attempts) == (JobState.DONE, 2)
    assert job.lease_owner.split(":")[1] == str(second.process.pid)
    assert job_row(reference).attempts == 1
    resumed = db.session.scalars(select(JournalEntry).where(
        JournalEntry.action == "matching.run_resumed")).all()
    assert [(e.subject_id, e.details["attempt"]) for e in resumed] == [(str(interrupted), 2)]

    # Same seed, same instance, same assignments: the interruption changed nothing.
    runs = {run.id: run for run in db.session.scalars(
        select(MatchingRun).where(MatchingRun.id.in_((interrupted, reference))))}
    again, never = runs[interrupted], runs[reference]
    assert again.seed == never.seed == 11
    assert again.instance_sha256 == never.instance_sha256
    assert untimed(again.result_json) == untimed(never.result_json)
    assert again.objective == never.objective
    assert again.pseudonyms == never.pseudonyms
    rows = result_rows(interrupted)
    assert len(rows) == again.placed_count == 4  # nothing left over from the first attempt
    assert rows == result_rows(reference)
