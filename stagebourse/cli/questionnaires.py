"""``stagebourse questionnaires invite|remind|redact|mix``."""

from __future__ import annotations

import datetime as dt
import sys
from typing import TYPE_CHECKING

import click
from flask.cli import with_appcontext

from stagebourse.transactions import in_unit_of_work

if TYPE_CHECKING:
    from stagebourse.models import Campaign


def _campaign(campaign_id: int) -> Campaign:
    from stagebourse.extensions import db
    from stagebourse.models import Campaign

    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        click.echo(f"Aucune campagne n° {campaign_id}.", err=True)
        sys.exit(2)
    return campaign


@click.group("questionnaires")
def questionnaires_group() -> None:
    """Questionnaires anonymes de retour de stage."""


@questionnaires_group.command("invite")
@click.option("--campaign", "campaign_id", type=int, required=True, help="N° de la campagne.")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Date de référence (AAAA-MM-JJ), par défaut aujourd'hui.")
@with_appcontext
@in_unit_of_work
def invite_command(campaign_id: int, today: dt.datetime | None) -> None:
    """Envoyer les codes aux élèves et tuteurs dont le stage est fini (relançable)."""
    from stagebourse.services import ServiceError
    from stagebourse.services.questionnaires import invite

    try:
        summary = invite(None, _campaign(campaign_id), today.date() if today else None)
    except ServiceError as error:
        click.echo(str(error), err=True)
        sys.exit(1)
    click.echo(f"{summary.pupils_by_email} élève(s) invité(s) par courriel, "
               f"{summary.pupils_for_class_sheet} code(s) à imprimer par les professeurs, "
               f"{summary.tutors} tuteur(s) invité(s).")


@questionnaires_group.command("remind")
@click.option("--campaign", "campaign_id", type=int, required=True, help="N° de la campagne.")
@click.option("--days", type=click.IntRange(1, 90), default=7, show_default=True,
              help="Relancer les invitations envoyées depuis au moins ce nombre de jours.")
@with_appcontext
@in_unit_of_work
def remind_command(campaign_id: int, days: int) -> None:
    """Rappeler une fois ceux qui ont reçu leur code par courriel (relançable)."""
    from stagebourse.services.questionnaires import send_reminders

    click.echo(f"{send_reminders(None, _campaign(campaign_id), days)} rappel(s) mis en file.")


@questionnaires_group.command("redact")
@with_appcontext
@in_unit_of_work
def redact_command() -> None:
    """Effacer les codes des courriels d'invitation déjà envoyés (à lancer chaque jour)."""
    from stagebourse.services.questionnaires import redact_sent_codes

    click.echo(f"{redact_sent_codes()} courriel(s) expurgé(s).")


@questionnaires_group.command("mix")
@click.option("--campaign", "campaign_id", type=int, default=None,
              help="N° de la campagne (par défaut : tous les questionnaires qui ont reçu des "
                   "réponses depuis le dernier mélange).")
@with_appcontext
@in_unit_of_work
def mix_command(campaign_id: int | None) -> None:
    """Réécrire les réponses dans un ordre au hasard, en une transaction (avant toute
    publication ; le worker le fait chaque heure)."""
    from stagebourse.services.questionnaires import mix_responses, mix_unmixed_responses

    if campaign_id is None:
        click.echo(f"{mix_unmixed_responses()} questionnaire(s) mélangé(s).")
    else:
        click.echo(f"{mix_responses(_campaign(campaign_id))} réponse(s) mélangée(s).")
