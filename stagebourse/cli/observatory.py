"""``stagebourse observatory close|release``: the observatory's frozen releases."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from stagebourse.cli.questionnaires import _campaign
from stagebourse.transactions import in_unit_of_work


@click.group("observatory")
def observatory_group() -> None:
    """Publications figées de l'observatoire (docs/privacy.md)."""


@observatory_group.command("close")
@click.option("--campaign", "campaign_id", type=int, required=True, help="N° de la campagne.")
@with_appcontext
@in_unit_of_work
def close_command(campaign_id: int) -> None:
    """Clôturer le questionnaire des élèves d'une campagne."""
    from stagebourse.services import ServiceError, observatory

    try:
        questionnaire = observatory.close_questionnaire(None, _campaign(campaign_id))
    except ServiceError as error:
        click.echo(str(error), err=True)
        sys.exit(1)
    click.echo(f"Questionnaire des élèves clôturé (version {questionnaire.version}).")


@observatory_group.command("release")
@click.option("--campaign", "campaign_id", type=int, default=None,
              help="N° de la campagne (questionnaire clôturé).")
@click.option("--year", type=int, default=None,
              help="Année du rapport annuel (chaque campagne de l'année déjà publiée).")
@with_appcontext
@in_unit_of_work
def release_command(campaign_id: int | None, year: int | None) -> None:
    """Calculer une publication, une seule fois : d'une campagne ou le rapport annuel."""
    from stagebourse.services import ServiceError, observatory

    if (campaign_id is None) == (year is None):
        click.echo("Indiquez soit --campaign, soit --year.", err=True)
        sys.exit(2)
    try:
        release = (observatory.compute_campaign_release(None, _campaign(campaign_id))
                   if campaign_id is not None
                   else observatory.compute_annual_release(None, year or 0))
    except ServiceError as error:
        click.echo(str(error), err=True)
        sys.exit(1)
    click.echo(f"Publication n° {release.id} ({release.scope}) enregistrée.")
