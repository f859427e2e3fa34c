"""Help for victims of discrimination (plan, fiche 6): a public page linked from every page's
footer and the pupil's menu, a local directory kept as a CSV in the repository, and « Être
rappelé·e »: a request that keeps only what the person typed, reaches the steering group's
referent by real SMTP, is deleted after CALLBACK_RETENTION_DAYS, and leaves the observatory
only a count per month and need."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import func, select

from stagebourse import clock
from stagebourse.extensions import db
from stagebourse.models import Base, CallbackCount, CallbackRequest, OutboxMessage
from stagebourse.services import ServiceError
from stagebourse.services.help import parse_contacts
from stagebourse.services.outbox import deliver_due
from stagebourse.services.retention import plan_purge, purge
from tests.personas import login_as, page_text
from tests.smtp_server import LoopbackSmtp

# A call-back request is counted by the shared throttle, which writes on a connection of its own
# (a refused request still counts): the tests commit for real.
pytestmark = pytest.mark.committing

REFERENT = "referente-aide@pilotage.test"
HEADER = "who,for_what,address,hours,phone,web,source,date_checked\n"


def _footer(response: Any) -> str:
    body = response.get_data(as_text=True)
    return body.split('<footer class="site-footer"', 1)[1].split("</footer>", 1)[0]


def test_every_page_links_to_help_in_its_footer_and_the_pupil_menu(
        client: FlaskClient, personas: dict[str, Any], app: Flask):
    for path in ("/", "/connexion", "/observatoire"):
        assert 'href="/aide"' in _footer(client.get(path)), path
    login_as(client, personas["pupil"])
    pupil_page = client.get("/eleve/")
    assert 'href="/aide"' in _footer(pupil_page)
    menu = pupil_page.get_data(as_text=True).split('class="main-nav"', 1)[1].split("</nav>")[0]
    assert 'href="/aide"' in menu
    teacher = app.test_client()
    login_as(teacher, personas["teacher"])
    assert 'href="/aide"' in _footer(teacher.get("/professeur/"))


def test_the_old_address_leads_to_the_help_page(client: FlaskClient):
    response = client.get("/questionnaire/aide")
    assert response.status_code in (301, 302)
    assert response.headers["Location"].endswith("/aide")


def test_the_directory_is_the_csv_grouped_by_need_with_tel_links(
        app: Flask, client: FlaskClient, tmp_path: Path):
    directory = tmp_path / "contacts.csv"
    directory.write_text(
        HEADER
        + "Permanence d'essai du quartier,law,\"3 place d'Essai, 59300 Valenciennes\","
          "Mardi 14 h–17 h,+33 3 27 00 00 00,https://essai.example.org/,test,2026-11-30\n"
        + "Ligne d'urgence d'essai,emergency,,24 h/24,115,,test,\n", encoding="utf-8")
    app.config["HELP_CONTACTS_FILE"] = str(directory)
    body = page_text(client.get("/aide"))
    assert "Permanence d'essai du quartier" in body and "Mardi 14 h–17 h" in body
    assert "3 place d'Essai, 59300 Valenciennes" in body
    assert 'href="tel:+33327000000"' in body and 'href="tel:115"' in body
    assert 'href="https://essai.example.org/"' in body
    # Grouped by need, the most urgent first, under a heading of its own.
    urgent = body.index("En danger, tout de suite")
    law = body.index("Connaître tes droits")
    assert urgent < body.index("Ligne d'urgence d'essai") < law
    assert law < body.index("Permanence d'essai du quartier")
    assert "Signaler une discrimination" not in body  # no entry, no empty heading


def test_the_shipped_directory_names_the_national_lines_and_the_local_desks(
        client: FlaskClient):
    body = page_text(client.get("/aide"))
    for number in ("119", "3928", "3919"):
        assert f'href="tel:{number}"' in body
    for words in ("antidiscriminations.fr", "defenseurdesdroits.fr", "CIDFF Nord Valenciennes",
                  "Point-justice", "Pôle Anti-Discrimination du Parquet de Valenciennes",
                  "professeur référent"):
        assert words in body


@pytest.mark.parametrize(("line", "column", "expected"), [
    ("Essai,law,,,06 AB,,test,", "phone", "06 AB"),
    ("Essai,juridique,,,3039,,test,", "for_what", "juridique"),
    ("Essai,law,,,3039,http://essai.example.org/,test,", "web", "https://"),
    ("Essai,law,,,3039,,test,30/11/2026", "date_checked", "30/11/2026"),
    (",law,,,3039,,test,", "who", "obligatoire"),
    ("Essai,law,,,,,test,", "address", "au moins"),
    ("Essai,law,1 rue, Valenciennes,,3039,,test,", "date_checked", "guillemets"),
])
def test_a_wrong_line_is_refused_naming_its_line_and_column(line: str, column: str,
                                                            expected: str):
    good = "Ligne correcte,emergency,,,119,,test,\n"
    with pytest.raises(ServiceError) as refused:
        parse_contacts(HEADER + good + line + "\n")
    message = str(refused.value)
    assert "ligne 3" in message and f"« {column} »" in message and expected in message


def test_a_missing_column_is_named(app: Flask):
    with pytest.raises(ServiceError) as refused:
        parse_contacts("who,for_what,address,hours,phone,web,source\n")
    assert "ligne 1" in str(refused.value) and "« date_checked »" in str(refused.value)


def test_a_broken_directory_still_shows_the_national_numbers(
        app: Flask, client: FlaskClient, tmp_path: Path):
    broken = tmp_path / "contacts.csv"
    broken.write_text(HEADER + "Essai,nowhere,,,119,,test,\n", encoding="utf-8")
    app.config["HELP_CONTACTS_FILE"] = str(broken)
    response = client.get("/aide")
    assert response.status_code == 200
    assert "119" in page_text(response) and "3928" in page_text(response)


def _row_counts() -> dict[str, int]:
    return {table.name: int(db.session.scalar(select(func.count()).select_from(table)) or 0)
            for table in Base.metadata.sorted_tables}


def _csrf(client: FlaskClient) -> str:
    # The tests share one application context: Flask-WTF caches the last token in ``g``,
    # which would hand one client's token to another.
    g.pop("csrf_token", None)
    page = client.get("/aide").get_data(as_text=True)
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert found, "the call-back form carries a CSRF token"
    return found.group(1)


def _ask(client: FlaskClient, **fields: str) -> Any:
    return client.post("/aide/rappel", data={"csrf_token": _csrf(client), **fields})


@pytest.fixture
def referent(app: Flask) -> str:
    app.config.update(HELP_REFERENT_EMAIL=REFERENT, WTF_CSRF_ENABLED=True)
    return REFERENT


@pytest.mark.committing  # the outbox delivers on connections of its own
def test_a_callback_reaches_the_referent_with_only_what_was_typed(
        app: Flask, client: FlaskClient, referent: str, smtp_server: LoopbackSmtp):
    before = _row_counts()
    asked = _ask(client, name="Lou", phone="06 12 34 56 78", email="", topic="discrimination")
    assert asked.status_code == 302
    assert "va te recontacter" in page_text(client.get(asked.headers["Location"]))
    after = _row_counts()
    grown = {name: after[name] - before[name] for name in after if after[name] != before[name]}
    # The request, its monthly count, its e-mail, and the rate limit's counter: nothing else
    # (no journal entry, no account, no questionnaire row).
    assert grown == {"callback_requests": 1, "callback_counts": 1, "outbox_messages": 1,
                     "login_failures": 1}
    row = db.session.scalar(select(CallbackRequest))
    assert (row.name, row.phone, row.email, row.topic) == (
        "Lou", "06 12 34 56 78", None, "discrimination")
    keys = db.session.scalars(sa.text("SELECT key FROM login_failures")).all()
    assert all("127.0.0.1" not in key for key in keys)  # the address is not kept in clear

    assert deliver_due("test").sent == 1
    [mail] = smtp_server.received_by(REFERENT)
    text = mail.get_body(("plain",)).get_content()
    assert "Lou" in text and "06 12 34 56 78" in text
    assert "Prénom ou pseudo : Lou" in text and "E-mail : (non indiqué)" in text
    assert "Une discrimination" in text
    assert "127.0.0.1" not in text and "csrf" not in text.lower()


def test_only_one_way_to_answer_is_required_and_the_form_keeps_what_was_typed(
        app: Flask, client: FlaskClient, referent: str):
    refused = _ask(client, name="Pseudo-Essai")
    assert refused.status_code == 400
    body = page_text(refused)
    assert "au moins un moyen de te joindre" in body
    assert 'value="Pseudo-Essai"' in body
    assert db.session.scalar(select(func.count()).select_from(CallbackRequest)) == 0
    # An e-mail alone, no name, no topic: enough.
    assert _ask(client, email="lou@exemple.fr").status_code == 302
    row = db.session.scalar(select(CallbackRequest))
    assert (row.name, row.phone, row.email, row.topic) == (None, None, "lou@exemple.fr", None)


def test_the_form_refuses_a_post_without_its_csrf_token(app: Flask, client: FlaskClient,
                                                        referent: str):
    response = client.post("/aide/rappel", data={"phone": "0612345678"})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(CallbackRequest)) == 0


def _at(monkeypatch: pytest.MonkeyPatch, instant: dt.datetime) -> None:
    monkeypatch.setattr(clock, "now", lambda: instant)


def test_a_request_is_deleted_after_the_retention_days_with_its_mail(
        app: Flask, client: FlaskClient, referent: str, monkeypatch: pytest.MonkeyPatch):
    app.config["CALLBACK_RETENTION_DAYS"] = 10
    start = dt.datetime(2027, 3, 1, 10, 0, tzinfo=dt.UTC)
    _at(monkeypatch, start)
    assert _ask(client, phone="0612345678", topic="rights").status_code == 302
    db.session.commit()

    _at(monkeypatch, start + dt.timedelta(days=9))
    purge(plan_purge(), apply=True)
    assert db.session.scalar(select(func.count()).select_from(CallbackRequest)) == 1

    _at(monkeypatch, start + dt.timedelta(days=12))
    plan = plan_purge()
    assert plan.callbacks == 1
    purge(plan, apply=True)
    assert db.session.scalar(select(func.count()).select_from(CallbackRequest)) == 0
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.recipient == REFERENT)) == 0
    # The count stays: the observatory's figure outlives the request.
    assert [(c.month, c.topic, c.count) for c in db.session.scalars(select(CallbackCount))] == [
        ("2027-03", "rights", 1)]


def test_the_observatory_gets_counts_per_month_and_need_only(
        app: Flask, client: FlaskClient, referent: str, personas: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch):
    app.config["CALLBACK_RATE_LIMIT"] = 10
    _at(monkeypatch, dt.datetime(2027, 3, 31, 12, 0, tzinfo=dt.UTC))
    for topic in ("discrimination", "discrimination", ""):
        assert _ask(client, phone="0612345678", topic=topic).status_code == 302
    _at(monkeypatch, dt.datetime(2027, 4, 2, 12, 0, tzinfo=dt.UTC))
    assert _ask(client, email="a@exemple.fr", topic="discrimination").status_code == 302
    db.session.commit()
    counts = sorted((c.month, c.topic, c.count) for c in db.session.scalars(select(CallbackCount)))
    assert counts == [("2027-03", "", 1), ("2027-03", "discrimination", 2),
                      ("2027-04", "discrimination", 1)]
    # The table can hold nothing else: no id, no instant, nothing to join on.
    columns = {c.name for c in CallbackCount.__table__.columns}
    assert columns == {"month", "topic", "count"}
    steering = app.test_client()
    app.config["WTF_CSRF_ENABLED"] = False
    login_as(steering, personas["steering"])
    page = page_text(steering.get("/pilotage/observatoire"))
    section = page.split('id="rappels"', 1)[1]
    assert "2027-03" in section and "2027-04" in section and "Non précisé" in section
    assert "0612345678" not in page and "a@exemple.fr" not in page


def test_requests_are_rate_limited_per_address(app: Flask, client: FlaskClient, referent: str):
    app.config["CALLBACK_RATE_LIMIT"] = 2
    for _ in range(2):
        assert _ask(client, phone="0612345678").status_code == 302
    refused = _ask(client, phone="0612345678")
    assert refused.status_code == 400
    assert "Réessaie plus tard" in page_text(refused)
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.44"
    accepted = _ask(other, phone="0612345678")
    assert accepted.status_code == 302, page_text(accepted)[-3000:]
    assert db.session.scalar(select(func.count()).select_from(CallbackRequest)) == 3
