"""The observatory of discrimination: indicators from the anonymous return questionnaires.

Every table goes through :mod:`stagebourse.observatory.suppression` before anyone sees it: no
count under 11 is shown, and no hidden count can be narrowed to an interval narrower than the
protection width (``PROTECTION_WIDTH``) from totals, margins, non-negativity and structural
zeros, within a table or across the tables of a campaign (they share totals, and are
suppressed together).
"""

from __future__ import annotations

import json
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from stagebourse.extensions import db
from stagebourse.models import (
    Campaign,
    MatchingRun,
    Questionnaire,
    QuestionnaireInvitee,
    QuestionnaireResponse,
    Respondent,
    RunState,
    SchoolKind,
    Sector,
)
from stagebourse.observatory.suppression import (
    PROTECTION_WIDTH,
    THRESHOLD,
    PublishedTable,
    Table,
    suppress,
)
from stagebourse.services.campaigns import school_kind_for
from stagebourse.services.questionnaires import current_questionnaire, default_questionnaire

UNKNOWN = "unknown"
DIMENSIONS: dict[str, Any] = {
    "school_kind": _l("type d'établissement"),
    "sector": _l("secteur du stage"),
    "gender": _l("genre (si indiqué)"),
}
WISH_COLUMNS = (("yes", _l("oui")), ("partly", _l("à peu près")), ("no", _l("non")))
REPORT_COLUMNS = (("yes", _l("signalé")), ("no", _l("non signalé")))


@dataclass
class ObservedTable:
    """A published (suppressed) table with what the page and the CSV need."""

    key: str
    title: str
    dimension: str
    published: PublishedTable
    focus: int = 0  # the column whose share is charted

    @property
    def rows(self) -> list[str]:
        return [*self.published.rows, str(_l("Ensemble"))]

    @property
    def cols(self) -> list[str]:
        return [*self.published.cols, str(_l("Total"))]

    @property
    def cells(self) -> list[list[int | None]]:
        return self.published.cells

    def shares(self) -> list[tuple[str, float | None]]:
        """Share of the focus column per row (and overall); None when a part is hidden."""
        result = []
        for label, row in zip(self.rows, self.cells, strict=True):
            part, total = row[self.focus], row[-1]
            result.append((label, None if part is None or not total else part / total))
        return result

    def overall_share(self) -> float | None:
        return self.shares()[-1][1]


@dataclass
class CampaignObservatory:
    campaign: Campaign
    invited: int
    responses: int
    tutors_invited: int
    tutor_responses: int
    tables: list[ObservedTable] = field(default_factory=list)

    @property
    def responses_shown(self) -> int | None:
        return self.responses if self.responses >= THRESHOLD else None

    @property
    def response_rate(self) -> float | None:
        if self.responses < THRESHOLD or self.invited < THRESHOLD:
            return None
        return self.responses / self.invited

    def table(self, key: str, dimension: str) -> ObservedTable | None:
        return next((t for t in self.tables if t.key == key and t.dimension == dimension), None)

    def overall(self) -> list[tuple[str, str, float | None]]:
        """(indicator key, title, overall share) for each indicator, from its first table."""
        seen: dict[str, tuple[str, str, float | None]] = {}
        for table in self.tables:
            seen.setdefault(table.key, (table.key, table.title, table.overall_share()))
        return list(seen.values())


def _categories(dimension: str) -> list[tuple[str, str]]:
    if dimension == "school_kind":
        cats = [(SchoolKind.COLLEGE.value, str(_l("collège"))),
                (SchoolKind.LYCEE.value, str(_l("lycée")))]
    elif dimension == "sector":
        cats = [(s.code, s.label) for s in db.session.scalars(
            select(Sector).order_by(Sector.position, Sector.label))]
    else:
        cats = [("F", str(_l("fille"))), ("M", str(_l("garçon"))), ("X", str(_l("autre")))]
    return [*cats, (UNKNOWN, str(_l("non renseigné")))]


def _category(response: QuestionnaireResponse, dimension: str) -> str:
    if dimension == "school_kind":
        return response.school_kind.value if response.school_kind else UNKNOWN
    value = response.answers.get(dimension)
    return value if isinstance(value, str) else UNKNOWN


