"""``stagebourse demo``: one command from a fresh clone to a running demo on SQLite."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from types import FrameType

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from werkzeug.serving import run_simple

from stagebourse.services.demo import (
    DEMO_ACCOUNTS,
    DEMO_PASSWORD,
    DEMO_PUPIL_CODE,
    DemoSummary,
    demo_exists,
    seed_demo,
)
from stagebourse.services.reference import load_reference
from stagebourse.transactions import unit_of_work

ROLE_LABELS = {
    "steering": "Groupe de pilotage",
    "teacher": "Professeur référent",
    "company": "Structure d'accueil",
    "tutor": "Tuteur",
}


def summary_lines(summary: DemoSummary) -> list[str]:
    """What the demo commands print about the data they created."""
    lines = [f"Démonstration : {summary.companies} structures, {summary.offers} offres, "
             f"{summary.pupils} élèves, {summary.requests} demandes."]
    past = summary.history
    if past is not None:
        lines.append(f"Campagne terminée « {past.campaign} » : {past.pupils} élèves, "
                     f"{past.published} affectations publiées ({past.confirmed} confirmées), "
                     f"{past.pupil_responses} réponses d'élèves et {past.tutor_responses} de "
                     "tuteurs aux questionnaires.")
    return lines


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Préparer la base sans lancer le serveur.")
@with_appcontext
def demo_command(host: str, port: int, no_serve: bool) -> None:
    """Créer et migrer la base, charger la démo et servir l'application."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config["STAGEBOURSE_ENV"] == "production":
        raise click.ClickException("La démonstration est interdite en production.")
    click.echo(f"Base : {app.config['SQLALCHEMY_DATABASE_URI']}")
    # Links in the demo's e-mails, printed slips and QR codes lead to the address served here,
    # unless PUBLIC_URL says otherwise (a demo behind a tunnel, say).
    public_url = os.environ.get("PUBLIC_URL") or served_url(host, port)
    app.config["PUBLIC_URL"] = public_url
    upgrade()
    with unit_of_work():  # committed before the server starts
        for report in load_reference():
            click.echo(report.lines()[0])
        if demo_exists():
            click.echo("Données de démonstration déjà présentes.")
        else:
            summary = seed_demo()
            for line in summary_lines(summary):
                click.echo(line)
    click.echo(f"\nComptes de démonstration (mot de passe « {DEMO_PASSWORD} ») :")
    for role, email in DEMO_ACCOUNTS.items():
        click.echo(f"  {ROLE_LABELS[role.value]:<22} {email}")
    click.echo(f"  {'Élève (code d’accès)':<22} {DEMO_PUPIL_CODE}")
    if no_serve:
        return
    worker = start_worker(public_url)
    click.echo(f"Service de calcul démarré (processus {worker.pid}).")
    click.echo(f"\nOuvrez {public_url}/  (Ctrl+C pour arrêter)")
    # SIGTERM (a service manager, a test) stops the demo like Ctrl+C: the worker stops with it.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        # Not app.run(): Flask ignores it inside its own CLI. The development server is enough
        # for a demo on this machine; production uses gunicorn (README).
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        stop_worker(worker)
        click.echo("Service de calcul arrêté.")


def served_url(host: str, port: int) -> str:
    """The address a browser on this machine uses to reach the demo server."""
    if host in ("0.0.0.0", "::", ""):  # every interface: this machine reaches it on loopback
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def start_worker(public_url: str) -> subprocess.Popen[bytes]:
    """``stagebourse worker`` beside the development server: the web process never computes a
    matching run, the worker does. Jobs only: the demo has no mail server, its outbox stays
    in the steering pages as before. It builds the same links as the server."""
    return subprocess.Popen([sys.executable, "-m", "stagebourse", "worker", "--jobs-only",
                             "--poll", "1"], env={**os.environ, "PUBLIC_URL": public_url})


def stop_worker(worker: subprocess.Popen[bytes]) -> None:
    """SIGTERM: the worker finishes the run in hand, records it, and leaves."""
    if worker.poll() is None:
        worker.terminate()
    try:
        worker.wait(timeout=120)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def _exit_on_signal(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)
