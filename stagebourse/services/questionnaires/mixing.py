"""Mixing: all the responses of a questionnaire rewritten in one random order, in one
transaction, before anything is released from them (docs/privacy.md, "Storage order").

Between two mixings, the storage still says something about the order of answers: on
PostgreSQL each answer's transaction stamps its rows (``xmin``) and appends them at the end of
the table (``ctid``); the first answers of a version have no older rows to hide among.
Mixing deletes every response of the questionnaire and inserts them again, with fresh random
ids, in a shuffled order, in one transaction: afterwards they all share one ``xmin``, their
physical order is the shuffled one, and their ids are new. On SQLite the table has no rowid
and is stored in the order of the random ids, which mixing draws again too.

``Questionnaire.responses_mixed_at`` says when it was done; every new answer clears it, so a
release can require that it is set (:func:`responses_are_mixed`) and then reads only rows that
were mixed.
"""

from __future__ import annotations

import random

from sqlalchemy import delete, insert, select, update

from stagebourse import clock
from stagebourse.extensions import db
from stagebourse.models import Campaign, Questionnaire, QuestionnaireResponse
from stagebourse.models.questionnaires import random_id
from stagebourse.services import journal
from stagebourse.services.journal import Event

_rng = random.SystemRandom()


def responses_are_mixed(questionnaire: Questionnaire) -> bool:
    """True when no response was written since the last mixing: a release may read them."""
    return questionnaire.responses_mixed_at is not None


def _lock(questionnaire: Questionnaire) -> None:
    """Take the questionnaire's row lock (PostgreSQL; SQLite has one writer anyway): an answer
    clears ``responses_mixed_at`` through the same row, so it waits for the mixing to commit
    (or the mixing waits for it) and no answer slips in between the read and the rewrite."""
    db.session.execute(select(Questionnaire.id).where(Questionnaire.id == questionnaire.id)
                       .with_for_update())


def mix_responses(target: Questionnaire | Campaign) -> int:
    """Rewrite the responses of a questionnaire (or of every questionnaire of a campaign) in a
    random order with new random ids, in the caller's transaction. Returns how many rows were
    rewritten. No actor: it changes no content and reveals nothing."""
    if isinstance(target, Campaign):
        return sum(mix_responses(questionnaire) for questionnaire in db.session.scalars(
            select(Questionnaire).where(Questionnaire.campaign_id == target.id)
            .order_by(Questionnaire.id)))
    questionnaire = target
    _lock(questionnaire)
    response = QuestionnaireResponse
    rows = [dict(row._mapping) for row in db.session.execute(
        select(response.level, response.school_kind, response.priority_area,
               response.qpv_resident, response.answered_week, response.answers)
        .where(response.questionnaire_id == questionnaire.id))]
    _rng.shuffle(rows)
    db.session.execute(delete(response).where(response.questionnaire_id == questionnaire.id)
                       .execution_options(synchronize_session=False))
    # One statement per row, in the shuffled order: the physical order of insertion is the
    # shuffled one (a multi-row insert could be reordered by the driver, never by us).
    for row in rows:
        db.session.execute(insert(response).values(
            id=random_id(), questionnaire_id=questionnaire.id, **row))
    db.session.execute(update(Questionnaire).where(Questionnaire.id == questionnaire.id)
                       .values(responses_mixed_at=clock.now()))
    db.session.expire(questionnaire)
    # The ORM's copies of the old rows no longer exist.
    for stale in [o for o in db.session.identity_map.values()
                  if isinstance(o, QuestionnaireResponse)]:
        db.session.expunge(stale)
    journal.record(None, Event.QUESTIONNAIRE_RESPONSES_MIXED, questionnaire)
    db.session.flush()
    return len(rows)


def mix_unmixed_responses() -> int:
    """The scheduled job (worker, cron): mix every questionnaire that received answers since
    its last mixing. Returns how many questionnaires were mixed."""
    waiting = db.session.scalars(select(Questionnaire).where(
        Questionnaire.responses_mixed_at.is_(None),
        select(QuestionnaireResponse.id)
        .where(QuestionnaireResponse.questionnaire_id == Questionnaire.id).exists())
        .order_by(Questionnaire.id)).all()
    for questionnaire in waiting:
        mix_responses(questionnaire)
    return len(waiting)
