"""The job queue: long work recorded by a request, done by ``stagebourse worker``.

How a job travels::

    queued --claim--> running --its work is committed--> done
                         |----its work fails----------> failed
                         +-- lease expired (the worker died): claimed again by another worker,
                             a new attempt; after ``max_attempts`` claims, failed instead

A web request never does the work: it calls :func:`enqueue` in its own transaction, and the
page that follows polls the progress. Claims use the outbox's rule (:mod:`.claims`): a fresh
token per claim, ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, one worker on SQLite.

Two kinds of writes, on purpose:

- the claim and the progress (which renews the lease) are written in short transactions of
  their own, on a connection of their own, so that the page sees them at once and a rollback
  of the job's work does not lose them;
- the outcome (:func:`mark_done`, :func:`mark_failed`) is written in the worker's unit of work,
  guarded by the claim token: the job's results and its "done" commit together, and a worker
  that lost its lease cannot record anything over the worker that took the job back.

What the worker does with each kind of job is in :func:`job_kinds`.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, or_, select, update

from stagebourse.extensions import db
from stagebourse.models import Job, JobState, utcnow
from stagebourse.services.claims import claim_statement, claim_token
from stagebourse.transactions import side_write

log = logging.getLogger(__name__)

DEFAULTS: dict[str, Any] = {
    # A claimed job whose worker gave no news (progress) for this long is taken back.
    "JOB_LEASE_SECONDS": 600,
    "JOB_MAX_ATTEMPTS": 3,
    # Fault tests only (STAGEBOURSE_ENV=test, see config.py): a worker stops when a job
    # reaches this progress, until the file exists, so that a test can kill it there.
    "JOB_TEST_PAUSE_AT_PROGRESS": None,
    "JOB_TEST_RESUME_FILE": None,
}
# A paused test worker waits at most this long for its file (a bound, not a schedule).
TEST_PAUSE_LIMIT_SECONDS = 600.0


def setting(name: str) -> Any:
    return current_app.config.get(name, DEFAULTS[name])


class LeaseLost(Exception):
    """Another worker took the job back (our lease expired): our work must not be recorded."""


class JobFailed(Exception):
    """The work could not be done; the message says why, for the people following the job."""


@dataclass(frozen=True)
class ClaimedJob:
    """A job in a worker's hands. Plain values: read on the claim's own connection."""

    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int
    token: str


@dataclass(frozen=True)
class JobKind:
    """What the worker does with the jobs of one kind.

    ``execute`` does the work in ``db.session`` without committing (the worker commits it with
    the job's outcome) and returns a short message; it raises :class:`JobFailed` when the work
    cannot be done. ``abandon`` records on the job's subject, in ``db.session`` too, that the
    work will not be done (the job failed, or its worker died too many times).
    """

    execute: Callable[[ClaimedJob], str]
    abandon: Callable[[ClaimedJob, str], None]


def job_kinds() -> dict[str, JobKind]:
    from stagebourse.services import matching_jobs

    return {matching_jobs.KIND: matching_jobs.JOB_KIND}


# Recording --------------------------------------------------------------------------------


def enqueue(kind: str, payload: dict[str, Any], subject: Any = None,
            message: str | None = None) -> Job:
    """Add a queued job to the current transaction (the caller's commit point commits it)."""
    job = Job(kind=kind, payload=payload, state=JobState.QUEUED, attempts=0,
              max_attempts=int(setting("JOB_MAX_ATTEMPTS")), progress=0, message=message,
              subject_type=type(subject).__name__ if subject is not None else None,
              subject_id=subject.id if subject is not None else None)
    db.session.add(job)
    db.session.flush()
    return job


def latest_job(subject: Any, kind: str | None = None) -> Job | None:
    """The most recent job about ``subject`` (read-only), for the page that follows it."""
    query = select(Job).where(Job.subject_type == type(subject).__name__,
                              Job.subject_id == subject.id)
    if kind is not None:
        query = query.where(Job.kind == kind)
    return db.session.scalars(query.order_by(Job.id.desc()).limit(1)).first()


# Claiming ---------------------------------------------------------------------------------


def _lease_until(now: dt.datetime) -> dt.datetime:
    return now + dt.timedelta(seconds=float(setting("JOB_LEASE_SECONDS")))


def _lease_expired(now: dt.datetime) -> ColumnElement[bool]:
    return and_(Job.state == JobState.RUNNING, Job.lease_until < now)


def _claim_one(worker_id: str, claimable: ColumnElement[bool],
               values: dict[str, Any]) -> ClaimedJob | None:
    now = utcnow()
    token = claim_token(worker_id)
    with side_write() as session:
        session.execute(claim_statement(
            Job, claimable=claimable, order_by=(Job.created_at, Job.id), limit=1,
            values={"state": JobState.RUNNING, "lease_owner": token,
                    "lease_until": _lease_until(now), **values},
            dialect=session.get_bind().dialect.name))
        row = session.execute(
            select(Job.id, Job.kind, Job.payload, Job.attempts, Job.max_attempts)
            .where(Job.lease_owner == token, Job.state == JobState.RUNNING)).first()
    if row is None:
        return None
    return ClaimedJob(id=row.id, kind=row.kind, payload=dict(row.payload or {}),
                      attempts=row.attempts, max_attempts=row.max_attempts, token=token)


def claim(worker_id: str) -> ClaimedJob | None:
    """Claim the oldest job that is queued, or whose worker died (its lease expired) and that
    has attempts left; a claim counts as an attempt. Committed at once."""
    now = utcnow()
    claimable = or_(Job.state == JobState.QUEUED,
                    and_(_lease_expired(now), Job.attempts < Job.max_attempts))
    return _claim_one(worker_id, claimable, {
        "attempts": Job.attempts + 1, "started_at": now, "finished_at": None, "error": None})


def claim_exhausted(worker_id: str) -> ClaimedJob | None:
    """Claim, in order to give it up, a job whose worker died and that has no attempt left.

    Claimed like any job (so that two workers never give up the same job twice); the caller
    records the failure with :func:`mark_failed` and the kind's ``abandon``.
    """
    return _claim_one(worker_id, and_(_lease_expired(utcnow()),
                                      Job.attempts >= Job.max_attempts), {})


def report_progress(job: ClaimedJob, percent: int, message: str) -> bool:
    """Write the progress and renew the lease, committed at once. False if the lease was lost
    (another worker took the job back): the caller's outcome will then be refused."""
    with side_write() as session:
        result = session.execute(
            update(Job)
            .where(Job.id == job.id, Job.lease_owner == job.token, Job.state == JobState.RUNNING)
            .values(progress=max(0, min(100, percent)), message=message[:2000],
                    lease_until=_lease_until(utcnow())))
    held: bool = getattr(result, "rowcount", 0) == 1
    if not held:
        log.warning("job %s: lease %s lost at %s %%", job.id, job.token, percent)
    _pause_for_fault_tests(percent)
    return held


def _pause_for_fault_tests(percent: int) -> None:
    """Hold a test worker at a known step (bounded polling for a file): the fault tests kill
    it there. Inert unless STAGEBOURSE_ENV is "test" and the pause settings are given."""
    if current_app.config.get("STAGEBOURSE_ENV") != "test":
        return
    pause_at, resume_file = setting("JOB_TEST_PAUSE_AT_PROGRESS"), setting("JOB_TEST_RESUME_FILE")
    if pause_at is None or not resume_file or percent < int(pause_at):
        return
    resume = Path(resume_file)
    deadline = time.monotonic() + TEST_PAUSE_LIMIT_SECONDS
    while not resume.exists() and time.monotonic() < deadline:
        time.sleep(0.05)


# Outcomes (in the worker's unit of work) --------------------------------------------------


def _record_outcome(job: ClaimedJob, **values: Any) -> None:
    result = db.session.execute(
        update(Job)
        .where(Job.id == job.id, Job.lease_owner == job.token, Job.state == JobState.RUNNING)
        .values(lease_until=None, finished_at=utcnow(), **values)
        .execution_options(synchronize_session=False))
    if getattr(result, "rowcount", 0) != 1:
        raise LeaseLost(f"job {job.id}: lease {job.token} lost before its outcome was recorded")


def mark_done(job: ClaimedJob, message: str) -> None:
    """Record success in the current transaction, with the job's results. Raises
    :class:`LeaseLost` if another worker took the job back: the caller rolls back."""
    _record_outcome(job, state=JobState.DONE, progress=100, message=message[:2000], error=None)


def mark_failed(job: ClaimedJob, error: str) -> None:
    """Record failure in the current transaction. Raises :class:`LeaseLost` like
    :func:`mark_done`."""
    _record_outcome(job, state=JobState.FAILED, error=error[:2000])


def exhausted_message(job: ClaimedJob) -> str:
    """Why a job whose worker died at every attempt is given up, for the people following it."""
    return str(_l("Interrompu : le service de calcul s'est arrêté pendant ce travail à chacune "
                  "des %(n)s tentatives. Relancez-le ; si cela se répète, prévenez "
                  "l'administrateur.", n=job.attempts))
