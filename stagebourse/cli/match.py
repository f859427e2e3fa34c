"""``stagebourse match …``: matching rounds of a campaign from the command line."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import Role, User
from stagebourse.services import ServiceError, campaigns, matching
from stagebourse.transactions import in_unit_of_work


@click.group("match")
def match_group() -> None:
    """Tours d'affectation d'une campagne (essais, publication, export anonyme)."""


def _steering_actor(email: str | None) -> User | None:
    if email is None:
        return None
    user = db.session.scalar(select(User).where(User.email == email,
                                                User.role == Role.STEERING))
    if user is None:
        raise click.ClickException(f"Aucun compte du groupe de pilotage pour {email}.")
    return user


@match_group.command("run")
@click.option("--campaign", "campaign_id", type=int, required=True, help="Identifiant.")
@click.option("--dry-run", is_flag=True, help="Calculer un essai sans le publier.")
@click.option("--seed", type=int, default=None, help="Graine du tirage (tirée sinon).")
@click.option("--round", "round_number", type=click.IntRange(min=1), default=1,
              help="1 : premier tour ; 2, 3… : élèves sans place, sur les places restantes "
                   "(le tour qui suit le dernier tour publié).")
@click.option("--km-cost", type=float, default=None, help="Coût par kilomètre.")
@click.option("--allow-unranked", is_flag=True, help="Autoriser une offre hors des vœux.")
@click.option("--as", "actor_email", default=None,
              help="Courriel du membre du groupe de pilotage (obligatoire pour publier).")
@with_appcontext
@in_unit_of_work
def run_command(campaign_id: int, dry_run: bool, seed: int | None, round_number: int,
                km_cost: float | None, allow_unranked: bool, actor_email: str | None) -> None:
    """Calculer un tour : instance anonyme, affectation optimale, contre-factuels, audit."""
    campaign = campaigns.get_campaign(campaign_id)
    if campaign is None:
        raise click.ClickException(f"Campagne {campaign_id} inconnue.")
    actor = _steering_actor(actor_email)
    if not dry_run and actor is None:
        raise click.ClickException("Publier engage quelqu'un : indiquez --as COURRIEL, ou "
                                   "ajoutez --dry-run pour un essai.")
    options = matching.RunOptions(seed=seed, round_number=round_number,
                                  allow_unranked=allow_unranked)
    if km_cost is not None:
        options.km_cost = km_cost
    with click.progressbar(length=100, label="Calcul", show_percent=True) as bar:
        done = 0

        def progress(percent: int, message: str) -> None:
            nonlocal done
            bar.label = message
            bar.update(percent - done)
            done = percent

        try:
            run = matching.run_round(actor, campaign, options, progress)
        except ServiceError as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"Essai {run.id} : {run.state.value} — {run.message}")
    click.echo(f"Graine {run.seed}, empreinte {run.instance_sha256}, solveur {run.solver}")
    summary = matching.summarize(run)
    if summary is not None:
        for mechanism in ("optimal", "fcfs", "network-first"):
            s = matching.summarize(run, mechanism)
            assert s is not None
            click.echo(f"  {mechanism:14s} placés {s.placed}/{s.pupils}  vœu 1 "
                       f"{100 * (s.wish1_share or 0):.1f} %  rang moyen "
                       f"{s.mean_rank or 0:.2f}  km moyen {s.mean_km or 0:.1f}")
    if run.state.value != "done":
        raise click.ClickException("Le calcul n'a pas abouti : " + (run.message or ""))
    if not dry_run:
        assert actor is not None
        try:
            matching.publish(actor, run)
        except ServiceError as error:
            raise click.ClickException(str(error)) from None
        click.echo(f"Essai {run.id} publié ; courriels mis en file d'attente.")


@match_group.command("export")
@click.argument("run_id", type=int)
@click.option("-o", "--output", "directory", type=click.Path(file_okay=False, path_type=Path),
              default=Path("."), help="Dossier de sortie.")
@click.option("--recipient", required=True,
              help="À qui les fichiers sont remis (inscrit au journal).")
@click.option("--purpose", required=True,
              help="Pour quoi faire (inscrit au journal).")
@with_appcontext
@in_unit_of_work
def export_command(run_id: int, directory: Path, recipient: str, purpose: str) -> None:
    """Écrire l'instance et le résultat d'un tour (vérifiables par « stagebourse matching
    verify ») : données personnelles pseudonymisées, pas anonymes ; l'export est journalisé."""
    run = matching.get_run(run_id)
    if run is None:
        raise click.ClickException(f"Tour {run_id} inconnu.")
    try:
        paths = matching.export_files(None, run, directory, recipient, purpose)
    except ServiceError as error:
        raise click.ClickException(str(error)) from None
    for path in paths:
        click.echo(str(path))
    click.echo(f"Vérifier : stagebourse matching verify {paths[0]} {paths[1]}")
