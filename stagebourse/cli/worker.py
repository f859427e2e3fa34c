"""``stagebourse worker``: do the queued jobs (matching runs...) and deliver the outbox, in one
loop, or ``--once`` from cron. Periodic jobs of the loop: tutors' reminders, mixing of the
questionnaire responses, the one reminder to the Charter signatories invited to register.

Each job is one unit of work, committed here once with its outcome (or rolled back whole):
the worker is its own commit point. Claims and progress are committed apart by the job queue
(:mod:`stagebourse.services.jobs`), so that the pages polling a job see them at once.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType

import click
from flask.cli import with_appcontext

from stagebourse.extensions import db
from stagebourse.services import jobs
from stagebourse.services.jobs import ClaimedJob, JobKind
from stagebourse.services.outbox import DeliveryReport, deliver_due
from stagebourse.transactions import unit_of_work

log = logging.getLogger(__name__)

# Periodic jobs the loop runs besides delivery: (name, every N seconds, job). Each job is
# idempotent (its mail goes through the outbox keys), so running it twice is harmless.
PeriodicJob = tuple[str, float, Callable[[], object]]


def _periodic_jobs() -> list[PeriodicJob]:
    from stagebourse.services.consent import send_consent_reminders
    from stagebourse.services.offer_import import purge_staged_uploads
    from stagebourse.services.outreach import send_signatory_reminders
    from stagebourse.services.preparation import send_due_reminders
    from stagebourse.services.questionnaires import mix_unmixed_responses

    return [("rappels tuteurs", 3600.0, send_due_reminders),
            # Import files whose preview was never confirmed: gone within the hour's margin.
            ("fichiers d'import en attente", 600.0, purge_staged_uploads),
            ("rappels consentements", 3600.0, send_consent_reminders),
            ("relances signataires de la Charte", 3600.0, send_signatory_reminders),
            # Answers since the last mixing are in the order they came: mix them hourly, so
            # that a release (which requires mixed rows) rarely has to wait for it.
            ("mélange des réponses", 3600.0, mix_unmixed_responses)]


# Queued jobs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobReport:
    job_id: int
    kind: str
    outcome: str  # "done", "failed", "given up" (its worker died too often), "lost" (lease)
    message: str


def run_next_job(worker_id: str) -> JobReport | None:
    """Claim one job and do it, as one transaction committed here. None if nothing is due.

    A job whose worker died at every attempt is given up first (its subject marked failed,
    journaled); then the oldest due job is done. Only this function commits the work of a job.
    """
    kinds = jobs.job_kinds()
    exhausted = jobs.claim_exhausted(worker_id)
    if exhausted is not None:
        return _record_failure(exhausted, kinds.get(exhausted.kind),
                               jobs.exhausted_message(exhausted), "given up")
    job = jobs.claim(worker_id)
    if job is None:
        return None
    kind = kinds.get(job.kind)
    try:
        with unit_of_work():
            if kind is None:
                raise jobs.JobFailed(f"unknown job kind {job.kind!r}")
            message = kind.execute(job)
            jobs.mark_done(job, message)
    except jobs.LeaseLost as error:
        return JobReport(job.id, job.kind, "lost", str(error))
    except Exception as error:  # noqa: BLE001 - every failure is recorded on the job
        if isinstance(error, jobs.JobFailed):
            reason = str(error)
        else:
            log.exception("job %s (%s) failed", job.id, job.kind)
            reason = f"{type(error).__name__}: {error}"
        return _record_failure(job, kind, reason, "failed")
    return JobReport(job.id, job.kind, "done", message)


def _record_failure(job: ClaimedJob, kind: JobKind | None, reason: str,
                    outcome: str) -> JobReport:
    try:
        with unit_of_work():
            if kind is not None:
                kind.abandon(job, reason)
            jobs.mark_failed(job, reason)
    except jobs.LeaseLost as error:
        return JobReport(job.id, job.kind, "lost", str(error))
    return JobReport(job.id, job.kind, outcome, reason)


def run_due_jobs(worker_id: str, stop: threading.Event | None = None) -> list[JobReport]:
    """Do jobs until none is due (or a stop is asked: the job in hand is finished first)."""
    reports: list[JobReport] = []
    while stop is None or not stop.is_set():
        report = run_next_job(worker_id)
        if report is None:
            break
        _echo_job(report)
        reports.append(report)
    return reports


def _echo_job(report: JobReport) -> None:
    click.echo(f"Travail {report.job_id} ({report.kind}) : {report.outcome} — "
               f"{report.message[:300]}", err=report.outcome != "done")


# The loop -----------------------------------------------------------------------------------


def _echo_report(report: DeliveryReport) -> None:
    if report.handled:
        click.echo(
            f"Envoyés : {report.sent}, à réessayer : {report.retried}, "
            f"en échec définitif : {report.failed}, remis en file : {report.released}."
        )
    for error in report.errors[:5]:
        click.echo(f"  {error}", err=True)


@click.command("worker")
@click.option("--once", is_flag=True,
              help="Faire les travaux en attente et envoyer ce qui est dû, puis s'arrêter "
                   "(pour cron).")
@click.option("--poll", default=5.0, show_default=True, type=float,
              help="Secondes d'attente quand il n'y a rien à faire.")
@click.option("--jobs-only", is_flag=True,
              help="Faire seulement les travaux longs (calculs d'affectation), sans envoyer "
                   "d'e-mails ni de rappels (démonstration sans serveur SMTP).")
@with_appcontext
def worker_command(once: bool, poll: float, jobs_only: bool) -> None:
    """Faire les travaux longs en attente (calculs d'affectation) et envoyer les e-mails de la
    file d'attente (outbox)."""
    worker_id = f"{socket.gethostname()}:{os.getpid()}"
    if once:
        done = run_due_jobs(worker_id)
        if jobs_only:
            return
        with unit_of_work():
            report = deliver_due(worker_id)
        _echo_report(report)
        if not report.handled and not done:
            click.echo("Aucun travail en attente, aucun e-mail à envoyer.")
        return

    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        # Finish the job or the message in hand, record it, then leave: nothing stays half-done.
        click.echo("Arrêt demandé : fin du travail en cours…")
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    click.echo(f"Worker {worker_id} démarré (Ctrl-C ou SIGTERM pour arrêter).")
    last_run: dict[str, float] = {}
    while not stop.is_set():
        for name, every, job in [] if jobs_only else _periodic_jobs():
            if time.monotonic() - last_run.get(name, -every) >= every:
                last_run[name] = time.monotonic()
                try:
                    with unit_of_work():  # each job commits, or writes nothing
                        job()
                except Exception as error:  # noqa: BLE001 - one failing job must not stop mail
                    click.echo(f"Tâche « {name} » en erreur : {error!r}", err=True)
        try:
            done = run_due_jobs(worker_id, stop)
        except Exception as error:  # noqa: BLE001 - e.g. the database restarting: wait, retry
            db.session.rollback()
            click.echo(f"Travaux interrompus : {error!r} ; nouvel essai dans {poll:g} s.",
                       err=True)
            done = []
        db.session.remove()
        report = DeliveryReport()
        if not jobs_only:
            try:
                # Each claim and each outcome commits at once (side_write in services.outbox).
                with unit_of_work():
                    report = deliver_due(worker_id, max_batches=20)
            except Exception as error:  # noqa: BLE001 - e.g. the database restarting
                db.session.rollback()
                click.echo(f"Envoi interrompu : {error!r} ; nouvel essai dans {poll:g} s.",
                           err=True)
            _echo_report(report)
            db.session.remove()
        if report.sent == 0 and not done:
            stop.wait(poll)
    click.echo("Worker arrêté.")
