"""Matching runs as jobs: the steering page queues a run, ``stagebourse worker`` computes it.

The run (state ``queued``, seed drawn) and its job are recorded in the request; the web process
never solves. The worker computes the run with :func:`matching.execute_run` as one unit of
work: the run and its assignments are written together, with the job's outcome. Meanwhile the
progress goes on the job, committed apart (which also renews the lease), and the page reads it
there (:func:`progress_of`).

A worker killed mid-run leaves the run as it was queued and its job leased: after the lease
another worker takes the job back, journals the resumption, then computes it again: nothing of
the earlier attempt is left to undo, since a run is written only with its result.

To give the same result, the second attempt must build the same instance:
same data, same seed (stored on the run at creation) and the same pseudonyms. Pseudonyms are
therefore not drawn from ``secrets`` here but from a keyed draw (:func:`pseudonym_draw`):
HMAC-SHA256 of the server's secret key over the campaign, the round and the seed. Without the
secret key they are as unpredictable as random ones; with it, the same round with the same
seed always gets the same pseudonyms, so two runs with the same seed differ only by their
parameters, and a run taken back gives the result the first attempt would have given.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
from dataclasses import dataclass

from flask import current_app

from stagebourse.extensions import db
from stagebourse.models import Campaign, JobState, MatchingRun, RunState, User, utcnow
from stagebourse.services import jobs, journal, matching
from stagebourse.services.jobs import ClaimedJob, JobFailed, JobKind
from stagebourse.services.journal import Event
from stagebourse.services.matching import PseudonymDraw, RunOptions

KIND = "matching_run"
UNFINISHED = (RunState.QUEUED, RunState.RUNNING)


def start_run(actor: User, campaign: Campaign, options: RunOptions) -> MatchingRun:
    """Record a queued run and the job that will compute it; the worker does the rest."""
    run = matching.create_run(actor, campaign, options)
    jobs.enqueue(KIND, {"run_id": run.id}, subject=run)
    return run


@dataclass(frozen=True)
class Progress:
    percent: int
    message: str
    waiting: bool  # no worker has taken the run yet


def progress_of(run: MatchingRun) -> Progress:
    """What the progress page shows: the job's report while the run is being computed (the run
    itself is written only with its result), the run's own once it is finished."""
    if run.state not in UNFINISHED:
        return Progress(run.progress, run.message or "", waiting=False)
    job = jobs.latest_job(run, KIND)
    if job is None or job.state == JobState.QUEUED:
        return Progress(0, "", waiting=True)
    return Progress(job.progress, job.message or "", waiting=False)


def pseudonym_draw(run: MatchingRun) -> PseudonymDraw:
    """The run's pseudonyms, ``p`` + 12 hex digits, the same at every attempt (module doc)."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    key = hmac.new(secret, f"matching-pseudonyms:{run.campaign_id}:{run.round_number}:"
                           f"{run.seed}".encode(), hashlib.sha256).digest()
    counter = itertools.count()

    def draw() -> str:
        return "p" + hmac.new(key, str(next(counter)).encode(), hashlib.sha256).hexdigest()[:12]

    return draw


def _note_resumption(run: MatchingRun, job: ClaimedJob) -> None:
    """Journal that a run is computed again after its worker died. Nothing of the earlier
    attempt is left to undo: a run is written only with its result, in one transaction."""
    journal.record(None, Event.MATCHING_RUN_RESUMED, run, attempt=job.attempts)


def execute(job: ClaimedJob) -> str:
    """Compute the job's run (the worker commits it with the job's outcome)."""
    run = db.session.get(MatchingRun, int(job.payload["run_id"]))
    if run is None:
        raise JobFailed(f"matching run {job.payload['run_id']} not found")
    if run.state not in UNFINISHED:
        # An earlier attempt committed its result and died before recording the outcome.
        return f"run {run.id} already {run.state.value}"
    if job.attempts > 1:
        _note_resumption(run, job)

    def progress(percent: int, message: str) -> None:
        # The end is recorded with the job's outcome, in the worker's transaction: a report
        # from another connection would wait for that transaction's writes on SQLite.
        if percent < 100:
            jobs.report_progress(job, percent, message)

    run = matching.execute_run(run, progress, draw_pseudonym=pseudonym_draw(run))
    if run.state != RunState.DONE:
        raise JobFailed(run.message or f"run {run.id} {run.state.value}")
    return run.message or ""


def abandon(job: ClaimedJob, reason: str) -> None:
    """The job will not be done: a run still waiting for it is marked failed, journaled."""
    run = db.session.get(MatchingRun, int(job.payload["run_id"]))
    if run is None or run.state not in UNFINISHED:
        return
    run.state = RunState.FAILED
    run.progress = 100
    run.message = reason[:2000]
    run.finished_at = utcnow()
    journal.record(None, Event.MATCHING_RUN_INTERRUPTED, run, campaign=run.campaign_id,
                   attempts=job.attempts)


JOB_KIND = JobKind(execute=execute, abandon=abandon)
