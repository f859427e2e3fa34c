"""A campaign's questionnaires (pupil, tutor): their questions, versions and validation."""

from __future__ import annotations

import json
import re
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from stagebourse.extensions import db
from stagebourse.models import (
    Campaign,
    Questionnaire,
    QuestionnaireResponse,
    QuestionnaireState,
    Respondent,
    User,
)
from stagebourse.services import ServiceError, journal
from stagebourse.services.journal import Event
from stagebourse.services.policy import Action, require
from stagebourse.services.reference import SEED_DIR

QUESTIONNAIRES_DIR = SEED_DIR / "questionnaires"


KINDS = ("choice", "multi", "sector", "text")


_ID_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def default_questionnaire(respondent: Respondent) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (QUESTIONNAIRES_DIR / f"{respondent.value}.json").read_text("utf-8"))
    return data


def validate_questionnaire(data: Any) -> tuple[str, list[dict[str, Any]]]:
    """Check a questionnaire document; return (title, questions) or raise ServiceError saying
    exactly what is wrong and where."""
    if not isinstance(data, dict):
        raise ServiceError(_l("Le questionnaire doit être un objet JSON avec « title » et "
                              "« questions »."))
    title = data.get("title")
    if not isinstance(title, str) or not title.strip() or len(title) > 200:
        raise ServiceError(_l("« title » doit être un texte de 1 à 200 caractères."))
    questions = data.get("questions")
    if not isinstance(questions, list) or not questions:
        raise ServiceError(_l("« questions » doit être une liste non vide."))
    seen: set[str] = set()
    for number, question in enumerate(questions, start=1):
        _validate_question(number, question, seen, last=number == len(questions))
    return title.strip(), questions


def _validate_question(number: int, question: Any, seen: set[str], *, last: bool) -> None:
    def refuse(message: str) -> ServiceError:
        return ServiceError(_l("Question %(n)s : %(problem)s", n=number, problem=message))

    if not isinstance(question, dict):
        raise refuse(str(_l("chaque question est un objet JSON.")))
    qid = question.get("id")
    if not isinstance(qid, str) or not _ID_RE.match(qid):
        raise refuse(str(_l("« id » doit être un identifiant en minuscules (lettres, chiffres, "
                            "_), par exemple « matched_wish ».")))
    if qid in seen:
        raise refuse(str(_l("l'identifiant « %(id)s » est déjà utilisé.", id=qid)))
    seen.add(qid)
    if question.get("required"):
        raise refuse(str(_l("toutes les questions restent facultatives : retirez "
                            "« required ».")))
    kind = question.get("kind")
    if kind not in KINDS:
        raise refuse(str(_l("« kind » doit valoir choice, multi, sector ou text.")))
    text = question.get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > 400:
        raise refuse(str(_l("« text » doit être un texte de 1 à 400 caractères.")))
    if kind == "text":
        if not last:
            raise refuse(str(_l("la zone de texte libre doit être la dernière question.")))
        warning = question.get("warning")
        if not isinstance(warning, str) or not warning.strip():
            raise refuse(str(_l("une zone de texte libre doit avoir un « warning » qui "
                                "demande de n'écrire aucun nom.")))
        length = question.get("max_length", 1000)
        if not isinstance(length, int) or not 1 <= length <= 2000:
            raise refuse(str(_l("« max_length » doit être un entier de 1 à 2000.")))
    if kind in ("choice", "multi"):
        options = question.get("options")
        if not isinstance(options, list) or len(options) < 2:
            raise refuse(str(_l("au moins deux réponses possibles dans « options ».")))
        values: set[str] = set()
        for option in options:
            if (not isinstance(option, dict) or not isinstance(option.get("value"), str)
                    or not _ID_RE.match(option["value"]) and option["value"] not in "FMX"
                    or not isinstance(option.get("label"), str) or not option["label"].strip()):
                raise refuse(str(_l("chaque réponse possible a une « value » (identifiant) "
                                    "et un « label » (texte).")))
            if option["value"] in values:
                raise refuse(str(_l("la réponse « %(v)s » apparaît deux fois.",
                                    v=option["value"])))
            values.add(option["value"])
    if question.get("discrimination") and kind != "multi":
        raise refuse(str(_l("« discrimination » ne s'emploie que sur une question à choix "
                            "multiples.")))


