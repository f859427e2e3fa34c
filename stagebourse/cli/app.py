"""The ``stagebourse`` command: Flask's CLI plus the project's own commands.

Commands are thin callers of ``services/``, like the web views.
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup


def _create_app() -> Flask:
    from stagebourse.web import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """Bourse de stages de Valenciennes Métropole : administration en ligne de commande."""


def register_commands(app: Flask) -> None:
    # Imported here so that ``python -m stagebourse.cli.matching`` (the engine's stand-alone
    # command for outside auditors) does not import itself twice.
    from stagebourse.cli.agreements import agreements_group
    from stagebourse.cli.demo import demo_command
    from stagebourse.cli.match import match_group
    from stagebourse.cli.matching import matching
    from stagebourse.cli.materials import prepare_command, remind_group
    from stagebourse.cli.observatory import observatory_group
    from stagebourse.cli.purge import purge_command
    from stagebourse.cli.questionnaires import questionnaires_group
    from stagebourse.cli.seed import seed_group
    from stagebourse.cli.worker import worker_command

    for command in (seed_group, demo_command, matching, match_group, worker_command,
                    remind_group, prepare_command, purge_command, questionnaires_group,
                    agreements_group, observatory_group):
        app.cli.add_command(command)
