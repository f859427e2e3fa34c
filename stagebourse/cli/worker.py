"""``stagebourse worker``: deliver the outbox (a loop, or ``--once`` from cron)."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from types import FrameType

import click
from flask.cli import with_appcontext

from stagebourse.extensions import db
from stagebourse.services.outbox import DeliveryReport, deliver_due
from stagebourse.transactions import unit_of_work

# Periodic jobs the loop runs besides delivery: (name, every N seconds, job). Each job is
# idempotent (its mail goes through the outbox keys), so running it twice is harmless.
PeriodicJob = tuple[str, float, Callable[[], object]]


def _periodic_jobs() -> list[PeriodicJob]:
    from stagebourse.services.matching import fail_interrupted_runs
    from stagebourse.services.preparation import send_due_reminders

    return [("rappels tuteurs", 3600.0, send_due_reminders),
            # A run whose thread died with its server: failed, so that nobody waits for it.
            ("essais interrompus", 300.0, fail_interrupted_runs)]


def _echo_report(report: DeliveryReport) -> None:
    if report.handled:
        click.echo(
            f"Envoyés : {report.sent}, à réessayer : {report.retried}, "
            f"en échec définitif : {report.failed}, remis en file : {report.released}."
        )
    for error in report.errors[:5]:
        click.echo(f"  {error}", err=True)


@click.command("worker")
@click.option("--once", is_flag=True, help="Envoyer ce qui est dû puis s'arrêter (pour cron).")
@click.option("--poll", default=5.0, show_default=True, type=float,
              help="Secondes d'attente quand la file est vide.")
@with_appcontext
def worker_command(once: bool, poll: float) -> None:
    """Envoyer les e-mails de la file d'attente (outbox)."""
    worker_id = f"{socket.gethostname()}:{os.getpid()}"
    if once:
        with unit_of_work():
            report = deliver_due(worker_id)
        _echo_report(report)
        if not report.handled:
            click.echo("Aucun e-mail à envoyer.")
        return

    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        # Finish the message in hand, record it, then leave: nothing stays half-sent.
        click.echo("Arrêt demandé : fin du lot en cours…")
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    click.echo(f"Worker {worker_id} démarré (Ctrl-C ou SIGTERM pour arrêter).")
    last_run: dict[str, float] = {}
    while not stop.is_set():
        for name, every, job in _periodic_jobs():
            if time.monotonic() - last_run.get(name, -every) >= every:
                last_run[name] = time.monotonic()
                try:
                    with unit_of_work():  # each job commits, or writes nothing
                        job()
                except Exception as error:  # noqa: BLE001 - one failing job must not stop mail
                    click.echo(f"Tâche « {name} » en erreur : {error!r}", err=True)
        try:
            # Each claim and each outcome commits at once (side_write in services.outbox).
            with unit_of_work():
                report = deliver_due(worker_id, max_batches=20)
        except Exception as error:  # noqa: BLE001 - e.g. the database restarting: wait, retry
            click.echo(f"Envoi interrompu : {error!r} ; nouvel essai dans {poll:g} s.", err=True)
            report = DeliveryReport()
        _echo_report(report)
        db.session.remove()
        if report.sent == 0:
            stop.wait(poll)
    click.echo("Worker arrêté.")
