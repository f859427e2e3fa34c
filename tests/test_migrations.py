"""Migrations take an empty database to head, and the models agree with head; a database
populated at the frozen baseline revision upgrades to head with its rows intact."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from stagebourse.config import normalise_database_url
from stagebourse.extensions import db
from stagebourse.models import (
    Agreement,
    AgreementState,
    Assignment,
    AssignmentState,
    Base,
    Campaign,
    JournalEntry,
    MatchingRun,
    Offer,
    OutboxMessage,
    OutboxState,
    Pupil,
    QuestionnaireResponse,
    Request,
    RequestState,
    Role,
)
from stagebourse.models.offer_index import in_schema_comparison
from stagebourse.web import create_app
from tests.fixtures.app import make_config

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"

# The baseline: the schema as first deployed. Every later schema change is a new revision on top
# of it, never an edit or a regeneration of it (see migrations/README).
BASELINE = "cc96be274e84"
BASELINE_FILE = MIGRATIONS / "versions" / "20261128_cc96be274e84_initial_schema.py"
# A database deployed and stamped at this revision never runs its upgrade() again, so a change to
# this file would never reach it and its schema would silently differ from a fresh install's.
# Do not update this digest: put the change in a new revision (`stagebourse db migrate`).
BASELINE_SHA256 = "a729951cd051b95b164562cf5a973d81b7993d9ff34aaf16e20f807eb6b6be29"


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
        context = MigrationContext.configure(connection, opts={
            "compare_type": True,
            # The full-text indexes, each engine's own and no metadata: SQLite's virtual
            # FTS5 table and its shadow tables (no metadata can hold them), PostgreSQL's GIN
            # index on an expression (which SQLite could not compare).
            "include_object": in_schema_comparison(connection.dialect.name)})
        differences = compare_metadata(context, Base.metadata)
        tables = set(sa.inspect(connection).get_table_names())
    assert differences == [], f"models and migrations disagree: {differences}"
    assert set(Base.metadata.tables) <= tables
    downgrade(revision="base")
    with db.engine.connect() as connection:
        assert set(sa.inspect(connection).get_table_names()) <= {"alembic_version"}


def test_every_revision_file_is_date_prefixed():
    versions = MIGRATIONS / "versions"
    files = sorted(p.name for p in versions.glob("*.py"))
    assert files, "no migration"
    for name in files:
        assert name[:8].isdigit() and name[8] == "_", name


def test_the_baseline_revision_is_frozen():
    digest = hashlib.sha256(BASELINE_FILE.read_bytes()).hexdigest()
    assert digest == BASELINE_SHA256, (
        f"{BASELINE_FILE.name} changed: a database already at {BASELINE} would never see the "
        "change. Restore the file and put the change in a new revision on top of it.")


def test_every_revision_descends_from_the_baseline():
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    scripts = ScriptDirectory.from_config(config)
    assert scripts.get_bases() == [BASELINE], "a second initial revision: build on the baseline"
    assert len(scripts.get_heads()) == 1, "several heads: merge them (`stagebourse db merge`)"


def test_a_populated_baseline_database_upgrades_to_head(empty_database_url: str, tmp_path: Path):
    app = create_app(make_config(empty_database_url, tmp_path))
    with app.app_context():
        try:
            upgrade(revision=BASELINE)
            with db.engine.begin() as connection:
                ids = populate_baseline(connection)
                counts = row_counts(connection)
            upgrade()
            with db.engine.connect() as connection:
                assert row_counts(connection) == counts
            check_rows_through_the_models(ids)
            db.session.remove()  # no open transaction may hold locks during the downgrade
            downgrade(revision=BASELINE)
            with db.engine.connect() as connection:
                assert MigrationContext.configure(connection).get_current_revision() == BASELINE
                assert row_counts(connection) == counts
                if connection.dialect.name == "sqlite":  # off while migrating, then back on
                    assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
        finally:
            db.session.remove()
            db.engine.dispose()  # also when an assertion fails: no connection left open


def populate_baseline(connection: sa.Connection) -> dict[str, int | str]:
    """One row or two in most tables of the baseline, written against the baseline's own
    tables as reflected from the database (not the models, which follow head), linked by
    foreign keys the way the application links them. Returns the new rows' keys by table."""
    tables = sa.MetaData()
    tables.reflect(connection)
    now = dt.datetime(2026, 11, 28, 9, 30)  # the baseline stores naive UTC

    def insert(table: str, **values: object) -> int:
        result = connection.execute(tables.tables[table].insert().values(**values))
        return int(result.inserted_primary_key[0])

    ids: dict[str, int | str] = {}
    connection.execute(tables.tables["communes"].insert().values(
        code_insee="93066", name="Saint-Denis", postcodes="93200 93210", population=113_000,
        lat=48.9362, lon=2.3574, in_agglomeration=True))
    ids["commune"] = "93066"
    connection.execute(tables.tables["sectors"].insert().values(
        code="sante", label="Santé", position=1))
    ids["sector"] = "sante"
    ids["school"] = insert(
        "schools", uai="0930001A", kind="college", name="Collège Garcia Lorca", is_public=True,
        commune_code="93066", town="Saint-Denis", priority="REP+", lat=48.93, lon=2.36,
        default_max_km=10)
    ids["campaign"] = insert(
        "campaigns", year=2027, level="3e", name="Stages de 3e 2027", state="published",
        requests_deadline=dt.date(2027, 1, 15), confirmation_deadline=dt.date(2027, 2, 1),
        created_at=now)
    ids["campaign_school_week"] = insert(
        "campaign_school_weeks", campaign_id=ids["campaign"], school_id=ids["school"],
        week="2027-W10")
    ids["company"] = insert(
        "companies", siret="73282932000074", name="Pharmacie du Canal", kind="company",
        address="1 quai du Canal", postcode="93200", commune_code="93066",
        contact_name="Nadia Benali", contact_email="contact@pharmacie.example",
        charter_status="verified", charter_signed_on=dt.date(2026, 9, 1), state="validated",
        created_at=now, validated_at=now)
    ids["tutor"] = insert(
        "tutors", company_id=ids["company"], full_name="Paul Martin", job_title="Pharmacien",
        email="paul.martin@pharmacie.example")
    ids["offer"] = insert(
        "offers", company_id=ids["company"], sector_code="sante", title="Découvrir l'officine",
        description="Une semaine au comptoir et au préparatoire.", address="1 quai du Canal",
        commune_code="93066", lat=48.935, lon=2.358, for_3e=True, for_2de=False, min_age=14,
        accessible=True, schedule={"monday": "9h-12h 14h-17h"}, safety_attested=True,
        tutor_id=ids["tutor"], state="published", external_ref="PH-1", created_at=now,
        updated_at=now)
    ids["offer_week"] = insert(
        "offer_weeks", offer_id=ids["offer"], campaign_id=ids["campaign"], week="2027-W10",
        seats=2)
    ids["steering_user"] = insert(
        "users", role="steering", email="pilotage@ville.example", display_name="Pilotage",
        password_hash="scrypt:not-a-real-hash", is_active=True, created_at=now)
    ids["pupil"] = insert(
        "pupils", school_id=ids["school"], class_name="3e B", level="3e", first_name="Inès",
        last_name="Haddad", birth_date=dt.date(2012, 4, 3), gender="F", qpv_resident=True,
        home_commune_code="93066", needs_accessible=False, guardian_email="famille@example.org",
        consent_on=dt.date(2026, 10, 2), consent_method="paper", created_at=now, version=1)
    ids["pupil_user"] = insert(
        "users", role="pupil", display_name="Inès H.", access_code_hash="a" * 64,
        pupil_id=ids["pupil"], is_active=True, created_at=now)
    ids["request"] = insert(
        "requests", campaign_id=ids["campaign"], pupil_id=ids["pupil"], state="confirmed",
        has_network=False, confirmed_at=now, updated_at=now, updated_by_id=ids["pupil_user"])
    ids["offer_wish"] = insert("wishes", request_id=ids["request"], rank=1, offer_id=ids["offer"])
    ids["sector_wish"] = insert("wishes", request_id=ids["request"], rank=2, sector_code="sante")
    ids["run"] = insert(
        "matching_runs", campaign_id=ids["campaign"], round_number=1, mechanism="optimal",
        state="published", params={"rank_costs": [0, 1, 2, 3, 4], "km_cost": 0.1}, seed=20270115,
        instance_sha256="b" * 64, solver="HiGHS", objective=0.0, pupil_count=1, placed_count=1,
        progress=100, pseudonyms={"p1": ids["pupil"]}, stats={"placed": 1},
        created_by_id=ids["steering_user"], created_at=now, finished_at=now, published_at=now,
        published_by_id=ids["steering_user"])
    ids["assignment"] = insert(
        "assignments", run_id=ids["run"], pupil_id=ids["pupil"], offer_id=ids["offer"],
        week="2027-W10", rank=1, distance_km=0.4, cost=0.04, state="confirmed", decided_at=now,
        pupil_confirmed_at=now, company_confirmed_at=now)
    ids["agreement"] = insert(
        "agreements", assignment_id=ids["assignment"], school_id=ids["school"],
        company_id=ids["company"], campaign_id=ids["campaign"], first_day=dt.date(2027, 3, 8),
        state="to_sign", version=1, content={"pupil": {"first_name": "Inès"}},
        content_sha256="c" * 64, created_at=now, sent_at=now)
    ids["outbox_message"] = insert(
        "outbox_messages", idempotency_key="agreement-to-sign-1", recipient="famille@example.org",
        subject="Convention de stage à signer", body_text="Bonjour,", template="agreement_sign",
        state="pending", attempts=0, next_attempt_at=now, created_at=now)
    ids["journal_entry"] = insert(
        "journal_entries", at=now, actor_id=ids["steering_user"],
        actor_label="pilotage@ville.example", action="run.published", subject_type="run",
        subject_id=str(ids["run"]), details={"placed": 1})
    ids["questionnaire"] = insert(
        "questionnaires", campaign_id=ids["campaign"], respondent="pupil", version=1,
        title="Ton stage", questions=[{"id": "q1", "kind": "scale", "text": "Satisfait ?"}],
        state="in_use", created_at=now)
    connection.execute(tables.tables["questionnaire_responses"].insert().values(
        id="d" * 32, questionnaire_id=ids["questionnaire"], level="3e", school_kind="college",
        answered_week=dt.date(2027, 3, 15), answers={"q1": 4}))
    ids["questionnaire_response"] = "d" * 32
    return ids


