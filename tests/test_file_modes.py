"""Files that hold personal data are readable by the service's account only, whatever the
umask of the process that writes them: the SQLite database (and its write-ahead log), the
instance folder and its secret key, the files kept between an import's preview and its
confirmation, and every other private upload."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from stagebourse.extensions import db
from stagebourse.web import create_app


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def permissive_umask():
    """The usual default (0644 files, 0755 folders): the code must not rely on a strict one."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def test_a_fresh_instance_is_private(tmp_path, monkeypatch, permissive_umask):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("PRIVATE_FILES_DIR", raising=False)
    monkeypatch.setenv("STAGEBOURSE_ENV", "development")
    instance = tmp_path / "deploy" / "instance"
    app = create_app({"TESTING": True}, instance_path=str(instance))
    database = instance / "stagebourse.sqlite3"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{database}"
    with app.app_context():
        with db.engine.begin() as connection:  # the first connection, in WAL mode
            connection.execute(sa.text("CREATE TABLE t (x TEXT)"))
            connection.execute(sa.text("INSERT INTO t VALUES ('élève')"))
            from stagebourse.services.materials import _store_attachment
            from stagebourse.services.offer_import import store_upload

            structure = SimpleNamespace(id=7)  # store_upload needs only its id
            token = store_upload(structure, b"reference;titre\r\n")  # type: ignore[arg-type]
            attachment = _store_attachment("fiche", b"%PDF-1.4 fiche")
        # While a connection is open, the write-ahead log exists: SQLite gives it the mode of
        # the database file.
        wal = instance / "stagebourse.sqlite3-wal"
        assert wal.exists() and mode(wal) == 0o600
        db.engine.dispose()
    assert mode(instance) == 0o700
    assert mode(instance / "secret_key") == 0o600
    assert mode(database) == 0o600
    staged = instance / "offer_imports" / "7" / f"{token}.csv"
    assert staged.read_bytes() == b"reference;titre\r\n"
    assert mode(staged) == 0o600
    assert mode(staged.parent) == 0o700 and mode(staged.parent.parent) == 0o700
    attached = next(instance.rglob(attachment))
    assert mode(attached) == 0o600 and mode(attached.parent) == 0o700
    # Nothing in the instance folder is readable by another account.
    loose = [str(p) for p in instance.rglob("*") if mode(p) & 0o077]
    assert loose == []


def test_an_existing_open_database_file_is_narrowed(tmp_path, monkeypatch, permissive_umask):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    database = tmp_path / "data" / "base.sqlite3"
    database.parent.mkdir()
    database.write_bytes(b"")
    os.chmod(database, 0o644)
    create_app({"TESTING": True, "SECRET_KEY": "x" * 48,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}"},
               instance_path=str(instance))
    assert mode(database) == 0o600
    assert mode(instance) == 0o700
