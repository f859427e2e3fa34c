"""A pupil's placement as the family reads it: where (street, postcode, town), when (the days
in words), the hours, who welcomes them, what to bring, and until when to answer.

One description for the pupil's home, the family e-mail and the printed sheet, so that the
three never disagree. Read-only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from stagebourse.dates import long_date, week_span
from stagebourse.identifiers import week_monday
from stagebourse.models import Assignment, AssignmentState, RunState
from stagebourse.services.offer_rules import DAYS, format_day_ranges

# What every pupil brings, whatever the host: the agreement and a way to be reached.
WHAT_TO_BRING = (
    _l("la convention de stage signée (ton professeur te la remet)"),
    _l("ta carte d'identité ou ton carnet de correspondance"),
    _l("de quoi noter, et de quoi déjeuner si la structure n'a pas de cantine"),
    _l("le numéro de téléphone de ton professeur référent"),
)


@dataclass(frozen=True)
class Placement:
    offer_title: str
    company: str
    street: str
    postcode: str
    town: str
    hours: list[tuple[str, str]]  # (day, "09:00-12:00 13:00-16:00"), working days only
    dates: str  # « du lundi 1er février au vendredi 5 février 2027 »
    first_day: dt.date
    tutor: str | None
    answer_by: dt.date | None
    answer_by_words: str | None
    bring: list[str]

    @property
    def full_address(self) -> str:
        town = " ".join(part for part in (self.postcode, self.town) if part)
        return ", ".join(part for part in (self.street, town) if part)


def describe(assignment: Assignment) -> Placement:
    offer = assignment.offer
    company = offer.company
    commune = offer.commune or company.commune
    # The offer's commune may list several postcodes; the company's own one is exact when the
    # offer is in the company's commune (the usual case), else the commune's first.
    if commune is not None and company.commune_code == commune.code_insee and company.postcode:
        postcode = company.postcode
    else:
        postcode = (commune.postcodes.split() or [""])[0] if commune is not None else ""
    monday = week_monday(assignment.week)
    hours = [(day, text) for day in DAYS if (text := format_day_ranges(offer.schedule, day))]
    deadline = assignment.run.campaign.confirmation_deadline
    return Placement(
        offer_title=offer.title, company=company.name, street=offer.address,
        postcode=postcode, town=commune.name if commune is not None else "",
        hours=hours, dates=week_span(monday), first_day=monday,
        tutor=offer.tutor.full_name if offer.tutor is not None else None,
        answer_by=deadline, answer_by_words=long_date(deadline) if deadline else None,
        bring=[str(item) for item in WHAT_TO_BRING])


def is_published(assignment: Assignment) -> bool:
    """Whether the family may see it: a published round's, not a bare proposal."""
    return (assignment.run.state == RunState.PUBLISHED
            and assignment.state != AssignmentState.PROPOSED)
