"""The database going away in the middle of a request (a restart, a failover): the visitor
gets the French error page, never gunicorn's bare 500, and the next request starts afresh.

benchmarks/db_restart.py restarts a real PostgreSQL server under load; these tests simulate
the dead connection in the driver, so they run on SQLite too."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select

from stagebourse.extensions import db
from tests.personas import login_as, page_text

# The driver's connection is made to fail: no outer transaction could survive it.
pytestmark = pytest.mark.committing


@pytest.fixture
def dead_connections(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Make every statement and commit (``execute``) or only every rollback fail as on a
    connection the server closed; the driver's own error, so SQLAlchemy handles it as in
    production."""
    dialect = db.engine.dialect

    def fail(*args: Any, **kwargs: Any) -> None:
        raise dialect.loaded_dbapi.OperationalError("server closed the connection unexpectedly")

    def kill(what: str) -> None:
        monkeypatch.setattr(dialect, "is_disconnect", lambda *args, **kwargs: True)
        monkeypatch.setattr(dialect, "do_rollback", fail)
        if what == "execute":
            monkeypatch.setattr(dialect, "do_execute", fail)
            monkeypatch.setattr(dialect, "do_execute_no_params", fail)
            monkeypatch.setattr(dialect, "do_commit", fail)

    return kill


def test_database_gone_gets_the_french_error_page_not_a_bare_500(
        app: Flask, client: FlaskClient, personas, dead_connections):
    login_as(client, personas["pupil"])
    # Errors reach the error handler as in production, instead of propagating to the test.
    app.config["PROPAGATE_EXCEPTIONS"] = False
    db.session.expunge_all()  # who is signed in must come from the database
    dead_connections("execute")
    response = client.get("/eleve/demande")
    assert response.status_code == 500
    page = page_text(response)
    assert "Erreur du service" in page and "vérifiez-la avant de la refaire" in page
    # The page cannot ask the database who is signed in: shown as to a visitor.
    assert "Se déconnecter" not in page


def test_a_failed_rollback_at_the_end_of_a_request_does_not_escape(
        app: Flask, dead_connections, monkeypatch: pytest.MonkeyPatch):
    assert db.session.execute(select(1)).scalar() == 1  # a transaction is open
    dead_connections("rollback")
    app.do_teardown_appcontext()  # what Flask runs when a request ends: must not raise
    assert not db.session.registry.has()
    monkeypatch.undo()  # the database is back: the next request gets a working session
    assert db.session.execute(select(1)).scalar() == 1


def _pupil_signed_in(client: FlaskClient) -> None:
    from tests.factories import UPCOMING_CAMPAIGN, first_school, make_campaign, make_pupil_user

    make_campaign([first_school()], **UPCOMING_CAMPAIGN)
    make_pupil_user(first_school())
    client.post("/connexion/eleve", data={"code": "TEST-CODE-0001"})


def test_a_wish_committed_just_before_the_database_went_away_is_said_added(
        app: Flask, client: FlaskClient, dead_connections, monkeypatch: pytest.MonkeyPatch):
    """The request committed, then the database went away: the pupil is told the truth
    (added), not shown an error page saying it may have failed."""
    from stagebourse.models import Wish

    _pupil_signed_in(client)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    event.listen(db.session(), "after_commit", lambda _session: dead_connections("execute"),
                 once=True)
    response = client.post("/eleve/demande/add-sector", data={"sector_code": "sante"})
    assert response.status_code == 302
    monkeypatch.undo()  # the database is back
    db.session.remove()
    assert "Vœu ajouté" in page_text(client.get("/eleve/demande"))
    assert db.session.scalars(select(Wish.sector_code)).all() == ["sante"]


def test_a_wish_whose_commit_failed_gets_the_error_page_not_added(
        app: Flask, client: FlaskClient, dead_connections, monkeypatch: pytest.MonkeyPatch):
    """The database went away after the wish was written, before the request committed: the
    commit at the end of the request fails, and the pupil gets the French error page, not the
    redirect of a wish said added; the next page does not say so either."""
    from stagebourse.models import Wish
    from stagebourse.services import requests as requests_service

    _pupil_signed_in(client)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    add_wish = requests_service.add_wish

    def add_then_lose_the_database(*args: Any, **kwargs: Any) -> Any:
        request = add_wish(*args, **kwargs)
        dead_connections("execute")
        return request

    monkeypatch.setattr(requests_service, "add_wish", add_then_lose_the_database)
    response = client.post("/eleve/demande/add-sector", data={"sector_code": "sante"})
    assert response.status_code == 500
    page = page_text(response)
    assert "Erreur du service" in page and "Vœu ajouté" not in page
    monkeypatch.undo()  # the database is back
    db.session.remove()
    assert "Vœu ajouté" not in page_text(client.get("/eleve/demande"))
    assert db.session.scalars(select(Wish.sector_code)).all() == []
