"""Imports cannot exhaust the server: a file is bounded in bytes and rows before it is parsed,
a structure not yet validated cannot send one, and a file kept between preview and
confirmation lives an hour at most, within a quota per structure."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from stagebourse.extensions import db
from stagebourse.models import CompanyState, Offer, Role
from stagebourse.services import ServiceError
from stagebourse.services.csv_input import read_upload
from stagebourse.services.offer_import import preview_import, purge_staged_uploads, run_import
from tests.factories import first_school, make_campaign, make_company, make_user
from tests.offer_csv import offer_row, offers_csv
from tests.personas import login_as, page_text
from tests.roster_csv import class_rows, roster_csv

TEN_MB = 10 * 1024 * 1024


def staged_files(app: Flask) -> list[Path]:
    root = Path(app.config["PRIVATE_FILES_DIR"]) / "offer_imports"
    return sorted(root.rglob("*")) if root.exists() else []


def offer_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Offer)) or 0


def post_offers(client: FlaskClient, content: bytes):
    """The multipart body written out (the test client would spool a large one to a file)."""
    body = (b'--LIMITE\r\nContent-Disposition: form-data; name="file"; filename="offres.csv"'
            b"\r\nContent-Type: text/csv\r\n\r\n" + content + b"\r\n--LIMITE--\r\n")
    return client.post("/structure/offres/import", data=body,
                       content_type="multipart/form-data; boundary=LIMITE")


@pytest.fixture
def company_client(app: Flask, client: FlaskClient) -> FlaskClient:
    make_campaign([first_school()])
    member = make_user(Role.COMPANY, "membre@atelier-test.fr", company=make_company())
    login_as(client, member)
    return client


# Size ---------------------------------------------------------------------------------------

def test_a_ten_megabyte_file_is_refused_before_it_is_read(app, company_client):
    # A CSV that would otherwise be parsed: valid header, then 10 MB of rows.
    header = offers_csv([offer_row(1)]).encode()
    content = header + b"x;" * ((TEN_MB - len(header)) // 2)
    response = post_offers(company_client, content)
    assert response.status_code == 413
    text = page_text(response)
    assert "Le fichier dépasse 2 Mo, la taille maximale d'un import" in text
    assert "découpez le fichier" in text
    assert staged_files(app) == [] and offer_count() == 0


def test_a_file_just_over_the_limit_is_refused_on_the_page_with_what_to_do(app, company_client):
    app.config["IMPORT_MAX_BYTES"] = 4096
    rows = [offer_row(n) for n in range(1, 40)]  # ~20 KB: inside the request envelope
    content = offers_csv(rows).encode()
    assert 4096 < len(content) < 64 * 1024
    response = post_offers(company_client, content)
    assert response.status_code == 200
    assert "Le fichier dépasse 4 Ko, la taille maximale d'un import. Découpez-le" in page_text(
        response)
    assert staged_files(app) == []


class EndlessUpload(io.RawIOBase):
    """A body that never ends (a chunked upload with no Content-Length): counts what is read."""

    def __init__(self) -> None:
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        size = len(buffer)
        buffer[:size] = b"a" * size
        self.read_bytes += size
        return size


def test_reading_an_endless_upload_stops_one_byte_past_the_limit(app):
    stream = EndlessUpload()
    with pytest.raises(ServiceError, match="dépasse 1 Mo"):
        read_upload(stream, 1024 * 1024)
    assert stream.read_bytes == 1024 * 1024 + 1


def test_the_service_refuses_bytes_above_the_limit_even_without_the_web_layer(app):
    make_campaign([first_school()])
    company = make_company()
    app.config["IMPORT_MAX_BYTES"] = 1000
    with pytest.raises(ServiceError, match="dépasse 1 Ko"):
        preview_import(company, offers_csv([offer_row(n) for n in range(1, 5)]).encode())


# Rows ---------------------------------------------------------------------------------------

def test_row_limit_comes_from_the_settings_and_parsing_stops_there(app):
    make_campaign([first_school()])
    company = make_company()
    app.config["IMPORT_MAX_ROWS"] = 5
    five = offers_csv([offer_row(n) for n in range(1, 6)])
    assert preview_import(company, five.encode()).total == 5
    # Six rows, then a record the csv module refuses to read (a 200 KB cell, above its field
    # limit): the reader stops at the sixth row, so the limit is what is reported.
    unreadable = "SITE-999;" + "x" * 200_000 + "\r\n"
    six = offers_csv([offer_row(n) for n in range(1, 7)]) + unreadable
    with pytest.raises(ServiceError, match="plus de 5 lignes : le maximum est 5"):
        preview_import(company, six.encode())
    # The same broken record within the limit is reported as such: the reader did get there.
    with pytest.raises(ServiceError, match="mal formé"):
        preview_import(company, (offers_csv([offer_row(n) for n in range(1, 5)])
                                 + unreadable).encode())


def test_roster_row_limit_follows_the_setting(app, client):
    import datetime as dt

    app.config["IMPORT_MAX_ROWS"] = 10
    teacher = make_user(Role.TEACHER, "prof@college-test.fr", school=first_school(),
                        validated_at=dt.datetime.now(dt.UTC))
    login_as(client, teacher)
    response = client.post("/professeur/import", data={
        "file": (io.BytesIO(roster_csv(class_rows(11)).encode()), "classe.csv"), "level": "3e"},
        content_type="multipart/form-data")
    assert "11 lignes d'élèves ; la limite est de 10 par fichier" in page_text(response)


# A structure not yet validated -------------------------------------------------------------

def test_a_structure_not_validated_cannot_import_and_is_told_why(app, client):
    # A pending structure's member signs in and is told; a suspended structure's member cannot
    # sign in at all (its people lose access), and the service refuses it too (below).
    make_campaign([first_school()])
    company = make_company(state=CompanyState.PENDING)
    member = make_user(Role.COMPANY, "membre@atelier-test.fr", company=company)
    login_as(client, member)
    page = page_text(client.get("/structure/offres/import"))
    assert "réservé aux structures validées par le groupe de pilotage" in page
    assert 'type="file"' not in page
    response = post_offers(client, offers_csv([offer_row(1)]).encode())
    assert "réservé aux structures validées" in page_text(response)
    assert staged_files(app) == [] and offer_count() == 0
    with pytest.raises(ServiceError, match="réservé aux structures validées"):
        preview_import(company, offers_csv([offer_row(1)]).encode())
    company.state = CompanyState.SUSPENDED
    with pytest.raises(ServiceError, match="réservé aux structures validées"):
        preview_import(company, offers_csv([offer_row(1)]).encode())


def test_a_structure_suspended_after_its_preview_cannot_confirm_it(app):
    make_campaign([first_school()])
    company = make_company()
    member = make_user(Role.COMPANY, "membre@atelier-test.fr", company=company)
    preview = preview_import(company, offers_csv([offer_row(1)]).encode())
    company.state = CompanyState.SUSPENDED
    # Refused as the member of a closed structure (the policy), before the import's own check.
    with pytest.raises(ServiceError):
        run_import(member, company, preview.token, only_valid=False)
    assert offer_count() == 0


# Staged files --------------------------------------------------------------------------------

def age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_a_staged_file_expires_after_an_hour_and_the_purge_removes_it(app):
    make_campaign([first_school()])
    company = make_company()
    member = make_user(Role.COMPANY, "membre@atelier-test.fr", company=company)
    old = preview_import(company, offers_csv([offer_row(1)]).encode())
    fresh = preview_import(company, offers_csv([offer_row(2)]).encode())
    old_file = next(p for p in staged_files(app) if p.stem == old.token)
    fresh_file = next(p for p in staged_files(app) if p.stem == fresh.token)
    age(old_file, 3601)
    age(fresh_file, 3500)
    with pytest.raises(ServiceError, match="plus disponible"):
        run_import(member, company, old.token, only_valid=False)
    assert purge_staged_uploads() == 1
    assert not old_file.exists() and fresh_file.exists()
    assert run_import(member, company, fresh.token, only_valid=False).created == 1


def test_the_purge_command_and_the_worker_clean_expired_staged_files(app):
    from stagebourse.cli.worker import _periodic_jobs

    make_campaign([first_school()])
    company = make_company()
    preview_import(company, offers_csv([offer_row(1)]).encode())
    (path,) = [p for p in staged_files(app) if p.is_file()]
    age(path, 7200)
    dry = app.test_cli_runner().invoke(args=["purge"])
    assert "Fichiers d'import non confirmés, échus : 1" in dry.output and path.exists()
    jobs = {name: job for name, _every, job in _periodic_jobs()}
    assert jobs["fichiers d'import en attente"]() == 1
    assert not path.exists()
    assert staged_files(app) == []  # the structure's empty folder too


def test_staged_files_of_a_structure_stay_within_its_quota(app):
    make_campaign([first_school()])
    company = make_company()
    member = make_user(Role.COMPANY, "membre@atelier-test.fr", company=company)
    data = offers_csv([offer_row(n) for n in range(1, 11)]).encode()
    app.config["IMPORT_STAGED_QUOTA_BYTES"] = 3 * len(data) + 10
    tokens = []
    for _ in range(6):
        tokens.append(preview_import(company, data).token)
        files = [p for p in staged_files(app) if p.is_file()]
        assert sum(p.stat().st_size for p in files) <= 3 * len(data) + 10
        # Same second, same mtime possible: make the order of the previews unambiguous.
        for index, path in enumerate(sorted(files, key=lambda p: tokens.index(p.stem))):
            age(path, 100 - index)
    # The three newest remain; an older one must be sent again.
    assert {p.stem for p in staged_files(app) if p.is_file()} == set(tokens[-3:])
    with pytest.raises(ServiceError, match="plus disponible"):
        run_import(member, company, tokens[0], only_valid=False)
    assert run_import(member, company, tokens[-1], only_valid=False).created == 10


def test_one_structure_filling_its_quota_leaves_another_structure_s_files(app):
    make_campaign([first_school()])
    first, second = make_company(), make_company(siret="35600000000048", name="Autre")
    data = offers_csv([offer_row(1)]).encode()
    app.config["IMPORT_STAGED_QUOTA_BYTES"] = len(data)
    kept = preview_import(second, data).token
    for _ in range(4):
        preview_import(first, data)
    assert kept in {p.stem for p in staged_files(app)}
