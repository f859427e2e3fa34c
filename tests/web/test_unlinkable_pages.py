"""What the answer pages give away to whoever holds a code, and to a proxy on the way
(docs/privacy.md, "The code page" and "Logs"), attacked from outside with the test client."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from stagebourse.extensions import db
from stagebourse.models import QuestionnaireInvitation
from stagebourse.services import questionnaires
from tests.scenarios import AFTER, emailed_code, finished_campaign, responses

STATIC = Path(__file__).resolve().parents[2] / "stagebourse" / "web" / "static"
ASSET = re.compile(r'href="(/static/([\w.]+)\?v=([0-9a-f]+))"')


def invited_code() -> str:
    done = finished_campaign(by_email=2, on_paper=0)
    questionnaires.invite(None, done.campaign, AFTER)
    return emailed_code(done.by_email[0].guardian_email)


class StatementCount:
    """How many SQL statements a request runs: the work, hence the timing class, of a path."""

    def __init__(self) -> None:
        self.count = 0

    def __enter__(self) -> StatementCount:
        event.listen(db.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(db.engine, "before_cursor_execute", self._seen)

    def _seen(self, *args: object) -> None:
        self.count += 1


def test_the_code_page_answers_a_used_code_exactly_like_an_unknown_one(client):
    code = invited_code()
    client.post("/questionnaire/reponses", data={"code": code, "matched_wish": "yes"})
    unknown = "QQQQ-QQQQ-QQQQ"
    with StatementCount() as used_work:
        used = client.post("/questionnaire", data={"code": code})
    with StatementCount() as unknown_work:
        made_up = client.post("/questionnaire", data={"code": unknown})
    assert used.status_code == made_up.status_code == 400
    assert (used.get_data(as_text=True).replace(code, "CODE")
            == made_up.get_data(as_text=True).replace(unknown, "CODE"))
    assert dict(used.headers) == dict(made_up.headers)
    assert used_work.count == unknown_work.count


def test_opening_the_questionnaire_consumes_nothing(client):
    code = invited_code()
    for _ in range(3):
        opened = client.post("/questionnaire", data={"code": code})
        assert opened.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(QuestionnaireInvitation)) == 3
    assert client.post("/questionnaire/reponses", data={"code": code}).status_code == 200
    assert len(responses()) == 1


def test_a_code_is_consumed_only_with_a_saved_answer(app, monkeypatch):
    code = invited_code()
    db.session.commit()  # the invitation exists before the answer's transaction

    def storage_fails(*args: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("stagebourse.services.questionnaires.answers._write_response",
                        storage_fails)
    with pytest.raises(RuntimeError):
        questionnaires.submit_answers(code, {"matched_wish": ["yes"]})
    db.session.rollback()  # what the request's commit point does on an error
    monkeypatch.undo()
    questionnaires.open_questionnaire(code)  # still usable
    questionnaires.submit_answers(code, {"matched_wish": ["yes"]})
    assert len(responses()) == 1


@pytest.mark.parametrize("path", ["/questionnaire", "/questionnaire/aide", "/", "/connexion"])
def test_no_page_sends_its_address_onward(client, path):
    assert client.get(path).headers["Referrer-Policy"] == "no-referrer"


def test_the_answer_pages_send_no_referrer(client):
    code = invited_code()
    for response in (client.post("/questionnaire", data={"code": code}),
                     client.post("/questionnaire/reponses", data={"code": code})):
        assert response.status_code == 200
        assert response.headers["Referrer-Policy"] == "no-referrer"


def test_assets_are_fingerprinted_and_cached_so_an_answer_makes_no_asset_request(client):
    code = invited_code()
    first = client.post("/questionnaire", data={"code": code}).get_data(as_text=True)
    second = client.post("/questionnaire/reponses", data={"code": code}).get_data(as_text=True)
    assets = ASSET.findall(first)
    assert {name for _, name, _ in assets} == {"style.css", "print.css"}
    # The same URLs on every page: a browser that loaded them once asks for nothing more.
    assert ASSET.findall(second) == assets
    for url, name, version in assets:
        # The version is the content's hash, computed here independently of the app.
        assert version == hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:12]
        response = client.get(url)
        response.close()
        assert response.status_code == 200
        directives = {d.strip() for d in response.headers["Cache-Control"].split(",")}
        assert {"public", "immutable", "max-age=31536000"} <= directives


def test_an_old_or_missing_version_is_not_cached_for_long(client):
    for url in ("/static/style.css", "/static/style.css?v=000000000000"):
        response = client.get(url)
        response.close()
        assert response.status_code == 200
        assert "immutable" not in response.headers.get("Cache-Control", "")
