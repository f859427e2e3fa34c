"""Shared fixtures: the app on a real database, personas per role, factories.

The database is a temporary SQLite file by default (foreign keys on), or the PostgreSQL
database named by TEST_DATABASE_URL. The schema is created once per session; every test starts
from the reference data only.
"""

from __future__ import annotations

import datetime as dt
import html
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, g
from flask.testing import FlaskClient

from stagebourse.config import normalise_database_url
from stagebourse.extensions import db
from stagebourse.models import Base, Role, School, User
from stagebourse.services.accounts import hash_password, set_access_code
from stagebourse.services.reference import load_reference
from stagebourse.web import create_app

TEST_PASSWORD = "correct horse battery"
# argon2 at full strength makes every sign-in cost ~50 ms; hash once per session.
_PASSWORD_HASH: str | None = None


def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")


@pytest.fixture(scope="session")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return database_url(tmp_path_factory)


def make_config(url: str, instance: Path) -> dict[str, object]:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production-0123456789",
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(url),
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": "stagebourse.test",
        "PUBLIC_URL": "http://stagebourse.test",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": 2525,
        "LOGIN_MAX_FAILURES": 10,
        # Uploaded files (Charter evidence, CSV awaiting confirmation) stay out of the repo.
        "PRIVATE_FILES_DIR": str(instance / "private"),
    }


@pytest.fixture(scope="session")
def _schema(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    engine = sa.create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    if engine.dialect.name == "postgresql":
        assert os.environ.get("TEST_DATABASE_URL"), "PostgreSQL only through TEST_DATABASE_URL"
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    engine.dispose()
    yield


class IsolatedClient(FlaskClient):
    """A test client whose requests never see another client's signed-in user.

    The ``app`` fixture keeps one application context open for the whole test (so tests can use
    ``db.session``), requests reuse it, and Flask-Login caches the user in ``g``; without this,
    a second client would act as whoever the first one signed in as.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        g.pop("_login_user", None)
        return super().open(*args, **kwargs)


@pytest.fixture
def app(db_url: str, _schema: None, tmp_path: Path) -> Iterator[Flask]:
    os.environ.setdefault("STAGEBOURSE_ENV", "test")
    application = create_app(make_config(db_url, tmp_path))
    application.test_client_class = IsolatedClient
    with application.app_context():
        _empty_database()
        load_reference()
        yield application
        db.session.remove()
        _empty_database()
        db.engine.dispose()


def _empty_database() -> None:
    db.session.rollback()
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(t.name for t in Base.metadata.sorted_tables)
            connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(Base.metadata.sorted_tables):
                connection.execute(table.delete())


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


# Personas --------------------------------------------------------------------------------

def _password_hash() -> str:
    global _PASSWORD_HASH
    if _PASSWORD_HASH is None:
        _PASSWORD_HASH = hash_password(TEST_PASSWORD)
    return _PASSWORD_HASH


def first_school(kind: str = "college", index: int = 0) -> School:
    schools = db.session.scalars(
        sa.select(School).where(School.kind == kind).order_by(School.uai)
    ).all()
    return schools[index]


def make_user(role: Role, email: str | None = None, **fields: object) -> User:
    user = User(
        role=role,
        email=email,
        display_name=fields.pop("display_name", f"Test {role.value}"),
        password_hash=_password_hash() if email else None,
        **fields,
    )
    db.session.add(user)
    db.session.commit()
    return user


def make_pupil_user(school: School | None = None, code: str = "TEST-CODE-0001",
                    **fields: object) -> User:
    from stagebourse.models import Level, Pupil

    school = school or first_school()
    pupil = Pupil(
        school=school, class_name=fields.pop("class_name", "3A"),
        level=fields.pop("level", Level.TROISIEME),
        first_name=fields.pop("first_name", "Lina"), last_name=fields.pop("last_name", "Essai"),
        birth_date=fields.pop("birth_date", dt.date(2012, 3, 4)), **fields,
    )
    user = User(role=Role.PUPIL, display_name=pupil.first_name, pupil=pupil, school=school)
    set_access_code(user, code)
    db.session.add_all([pupil, user])
    db.session.commit()
    return user


def make_company(**fields: object):  # noqa: ANN201 - returns a Company
    from stagebourse.models import Company, CompanyKind, CompanyState, Tutor

    company = Company(
        siret=fields.pop("siret", "73282932000074"), name=fields.pop("name", "Atelier Test"),
        kind=CompanyKind.COMPANY, address="1 rue de l'Essai", postcode="59300",
        commune_code="59606", contact_name="Camille Contact",
        contact_email="contact@atelier-test.fr", state=fields.pop("state", CompanyState.VALIDATED),
        **fields,
    )
    company.tutors.append(Tutor(full_name="Théo Tuteur", job_title="Chef d'atelier",
                                email="tuteur@atelier-test.fr"))
    db.session.add(company)
    db.session.commit()
    return company


@pytest.fixture
def personas(app: Flask) -> dict[str, User]:
    """One signed-up user per role (passwords: TEST_PASSWORD; pupil code: TEST-CODE-0001)."""
    company = make_company()
    return {
        "steering": make_user(Role.STEERING, "pilotage@test.fr"),
        "teacher": make_user(Role.TEACHER, "prof@test.fr", school=first_school(),
                             validated_at=dt.datetime.now(dt.UTC)),
        "company": make_user(Role.COMPANY, "membre@atelier-test.fr", company=company),
        "tutor": make_user(Role.TUTOR, "tuteur@atelier-test.fr", tutor=company.tutors[0]),
        "pupil": make_pupil_user(),
    }


def login_as(client: FlaskClient, user: User) -> None:
    """Sign in through the real sign-in form (password or access code)."""
    if user.role == Role.PUPIL:
        response = client.post("/connexion/eleve", data={"code": "TEST-CODE-0001"})
    else:
        response = client.post("/connexion", data={"email": user.email,
                                                   "password": TEST_PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)


def page_text(response) -> str:  # noqa: ANN001 - a test response
    """The response body with HTML entities decoded, for assertions on French text."""
    return html.unescape(response.get_data(as_text=True))
