"""The mixing job, attacked as a database administrator would (docs/privacy.md, "Storage
order"): after mixing, nothing the storage keeps (ids, physical order, SQLite's rowid,
PostgreSQL's ctid and xmin) orders the responses better than chance.

The answers come one per transaction through the real answer path, numbered in the order they
came (the number is the answer's text); the attack then reads the table only with SQL of its
own and measures Spearman's rank correlation between each storage order and the true one. With
120 answers a random order has a correlation of standard deviation 1/sqrt(119) = 0.09; the
threshold 0.4 is more than four of them. The mixing's random draws are seeded, so the test is
deterministic.
"""

from __future__ import annotations

import json
import random

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import (
    JournalEntry,
    Questionnaire,
    QuestionnaireInvitation,
    Respondent,
)
from stagebourse.services import questionnaires
from stagebourse.services.accounts import hash_code
from stagebourse.services.journal import Event
from stagebourse.services.questionnaires import mixing
from tests.scenarios import finished_campaign

pytestmark = pytest.mark.committing  # one transaction per answer, read back from storage

ANSWERS = 120
CHANCE = 0.4


def spearman(order: list[int]) -> float:
    """Rank correlation between positions 0..n-1 and the true answer numbers in ``order``."""
    n = len(order)
    return 1 - 6 * sum((position - number) ** 2 for position, number in enumerate(order)) / (
        n * (n * n - 1))


def number(value: object) -> int:
    # PostgreSQL's driver decodes JSON, SQLite's returns the text.
    answers = value if isinstance(value, dict) else json.loads(str(value))
    return int(answers["comment"])


def stored_order(sql: str) -> list[int]:
    db.session.expire_all()
    return [number(row[0]) for row in db.session.execute(sa.text(sql)).all()]


def dialect() -> str:
    return db.engine.dialect.name


@pytest.fixture()
def seeded(monkeypatch):  # noqa: ANN001, ANN201
    monkeypatch.setattr(mixing, "_rng", random.Random(20261203))
    seeded_ids = random.Random(16)
    monkeypatch.setattr(mixing, "random_id", lambda: f"{seeded_ids.getrandbits(128):032x}")


def answered(count: int) -> Questionnaire:
    """``count`` answers of one questionnaire, each in its own committed transaction."""
    done = finished_campaign(by_email=0, on_paper=0)
    questionnaire = questionnaires.ensure_questionnaires(None, done.campaign)[0]
    assert questionnaire.respondent == Respondent.PUPIL
    codes = [f"CODE-{n:04d}-TEST" for n in range(count)]
    db.session.add_all(QuestionnaireInvitation(
        campaign_id=done.campaign.id, respondent=Respondent.PUPIL, code_hash=hash_code(code),
        level=None, school_kind=None) for code in codes)
    db.session.commit()
    for n, code in enumerate(codes):
        questionnaires.submit_answers(code, {"comment": [f"{n:03d}"]})
        db.session.commit()
    return questionnaire


def newest_transaction() -> list[int]:
    """The answers stamped by the latest transaction (PostgreSQL's xmin)."""
    return stored_order("SELECT answers FROM questionnaire_responses WHERE xmin::text = "
                        "(SELECT max(xmin::text::bigint)::text FROM questionnaire_responses)")


def test_after_mixing_no_storage_order_is_better_than_chance(app, seeded):
    questionnaire = answered(ANSWERS)
    if dialect() == "postgresql":
        # Before mixing the attack works: the latest transaction's rows are a handful, and
        # the last answer is among them.
        assert ANSWERS - 1 in newest_transaction()
        assert len(newest_transaction()) <= questionnaires.SHUFFLE_WIDTH + 1
    before = db.session.execute(sa.text("SELECT id FROM questionnaire_responses")).scalars()
    ids_before = set(before)

    assert questionnaires.mix_responses(questionnaire) == ANSWERS
    db.session.commit()

    attacks = {
        "as stored": "SELECT answers FROM questionnaire_responses",
        "by id": "SELECT answers FROM questionnaire_responses ORDER BY id",
        "by id, descending": "SELECT answers FROM questionnaire_responses ORDER BY id DESC",
    }
    if dialect() == "postgresql":
        attacks["by ctid"] = "SELECT answers FROM questionnaire_responses ORDER BY ctid"
        # One transaction stamped them all: the newest ones are all of them.
        assert sorted(newest_transaction()) == list(range(ANSWERS))
    else:
        # No hidden counter of insertion to order by.
        with pytest.raises(sa.exc.OperationalError):
            db.session.execute(sa.text("SELECT rowid FROM questionnaire_responses"))
        db.session.rollback()
    for name, sql in attacks.items():
        order = stored_order(sql)
        assert sorted(order) == list(range(ANSWERS)), name  # every answer kept, once
        assert abs(spearman(order)) < CHANCE, (name, spearman(order))
    ids_after = set(db.session.execute(sa.text("SELECT id FROM questionnaire_responses"))
                    .scalars())
    assert len(ids_after) == ANSWERS and not ids_before & ids_after


def test_releases_can_tell_whether_the_rows_are_mixed(app):
    mixed_id = answered(3).id
    assert not questionnaires.responses_are_mixed(db.session.get(Questionnaire, mixed_id))
    assert questionnaires.mix_unmixed_responses() == 1
    db.session.commit()
    questionnaire = db.session.get(Questionnaire, mixed_id)
    assert questionnaires.responses_are_mixed(questionnaire)
    assert questionnaires.mix_unmixed_responses() == 0  # nothing new: nothing to do
    entries = db.session.scalars(select(JournalEntry).where(
        JournalEntry.action == Event.QUESTIONNAIRE_RESPONSES_MIXED)).all()
    assert [e.subject_id for e in entries] == [str(mixed_id)]
    # A new answer is not mixed yet: the flag falls until the next mixing.
    code = "LATE-0000-CODE"
    db.session.add(QuestionnaireInvitation(
        campaign_id=questionnaire.campaign_id, respondent=Respondent.PUPIL,
        code_hash=hash_code(code)))
    db.session.commit()
    questionnaires.submit_answers(code, {"comment": ["999"]})
    db.session.commit()
    assert not questionnaires.responses_are_mixed(db.session.get(Questionnaire, mixed_id))


def test_the_mix_command_mixes_what_received_answers(app):
    mixed_id = answered(2).id
    runner = app.test_cli_runner()
    out = runner.invoke(args=["questionnaires", "mix"])
    assert out.exit_code == 0 and "1 questionnaire(s) mélangé(s)" in out.output
    db.session.expire_all()
    assert questionnaires.responses_are_mixed(db.session.get(Questionnaire, mixed_id))
    again = runner.invoke(args=["questionnaires", "mix"])
    assert "0 questionnaire(s) mélangé(s)" in again.output
