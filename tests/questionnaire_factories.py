"""A finished campaign: a published round whose assignments are confirmed, week over."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import (
    AssignmentState,
    Campaign,
    Company,
    OutboxMessage,
    Pupil,
    QuestionnaireResponse,
    Tutor,
)
from tests.conftest import make_company
from tests.preparation_factories import make_campaign, make_offer, make_pupil, make_run, make_tutor

WEEK = "2027-W05"  # Monday 1 to Friday 5 February 2027
AFTER = dt.date(2027, 2, 10)
CODE_RE = re.compile(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}")


@dataclass
class Finished:
    campaign: Campaign
    by_email: list[Pupil]
    on_paper: list[Pupil]
    tutor: Tutor


def finished_campaign(by_email: int = 3, on_paper: int = 2, year: int = 2027,
                      company=None) -> Finished:  # noqa: ANN001
    campaign = make_campaign(year)
    company = company or db.session.scalar(select(Company).limit(1)) or make_company()
    tutor = make_tutor(company, "Inès Tutrice", f"ines{year}@atelier-test.fr")
    offer = make_offer(company, tutor)
    emailed = [make_pupil(f"Courriel{i}", f"parent{year}-{i}@famille-test.fr")
               for i in range(by_email)]
    paper = [make_pupil(f"Papier{i}") for i in range(on_paper)]
    run = make_run(campaign, [(p, offer, f"{year}-W05") for p in emailed + paper])
    for assignment in run.assignments:
        assignment.state = AssignmentState.CONFIRMED
    db.session.commit()
    return Finished(campaign, emailed, paper, tutor)


def emailed_code(recipient: str) -> str:
    message = db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.recipient == recipient,
        OutboxMessage.template.in_(("questionnaire_pupil", "questionnaire_tutor"))))
    assert message is not None
    found = CODE_RE.search(message.body_text)
    assert found is not None
    return found.group(0)


def responses() -> list[QuestionnaireResponse]:
    return list(db.session.scalars(select(QuestionnaireResponse)))


def add_responses(campaign: Campaign, count: int, answers: dict, school_kind=None,  # noqa: ANN001
                  respondent=None) -> None:  # noqa: ANN001
    """Responses written directly, as many as an observatory test needs."""
    from stagebourse.models import Level, Respondent, SchoolKind
    from stagebourse.services.questionnaires import ensure_questionnaires

    wanted = respondent or Respondent.PUPIL
    questionnaire = next(q for q in ensure_questionnaires(None, campaign)
                         if q.respondent == wanted)
    for _ in range(count):
        db.session.add(QuestionnaireResponse(
            questionnaire_id=questionnaire.id, level=Level.TROISIEME,
            school_kind=school_kind or SchoolKind.COLLEGE, answered_week=dt.date(2027, 2, 8),
            answers=answers))
    db.session.commit()