def _questions(campaign: Campaign) -> list[dict[str, Any]]:
    questionnaire = current_questionnaire(campaign, Respondent.PUPIL)
    if questionnaire is not None:
        return questionnaire.questions
    questions: list[dict[str, Any]] = default_questionnaire(Respondent.PUPIL)["questions"]
    return questions


def _responses(campaign: Campaign, respondent: Respondent) -> list[QuestionnaireResponse]:
    return list(db.session.scalars(
        select(QuestionnaireResponse).join(Questionnaire)
        .where(Questionnaire.campaign_id == campaign.id, Questionnaire.respondent == respondent)
        .order_by(QuestionnaireResponse.id)))


def _invited(campaign: Campaign, respondent: Respondent) -> int:
    return db.session.scalar(select(func.count()).select_from(QuestionnaireInvitee).where(
        QuestionnaireInvitee.campaign_id == campaign.id,
        QuestionnaireInvitee.respondent == respondent,
        QuestionnaireInvitee.code_issued.is_(True))) or 0


@dataclass
class _Indicator:
    key: str  # names the column totals
    base: str  # names the row totals and the grand total (who answered the question)
    title: str
    columns: tuple[tuple[str, Any], ...]
    value: Any  # response -> column value, or None if the respondent did not answer


def _indicators(questions: list[dict[str, Any]]) -> list[_Indicator]:
    indicators = [_Indicator(
        "matched_wish", "matched_wish", str(_l("Stage correspondant à un vœu")), WISH_COLUMNS,
        lambda r: r.answers.get("matched_wish"))]
    discrimination = [q for q in questions if q.get("discrimination")]

    def any_report(r: QuestionnaireResponse) -> str | None:
        answered = [q for q in discrimination if r.answers.get(q["id"])]
        if not answered:
            return None
        exclusive = {(q["id"], o["value"]) for q in discrimination for o in q["options"]
                     if o.get("exclusive")}
        reported = any((q["id"], v) not in exclusive for q in answered
                       for v in r.answers.get(q["id"], []))
        return "yes" if reported else "no"

    if discrimination:
        indicators.append(_Indicator("any", "any", str(_l("Au moins un traitement inégal "
                                                            "signalé")), REPORT_COLUMNS,
                                     any_report))
    for question in discrimination:
        for option in question["options"]:
            if option.get("exclusive"):
                continue

            def kind(r: QuestionnaireResponse, qid: str = question["id"],
                     value: str = option["value"]) -> str | None:
                chosen = r.answers.get(qid)
                if not chosen:
                    return None
                return "yes" if value in chosen else "no"

            indicators.append(_Indicator(f"{question['id']}:{option['value']}",
                                         question["id"], option["label"], REPORT_COLUMNS, kind))
    return indicators


def build_tables(responses: list[QuestionnaireResponse], questions: list[dict[str, Any]],
                 *, impossible: dict[str, set[str]] | None = None) -> list[ObservedTable]:
    """Every (indicator × dimension) table, suppressed together. ``impossible[dimension]``
    are categories that cannot occur (their rows are structural zeros, known to readers)."""
    specs: list[tuple[_Indicator, str, Table]] = []
    categories = {d: _categories(d) for d in DIMENSIONS}
    for indicator in _indicators(questions):
        values = [(r, indicator.value(r)) for r in responses]
        answered = [(r, v) for r, v in values if v is not None]
        columns = [c for c, _ in indicator.columns]
        for dimension, cats in categories.items():
            counts = []
            for code, _label in cats:
                in_cat = [v for r, v in answered if _category(r, dimension) == code]
                counts.append(tuple(sum(1 for v in in_cat if v == c) for c in columns))
            row_keys: tuple[Hashable, ...] = tuple((indicator.base, dimension, code)
                                                   for code, _ in cats)
            # Declared only if the answers agree (a stray answer would make it a guess).
            absent = {code for code in (impossible or {}).get(dimension, set())
                      if all(_category(r, dimension) != code for r, _ in answered)}
            specs.append((indicator, dimension, Table(
                f"{indicator.key}/{dimension}", tuple(label for _, label in cats),
                tuple(str(label) for _, label in indicator.columns), tuple(counts),
                row_keys=row_keys, col_keys=tuple((indicator.key, c) for c in columns),
                total_key=(indicator.base,),
                structural_zeros=frozenset((i, j) for i, (code, _) in enumerate(cats)
                                           if code in absent for j in range(len(columns))))))
    published = suppress([table for _, _, table in specs],
                         width=current_app.config.get("PROTECTION_WIDTH", PROTECTION_WIDTH))
    return [ObservedTable(indicator.key, indicator.title, dimension, pub)
            for (indicator, dimension, _), pub in zip(specs, published, strict=True)]


