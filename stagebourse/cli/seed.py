"""``stagebourse seed …``: reference data and the demo campaign."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from stagebourse.cli.demo import summary_lines
from stagebourse.services import ServiceError, offer_index
from stagebourse.services.demo import seed_demo
from stagebourse.services.reference import load_reference
from stagebourse.transactions import in_unit_of_work


@click.group("seed")
def seed_group() -> None:
    """Charger les données de référence ou de démonstration."""


@seed_group.command("reference")
@with_appcontext
@in_unit_of_work
def seed_reference() -> None:
    """Charger communes, établissements et secteurs depuis seed/ (relançable sans effet)."""
    reports = load_reference()
    for report in reports:
        for line in report.lines():
            click.echo(line)
    if any(report.errors for report in reports):
        click.echo("Des lignes ont été rejetées : corrigez-les dans seed/ puis relancez.", err=True)
        sys.exit(1)


@seed_group.command("demo")
@with_appcontext
@in_unit_of_work
def seed_demo_command() -> None:
    """Créer la campagne de démonstration (refusé en production)."""
    if current_app.config["STAGEBOURSE_ENV"] == "production":
        raise click.ClickException(
            "Les comptes de démonstration sont interdits en production (STAGEBOURSE_ENV)."
        )
    try:
        summary = seed_demo()
    except ServiceError as error:
        raise click.ClickException(str(error)) from None
    for line in summary_lines(summary):
        click.echo(line)


@seed_group.command("offer-index")
@with_appcontext
@in_unit_of_work
def seed_offer_index() -> None:
    """Reconstruire l'index des offres (distances, places par semaine) depuis les offres."""
    distances, summaries = offer_index.rebuild()
    click.echo(f"{distances} distances, {summaries} lignes de places par semaine.")