def row_counts(connection: sa.Connection) -> dict[str, int]:
    """How many rows each populated baseline table holds."""
    names = ["communes", "sectors", "schools", "campaigns", "campaign_school_weeks", "companies",
             "tutors", "offers", "offer_weeks", "users", "pupils", "requests", "wishes",
             "matching_runs", "assignments", "agreements", "outbox_messages", "journal_entries",
             "questionnaires", "questionnaire_responses"]
    return {name: connection.execute(
        sa.select(sa.func.count()).select_from(sa.table(name))).scalar_one() for name in names}


def check_rows_through_the_models(ids: dict[str, int | str]) -> None:
    """The rows written at the baseline are read back at head through the ORM, relationships
    and typed columns (enums, JSON, UTC timestamps) included."""
    pupil = db.session.get(Pupil, ids["pupil"])
    assert pupil is not None
    assert (pupil.last_name, pupil.school.uai) == ("Haddad", "0930001A")
    assert pupil.home_commune is not None and pupil.home_commune.name == "Saint-Denis"
    assert pupil.user is not None and pupil.user.role == Role.PUPIL

    request = db.session.get(Request, ids["request"])
    assert request is not None and request.pupil is pupil
    assert request.state == RequestState.CONFIRMED
    assert [(w.rank, w.offer_id, w.sector_code) for w in request.wishes] == [
        (1, ids["offer"], None), (2, None, "sante")]

    offer = db.session.get(Offer, ids["offer"])
    assert offer is not None
    assert (offer.company.name, offer.sector.label) == ("Pharmacie du Canal", "Santé")
    assert offer.tutor is not None and offer.tutor.full_name == "Paul Martin"
    assert [(w.week, w.seats, w.campaign_id) for w in offer.weeks] == [
        ("2027-W10", 2, ids["campaign"])]
    assert offer.schedule == {"monday": "9h-12h 14h-17h"}
    assert offer.created_at == dt.datetime(2026, 11, 28, 9, 30, tzinfo=dt.UTC)

    campaign = db.session.get(Campaign, ids["campaign"])
    assert campaign is not None
    assert [w.school.uai for w in campaign.school_weeks] == ["0930001A"]

    run = db.session.get(MatchingRun, ids["run"])
    assert run is not None and run.campaign is campaign
    assert [(a.pupil, a.offer) for a in run.assignments] == [(pupil, offer)]
    assert run.params["rank_costs"] == [0, 1, 2, 3, 4]
    assignment = db.session.get(Assignment, ids["assignment"])
    assert assignment is not None and assignment.state == AssignmentState.CONFIRMED

    agreement = db.session.get(Agreement, ids["agreement"])
    assert agreement is not None
    assert (agreement.assignment, agreement.school) == (assignment, pupil.school)
    assert agreement.state == AgreementState.TO_SIGN
    assert agreement.content == {"pupil": {"first_name": "Inès"}}

    message = db.session.get(OutboxMessage, ids["outbox_message"])
    assert message is not None and message.state == OutboxState.PENDING
    entry = db.session.get(JournalEntry, ids["journal_entry"])
    assert entry is not None
    assert (entry.actor_id, entry.action, entry.details) == (
        ids["steering_user"], "run.published", {"placed": 1})
    answer = db.session.get(QuestionnaireResponse, ids["questionnaire_response"])
    assert answer is not None and answer.answers == {"q1": 4}
    assert answer.answered_week == dt.date(2027, 3, 15)
