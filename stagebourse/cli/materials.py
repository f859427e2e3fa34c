"""``stagebourse seed materials`` and ``stagebourse remind tutors``."""

from __future__ import annotations

import datetime as dt
import sys

import click
from flask.cli import with_appcontext

from stagebourse.cli.seed import seed_group
from stagebourse.transactions import in_unit_of_work


@seed_group.command("materials")
@with_appcontext
@in_unit_of_work
def seed_materials() -> None:
    """Charger les supports de sensibilisation de seed/materials/ (relançable sans effet)."""
    from stagebourse.services.materials import load_materials

    report = load_materials()
    for line in report.lines():
        click.echo(line)
    if report.errors:
        click.echo("Corrigez les fichiers en erreur dans seed/materials/ puis relancez.", err=True)
        sys.exit(1)


@click.group("remind")
def remind_group() -> None:
    """Envoyer les rappels prévus (relançable : un rappel n'est jamais mis en file deux fois)."""


@remind_group.command("tutors")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Date de référence (AAAA-MM-JJ), par défaut aujourd'hui.")
@with_appcontext
@in_unit_of_work
def remind_tutors(today: dt.datetime | None) -> None:
    """Rappeler aux tuteurs qui n'ont pas confirmé leur lecture de le faire avant le stage."""
    from stagebourse.services.preparation import send_due_reminders

    count = send_due_reminders(today.date() if today else None)
    click.echo(f"{count} rappel(s) mis en file d'envoi.")


@click.command("prepare")
@click.argument("run_id", type=int)
@with_appcontext
@in_unit_of_work
def prepare_command(run_id: int) -> None:
    """Mettre en file les documents de préparation d'un tour publié (tuteurs, familles,
    professeurs). Relançable : rien n'est envoyé deux fois."""
    from stagebourse.extensions import db
    from stagebourse.models import MatchingRun
    from stagebourse.services import ServiceError
    from stagebourse.services.preparation import prepare_tutors

    run = db.session.get(MatchingRun, run_id)
    if run is None:
        raise click.ClickException(f"Aucun tour d'affectation n° {run_id}.")
    try:
        summary = prepare_tutors(None, run)
    except ServiceError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Tour {run_id} : {summary.tutors} tuteur(s), {summary.guardians} famille(s), "
               f"{summary.teachers} professeur(s) concernés ; les messages déjà en file ne "
               "sont pas dupliqués.")
