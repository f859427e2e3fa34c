"""Migrations take an empty database to head, and the models agree with head."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from stagebourse.config import normalise_database_url
from stagebourse.extensions import db
from stagebourse.models import Base
from stagebourse.web import create_app
from tests.fixtures.app import make_config


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    """A brand-new empty database: a SQLite file, or a fresh schema on PostgreSQL."""
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        yield "sqlite:///" + str(tmp_path / "empty.sqlite3")
        return
    schema = f"mig_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(normalise_database_url(server))
    with admin.begin() as connection:
        connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in server else "?"
    yield f"{server}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def test_upgrade_from_empty_to_head_matches_the_models(empty_database_url: str, tmp_path: Path):
    app = create_app(make_config(empty_database_url, tmp_path))
    with app.app_context():
        try:
            check_upgrade_and_downgrade()
        finally:
            db.engine.dispose()  # also when an assertion fails: no connection left open


def check_upgrade_and_downgrade() -> None:
    upgrade()
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
        tables = set(sa.inspect(connection).get_table_names())
    assert differences == [], f"models and migrations disagree: {differences}"
    assert set(Base.metadata.tables) <= tables
    downgrade(revision="base")
    with db.engine.connect() as connection:
        assert set(sa.inspect(connection).get_table_names()) <= {"alembic_version"}


def test_every_revision_file_is_date_prefixed():
    versions = Path(__file__).resolve().parents[1] / "migrations" / "versions"
    files = sorted(p.name for p in versions.glob("*.py"))
    assert files, "no migration"
    for name in files:
        assert name[:8].isdigit() and name[8] == "_", name
