"""Answering: a code opens its questionnaire, the answers are checked and stored so that no
column, timestamp or row order links them to the code or the person."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update

from stagebourse import clock
from stagebourse.extensions import db
from stagebourse.models import (
    Questionnaire,
    QuestionnaireInvitation,
    QuestionnaireResponse,
    QuestionnaireState,
    Respondent,
    Sector,
)
from stagebourse.services import ServiceError
from stagebourse.services.accounts import hash_code
from stagebourse.services.questionnaires.questions import _latest

# How many earlier responses are re-written with each new one (see _write_response).
SHUFFLE_WIDTH = 4


_rng = random.SystemRandom()


# The same words for a made-up code, a mistyped code and a code already used: the answer
# page must not tell anyone whether a code ever existed or whether its owner has answered.
CODE_REFUSED = _l("Ce code ne fonctionne pas : vérifie-le sur ton papier ou dans le courriel "
                  "(les tirets sont facultatifs). Un code ne sert qu'une fois.")


def find_invitation(code: str) -> QuestionnaireInvitation | None:
    if not code or len(code) > 40:
        return None
    return db.session.scalar(select(QuestionnaireInvitation).where(
        QuestionnaireInvitation.code_hash == hash_code(code)))


def questionnaire_for(invitation: QuestionnaireInvitation) -> Questionnaire:
    return _latest(invitation.campaign_id, invitation.respondent)


def open_questionnaire(code: str) -> Questionnaire:
    """The questionnaire a code opens, without using the code yet."""
    invitation = find_invitation(code)
    if invitation is None:
        raise ServiceError(CODE_REFUSED)
    return questionnaire_for(invitation)


def sector_options() -> list[dict[str, str]]:
    return [{"value": s.code, "label": s.label}
            for s in db.session.scalars(select(Sector).order_by(Sector.position, Sector.label))]


def clean_answers(questions: Iterable[dict[str, Any]], form: Mapping[str, list[str]]
                  ) -> dict[str, Any]:
    """Keep only what the questions allow: known options, bounded text. Unknown fields are
    dropped, so nothing else a browser sends can be stored."""
    answers: dict[str, Any] = {}
    sectors = None
    for question in questions:
        values = [v for v in form.get(question["id"], []) if isinstance(v, str)]
        kind = question["kind"]
        if kind == "text":
            text = (values[0] if values else "").strip()[: question.get("max_length", 1000)]
            if text:
                answers[question["id"]] = text
            continue
        if kind == "sector":
            sectors = sectors if sectors is not None else {o["value"] for o in sector_options()}
            allowed = sectors
        else:
            allowed = {o["value"] for o in question["options"]}
        chosen = [v for v in dict.fromkeys(values) if v in allowed]
        if not chosen:
            continue
        if kind == "multi":
            exclusive = {o["value"] for o in question["options"] if o.get("exclusive")}
            if len(chosen) > 1:  # "nothing of that" and something else: keep the something
                chosen = [v for v in chosen if v not in exclusive] or chosen[:1]
            answers[question["id"]] = chosen
        else:
            answers[question["id"]] = chosen[0]
    return answers


def reports_discrimination(questions: Iterable[dict[str, Any]], answers: Mapping[str, Any]
                           ) -> bool:
    for question in questions:
        if question.get("discrimination"):
            exclusive = {o["value"] for o in question["options"] if o.get("exclusive")}
            if any(v not in exclusive for v in answers.get(question["id"], [])):
                return True
    return False


@dataclass
class Submission:
    respondent: Respondent
    reported_discrimination: bool


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def submit_answers(code: str, form: Mapping[str, list[str]], today: dt.date | None = None
                   ) -> Submission:
    """Use the code once and store the answers anonymously. No journal, no log, no actor."""
    invitation = find_invitation(code)
    if invitation is None:
        raise ServiceError(CODE_REFUSED)
    questionnaire = questionnaire_for(invitation)
    answers = clean_answers(questionnaire.questions, form)
    respondent = invitation.respondent
    stratum = dict(level=invitation.level, school_kind=invitation.school_kind,
                   priority_area=invitation.priority_area, qpv_resident=invitation.qpv_resident)
    # Burn the code: delete, not flag, so no "used at" survives. A concurrent second use of
    # the same code finds nothing to delete and is refused.
    burnt = db.session.execute(delete(QuestionnaireInvitation).where(
        QuestionnaireInvitation.id == invitation.id))
    if burnt.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        raise ServiceError(CODE_REFUSED)
    db.session.expunge(invitation)
    # The rows are no longer all mixed: a release waits for the next mixing. Written first,
    # through the questionnaire's row, so that a mixing in progress and this answer queue up
    # behind each other (mixing.py) instead of interleaving.
    db.session.execute(update(Questionnaire).where(Questionnaire.id == questionnaire.id)
                       .values(responses_mixed_at=None))
    _write_response(questionnaire, stratum, answers, monday_of(today or clock.today()))
    if questionnaire.state == QuestionnaireState.DRAFT:
        questionnaire.state = QuestionnaireState.IN_USE
    db.session.flush()
    return Submission(respondent, reports_discrimination(questionnaire.questions, answers))


def _write_response(questionnaire: Questionnaire, stratum: dict[str, Any],
                    answers: dict[str, Any], week: dt.date) -> None:
    """Insert the response among up to SHUFFLE_WIDTH earlier responses of the same
    questionnaire, re-written with new random ids in a random order.

    Storage engines append new rows: without this, the physical order of the table would be
    the order of answers, which an administrator could join to anything else ordered in time.
    With it, the newest rows are a random mix of this answer and older ones."""
    others = db.session.scalars(
        select(QuestionnaireResponse)
        .where(QuestionnaireResponse.questionnaire_id == questionnaire.id)
        .order_by(func.random()).limit(SHUFFLE_WIDTH)).all()
    batch = [dict(stratum, answered_week=week, answers=answers)]
    for other in others:
        batch.append(dict(level=other.level, school_kind=other.school_kind,
                          priority_area=other.priority_area, qpv_resident=other.qpv_resident,
                          answered_week=other.answered_week, answers=other.answers))
        db.session.delete(other)
    db.session.flush()
    _rng.shuffle(batch)
    for values in batch:
        db.session.add(QuestionnaireResponse(questionnaire_id=questionnaire.id, **values))
    db.session.flush()

