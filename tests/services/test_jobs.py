"""The job queue, driven by the worker's own code in this process: claims and leases, attempts,
outcomes guarded by the claim token, and matching runs computed as jobs. Real worker processes,
killed mid-run, are in test_matching_worker.py."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from stagebourse.cli.worker import run_next_job
from stagebourse.extensions import db
from stagebourse.models import Job, JobState, JournalEntry, MatchingRun, RunState, utcnow
from stagebourse.services import jobs, matching_jobs
from stagebourse.services.matching import RunOptions
from tests.scenarios import small_round

# Claims and progress are side writes, on connections of their own.
pytestmark = pytest.mark.committing


def expire_leases() -> None:
    """What the passing of the lease does, without waiting for it."""
    db.session.execute(update(Job).where(Job.state == JobState.RUNNING)
                       .values(lease_until=utcnow() - dt.timedelta(seconds=1)))
    db.session.commit()


def fresh_job(job_id: int) -> Job:
    db.session.expire_all()
    job = db.session.get(Job, job_id)
    assert job is not None
    return job


def test_a_queued_run_is_computed_by_the_worker_with_its_progress(app: Flask) -> None:
    steering, campaign = small_round()
    run = matching_jobs.start_run(steering, campaign, RunOptions(seed=3))
    db.session.commit()  # as the request's commit point does
    assert run.state == RunState.QUEUED and matching_jobs.progress_of(run).waiting
    job = jobs.latest_job(run)
    assert job is not None and job.kind == "matching_run" and job.payload == {"run_id": run.id}
    assert (job.state, job.attempts, job.max_attempts) == (JobState.QUEUED, 0, 3)

    report = run_next_job("test-worker")
    assert report is not None and report.outcome == "done", report
    db.session.expire_all()
    assert run.state == RunState.DONE and run.progress == 100 and run.seed == 3
    assert run.placed_count == 4 and len(run.assignments) == 4  # 4 seats for 6 pupils
    assert run.total_seconds is not None and run.verified_ok
    job = fresh_job(job.id)
    assert (job.state, job.attempts, job.progress) == (JobState.DONE, 1, 100)
    assert job.lease_owner is not None and job.lease_owner.startswith("test-worker:")
    assert job.lease_until is None and job.finished_at is not None and job.error is None
    assert run_next_job("test-worker") is None  # nothing left


def test_a_claimed_job_is_taken_back_only_after_its_lease_as_a_new_attempt(app: Flask) -> None:
    steering, campaign = small_round()
    run = matching_jobs.start_run(steering, campaign, RunOptions(seed=4))
    db.session.commit()  # as the request's commit point does
    first = jobs.claim("first")
    assert first is not None and first.attempts == 1
    assert jobs.claim("second") is None  # leased: nobody else takes it
    assert jobs.report_progress(first, 40, "à mi-chemin")
    assert fresh_job(first.id).progress == 40

    expire_leases()
    second = jobs.claim("second")
    assert second is not None and second.id == first.id and second.attempts == 2
    assert second.token != first.token
    # The first worker, if it were still alive, can no longer write nor record its outcome.
    assert not jobs.report_progress(first, 60, "trop tard")
    with pytest.raises(jobs.LeaseLost):
        jobs.mark_done(first, "trop tard")
    db.session.rollback()
    assert fresh_job(first.id).progress == 40

    # The second attempt discards what the first left and computes the run.
    report = run_next_job("third")  # the job is in the second worker's hands: nothing to do
    assert report is None
    expire_leases()
    report = run_next_job("third")
    assert report is not None and report.outcome == "done", report
    db.session.expire_all()
    assert run.state == RunState.DONE and len(run.assignments) == run.placed_count == 4
    assert fresh_job(first.id).attempts == 3
    assert db.session.scalar(select(func.count()).select_from(JournalEntry).where(
        JournalEntry.action == "matching.run_resumed")) == 1


def test_a_job_whose_worker_died_at_every_attempt_is_given_up_by_a_worker(app: Flask) -> None:
    app.config["JOB_MAX_ATTEMPTS"] = 2
    steering, campaign = small_round()
    run = matching_jobs.start_run(steering, campaign, RunOptions(seed=5))
    db.session.commit()  # as the request's commit point does
    for _ in range(2):
        assert jobs.claim("doomed") is not None
        expire_leases()
    assert jobs.claim("another") is None  # no attempt left: never claimed to be done again

    report = run_next_job("reaper")
    assert report is not None and report.outcome == "given up", report
    db.session.expire_all()
    assert run.state == RunState.FAILED and "2 tentatives" in (run.message or "")
    job = jobs.latest_job(run)
    assert job is not None and job.state == JobState.FAILED and "2 tentatives" in job.error
    entry = db.session.scalar(select(JournalEntry).where(
        JournalEntry.action == "matching.run_interrupted"))
    assert entry is not None and entry.actor_label == "système"
    assert entry.subject_id == str(run.id) and entry.details["attempts"] == 2
    assert run_next_job("reaper") is None


def test_a_job_that_fails_is_recorded_failed_not_retried(app: Flask) -> None:
    job = jobs.enqueue("nothing-of-this-name", {"x": 1})
    db.session.commit()
    report = run_next_job("worker")
    assert report is not None and report.outcome == "failed"
    job = fresh_job(job.id)
    assert job.state == JobState.FAILED and "unknown job kind" in (job.error or "")
    assert job.attempts == 1 and job.finished_at is not None
    assert run_next_job("worker") is None


def test_a_job_whose_run_is_no_longer_waiting_does_not_compute_it(app: Flask) -> None:
    steering, campaign = small_round()
    run = matching_jobs.start_run(steering, campaign, RunOptions(seed=6))
    # E.g. an attempt that committed its result and died before recording the job's outcome.
    db.session.execute(update(MatchingRun).where(MatchingRun.id == run.id)
                       .values(state=RunState.DISCARDED))
    db.session.commit()
    report = run_next_job("worker")
    assert report is not None and report.outcome == "done"  # nothing left to compute
    assert "discarded" in report.message
    db.session.expire_all()
    assert run.state == RunState.DISCARDED and run.assignments == []


def test_pseudonyms_are_the_same_for_the_same_round_and_seed_only(app: Flask) -> None:
    steering, campaign = small_round(pupils=2)
    runs = [matching_jobs.start_run(steering, campaign, RunOptions(seed=seed))
            for seed in (7, 7, 8)]

    def draws(run: MatchingRun) -> list[str]:
        draw = matching_jobs.pseudonym_draw(run)
        return [draw() for _ in range(5)]

    same, again, other = (draws(run) for run in runs)
    assert same == again and same != other
    assert len(set(same)) == 5 and all(len(p) == 13 and p.startswith("p") for p in same)
    app.config["SECRET_KEY"] = "another-secret-key-of-the-server-0123456789"
    assert draws(runs[0]) != same  # unpredictable without the server's secret