def current_questionnaire(campaign: Campaign, respondent: Respondent) -> Questionnaire | None:
    return db.session.scalar(
        select(Questionnaire).where(Questionnaire.campaign_id == campaign.id,
                                    Questionnaire.respondent == respondent)
        .order_by(Questionnaire.version.desc()).limit(1))


def current_questionnaires(campaign: Campaign) -> list[Questionnaire]:
    """The campaign's questionnaires as they are (read-only: the campaign's creation, or the
    first invitation, created them)."""
    found = (current_questionnaire(campaign, respondent) for respondent in Respondent)
    return [questionnaire for questionnaire in found if questionnaire is not None]


def _ensure(campaign: Campaign, respondent: Respondent) -> Questionnaire:
    existing = current_questionnaire(campaign, respondent)
    if existing is not None:
        return existing
    title, questions = validate_questionnaire(default_questionnaire(respondent))
    questionnaire = Questionnaire(campaign_id=campaign.id, respondent=respondent, version=1,
                                  title=title, questions=questions)
    db.session.add(questionnaire)
    db.session.flush()
    return questionnaire


def ensure_questionnaires(actor: User | None, campaign: Campaign) -> list[Questionnaire]:
    """The campaign's two questionnaires, created from the defaults the first time."""
    require(actor, Action.STEER_QUESTIONNAIRES, campaign)
    created = [r for r in Respondent if current_questionnaire(campaign, r) is None]
    result = [_ensure(campaign, r) for r in Respondent]
    if created:
        journal.record(actor, Event.QUESTIONNAIRES_CREATED, campaign,
                       respondents=[r.value for r in created])
        db.session.flush()
    return result


def response_count(questionnaire: Questionnaire) -> int:
    return db.session.scalar(select(func.count()).select_from(QuestionnaireResponse).where(
        QuestionnaireResponse.questionnaire_id == questionnaire.id)) or 0


def save_questionnaire(actor: User, questionnaire: Questionnaire, text: str) -> Questionnaire:
    """Replace the questions. Once someone has answered, the answered version is kept as it
    was and a new version is created (answers always refer to the questions they answered)."""
    require(actor, Action.STEER_QUESTIONNAIRES, questionnaire)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ServiceError(_l("Le texte n'est pas du JSON valide (ligne %(line)s, colonne "
                              "%(col)s) : %(msg)s", line=error.lineno, col=error.colno,
                              msg=error.msg)) from None
    title, questions = validate_questionnaire(data)
    latest = current_questionnaire_by_id(questionnaire)
    if latest.id != questionnaire.id:
        raise ServiceError(_l("Une version plus récente existe : modifiez la version %(v)s.",
                              v=latest.version))
    if response_count(questionnaire):
        questionnaire.state = QuestionnaireState.CLOSED
        questionnaire = Questionnaire(
            campaign_id=questionnaire.campaign_id, respondent=questionnaire.respondent,
            version=questionnaire.version + 1, title=title, questions=questions,
            state=QuestionnaireState.IN_USE)
        db.session.add(questionnaire)
        db.session.flush()
    else:
        questionnaire.title = title
        questionnaire.questions = questions
    journal.record(actor, Event.QUESTIONNAIRE_EDITED, questionnaire,
                   version=questionnaire.version)
    db.session.flush()
    return questionnaire


def _latest(campaign_id: int, respondent: Respondent) -> Questionnaire:
    """The current version for this campaign and respondent (one always exists once made)."""
    campaign = db.session.get(Campaign, campaign_id)
    assert campaign is not None
    latest = current_questionnaire(campaign, respondent)
    assert latest is not None
    return latest


def current_questionnaire_by_id(questionnaire: Questionnaire) -> Questionnaire:
    return _latest(questionnaire.campaign_id, questionnaire.respondent)


def questionnaire_json(questionnaire: Questionnaire) -> str:
    return json.dumps({"title": questionnaire.title, "questions": questionnaire.questions},
                      ensure_ascii=False, indent=2)


def get_questionnaire(questionnaire_id: int) -> Questionnaire | None:
    return db.session.get(Questionnaire, questionnaire_id)

