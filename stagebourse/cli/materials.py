"""``stagebourse seed materials`` and ``stagebourse remind tutors``."""

from __future__ import annotations

import datetime as dt
import sys

import click
from flask.cli import with_appcontext

from stagebourse.cli.seed import seed_group


@seed_group.command("materials")
@with_appcontext
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
def remind_tutors(today: dt.datetime | None) -> None:
    """Rappeler aux tuteurs qui n'ont pas confirmé leur lecture de le faire avant le stage."""
    from stagebourse.services.preparation import send_due_reminders

    count = send_due_reminders(today.date() if today else None)
    click.echo(f"{count} rappel(s) mis en file d'envoi.")
