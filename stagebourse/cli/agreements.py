"""``stagebourse agreements draft`` and ``stagebourse agreements remind``."""

from __future__ import annotations

import datetime as dt

import click
from flask.cli import with_appcontext

from stagebourse.transactions import in_unit_of_work


@click.group("agreements")
def agreements_group() -> None:
    """Conventions de stage : préparation et rappels (relançable sans effet en double)."""


@agreements_group.command("draft")
@with_appcontext
@in_unit_of_work
def draft_agreements() -> None:
    """Préparer la convention de chaque affectation confirmée qui n'en a pas encore."""
    from stagebourse.services.agreements import draft_missing

    count = draft_missing(None)
    click.echo(f"{count} convention(s) préparée(s).")


@agreements_group.command("remind")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Date de référence (AAAA-MM-JJ), par défaut aujourd'hui.")
@with_appcontext
@in_unit_of_work
def remind_agreements(today: dt.datetime | None) -> None:
    """Rappeler aux parties qui n'ont pas signé leur convention de le faire avant le stage."""
    from stagebourse.services.agreements import send_reminders

    count = send_reminders(today.date() if today else None)
    click.echo(f"{count} rappel(s) mis en file d'envoi.")