def campaign_observatory(campaign: Campaign) -> CampaignObservatory:
    responses = _responses(campaign, Respondent.PUPIL)
    return CampaignObservatory(
        campaign=campaign,
        invited=_invited(campaign, Respondent.PUPIL),
        responses=len(responses),
        tutors_invited=_invited(campaign, Respondent.TUTOR),
        tutor_responses=len(_responses(campaign, Respondent.TUTOR)),
        tables=build_tables(responses, _questions(campaign), impossible=impossible_categories(
            campaign)),
    )


def impossible_categories(campaign: Campaign) -> dict[str, set[str]]:
    """A campaign is for one level, so for one kind of school: no lycée pupil in a 3e one."""
    kind = school_kind_for(campaign.level)
    return {"school_kind": {k.value for k in SchoolKind if k != kind}}


def previous_campaign(campaign: Campaign) -> Campaign | None:
    return db.session.scalar(
        select(Campaign).where(Campaign.level == campaign.level, Campaign.year < campaign.year)
        .order_by(Campaign.year.desc()).limit(1))


def campaigns() -> list[Campaign]:
    return list(db.session.scalars(select(Campaign).order_by(Campaign.year.desc(),
                                                             Campaign.level)))


def history() -> list[CampaignObservatory]:
    """Every campaign's indicators, oldest first (the evolution over the years)."""
    return [campaign_observatory(c) for c in reversed(campaigns())]


# The matching audit, read defensively ----------------------------------------------------------

def stored_audit(run: MatchingRun) -> dict[str, Any] | None:
    """The fairness audit stored on a run, whatever field the matching side keeps it in, or
    None. The one place that knows where to look: change it here if the field changes."""
    for name in ("audit_json", "audit", "fairness_json", "fairness", "audit_report"):
        value = getattr(run, name, None)
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                continue
        if isinstance(value, dict):
            return value
    return None


@dataclass
class AuditFigures:
    run: MatchingRun
    figures: list[tuple[str, Any]]
    audit_available: bool


def matching_audit(campaign: Campaign) -> AuditFigures | None:
    """The published round's placement figures and, when stored, its audit's numbers."""
    run = db.session.scalar(
        select(MatchingRun).where(MatchingRun.campaign_id == campaign.id,
                                  MatchingRun.state == RunState.PUBLISHED)
        .order_by(MatchingRun.id.desc()).limit(1))
    if run is None:
        return None
    figures: list[tuple[str, Any]] = []
    if run.pupil_count:
        figures.append((str(_l("Élèves dans le tour")), run.pupil_count))
        if run.placed_count is not None:
            figures.append((str(_l("Élèves placés")), run.placed_count))
            figures.append((str(_l("Taux de placement")),
                            f"{100 * run.placed_count / run.pupil_count:.0f} %"))
    audit = stored_audit(run)
    if audit is not None:
        figures.extend(_flatten(audit))
    return AuditFigures(run, figures[:40], audit is not None)


def _flatten(data: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, bool):
            continue
        if isinstance(value, int | float):
            rows.append((name, round(value, 3) if isinstance(value, float) else value))
        elif isinstance(value, dict) and not prefix:
            rows.extend(_flatten(value, name + " › "))
    return rows


# Exports ---------------------------------------------------------------------------------------

CSV_HEADER = ["campagne", "indicateur", "dimension", "ligne", "colonne", "effectif"]


def csv_rows(observatory: CampaignObservatory) -> list[list[Any]]:
    """One line per published cell; hidden cells say "secret" (never a number)."""
    rows: list[list[Any]] = [
        [observatory.campaign.name, str(_l("Réponses")), "", "", "",
         observatory.responses_shown if observatory.responses_shown is not None else "secret"]]
    for table in observatory.tables:
        for label, row in zip(table.rows, table.cells, strict=True):
            for col, value in zip(table.cols, row, strict=True):
                rows.append([observatory.campaign.name, table.title,
                             str(DIMENSIONS[table.dimension]), label, col,
                             "secret" if value is None else value])
    return rows
