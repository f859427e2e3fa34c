"""``stagebourse purge``: the retention rules, for cron (dry run unless --apply)."""

from __future__ import annotations

import datetime as dt

import click
from flask.cli import with_appcontext

from stagebourse.services.offer_import import purge_staged_uploads
from stagebourse.services.retention import plan_purge, purge
from stagebourse.transactions import in_unit_of_work


@click.command("purge")
@click.option("--apply", "apply_", is_flag=True,
              help="Effacer vraiment (sans cette option : simulation, rien n'est modifié).")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Date de référence (AAAA-MM-JJ), par défaut aujourd'hui.")
@with_appcontext
@in_unit_of_work
def purge_command(apply_: bool, today: dt.datetime | None) -> None:
    """Anonymiser les données échues (élèves : 12 mois, comptes : 24 mois) et effacer les
    fichiers d'import non confirmés."""
    plan = purge(plan_purge(today.date() if today else None), apply=apply_)
    for line in plan.lines():
        click.echo(line)
    staged = purge_staged_uploads(apply=apply_)
    click.echo(f"Fichiers d'import non confirmés, échus : {staged}")
    click.echo("Fait : le journal en garde la trace." if apply_
               else "Simulation : relancez avec --apply pour effacer.")
