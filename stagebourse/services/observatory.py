"""The observatory of discrimination: frozen releases of the anonymous return questionnaires.

Nobody reads the answers live. A *release* is computed once, after a campaign's questionnaire
is closed, from the answers as they are then (mixed first): every table goes through the
interval audit of :mod:`stagebourse.observatory.suppression` (no count under 11, and no hidden
count narrowed to less than ``PROTECTION_WIDTH`` by totals, non-negativity or structural zeros,
across the tables of the release and jointly with the earlier releases it shares figures
with) and is stored unchanged with the questionnaire versions and indicator definitions it
used. Pages and exports only ever read releases, so one more answer changes nothing anyone can
download; until a release, the steering group sees the number of answers in coarse bands, no
figure (docs/privacy.md).

The annual report is a release too: the year's campaign releases, unchanged, and their pooled
figures by level, audited jointly with them (they share every total).
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from stagebourse.extensions import db
from stagebourse.models import (
    Campaign,
    MatchingRun,
    ObservatoryRelease,
    Questionnaire,
    QuestionnaireInvitee,
    QuestionnaireResponse,
    QuestionnaireState,
    ReleaseKind,
    Respondent,
    RunState,
    SchoolKind,
    Sector,
    User,
)
from stagebourse.observatory.suppression import THRESHOLD, PublishedTable, Table, suppress
from stagebourse.services import ServiceError, journal
from stagebourse.services.campaigns import school_kind_for
from stagebourse.services.journal import Event
from stagebourse.services.policy import Action, require
from stagebourse.services.questionnaires import (
    current_questionnaire,
    default_questionnaire,
    mix_responses,
    responses_are_mixed,
)

UNKNOWN = "unknown"
# The breakdowns of a campaign's tables (Fiche 1: by priority area among others).
DIMENSIONS: dict[str, Any] = {
    "priority_area": _l("éducation prioritaire (REP, REP+)"),
    "qpv": _l("résidence en quartier prioritaire (QPV)"),
    "school_kind": _l("type d'établissement"),
    "sector": _l("secteur du stage"),
    "gender": _l("genre (si indiqué)"),
}
LEVEL_DIMENSION = "level"  # the annual report's pooled tables: one row per campaign
DIMENSION_LABELS: dict[str, Any] = {**DIMENSIONS, LEVEL_DIMENSION: _l("niveau")}
WISH_COLUMNS = (("yes", _l("oui")), ("partly", _l("à peu près")), ("no", _l("non")))
REPORT_COLUMNS = (("yes", _l("signalé")), ("no", _l("non signalé")))

# The only figure shown before a release: the number of answers, in bands this coarse.
ANSWER_BANDS: tuple[tuple[int | None, Any], ...] = (
    (20, _l("moins de 20")), (50, _l("20 à 49")), (100, _l("50 à 99")),
    (None, _l("100 et plus")))


def answer_band(count: int) -> str:
    """The band of a number of answers (« moins de 20 », « 20 à 49 »...), never the number."""
    return next(str(label) for bound, label in ANSWER_BANDS if bound is None or count < bound)


# Reading the answers (only to compute a release) ----------------------------------------------

def _categories(dimension: str) -> list[tuple[str, str]]:
    if dimension == "priority_area":
        cats = [("REP+", "REP+"), ("REP", "REP"),
                ("none", str(_l("hors éducation prioritaire")))]
    elif dimension == "qpv":
        cats = [("yes", str(_l("réside en QPV"))), ("no", str(_l("ne réside pas en QPV")))]
    elif dimension == "school_kind":
        cats = [(SchoolKind.COLLEGE.value, str(_l("collège"))),
                (SchoolKind.LYCEE.value, str(_l("lycée")))]
    elif dimension == "sector":
        cats = [(s.code, s.label) for s in db.session.scalars(
            select(Sector).order_by(Sector.position, Sector.label))]
    else:
        cats = [("F", str(_l("fille"))), ("M", str(_l("garçon"))), ("X", str(_l("autre")))]
    return [*cats, (UNKNOWN, str(_l("non renseigné")))]


def _category(response: QuestionnaireResponse, dimension: str) -> str:
    if dimension == "priority_area":
        return response.priority_area or UNKNOWN
    if dimension == "qpv":
        return UNKNOWN if response.qpv_resident is None else (
            "yes" if response.qpv_resident else "no")
    if dimension == "school_kind":
        return response.school_kind.value if response.school_kind else UNKNOWN
    value = response.answers.get(dimension)
    return value if isinstance(value, str) else UNKNOWN


def _responses(campaign: Campaign) -> list[QuestionnaireResponse]:
    """Every pupil answer of the campaign, all questionnaire versions, in random-id order."""
    return list(db.session.scalars(
        select(QuestionnaireResponse).join(Questionnaire)
        .where(Questionnaire.campaign_id == campaign.id,
               Questionnaire.respondent == Respondent.PUPIL)
        .order_by(QuestionnaireResponse.id)))


def answer_count(campaign: Campaign) -> int:
    """How many pupils answered: for :func:`answer_band` and the release's minimum only."""
    return db.session.scalar(
        select(func.count()).select_from(QuestionnaireResponse).join(Questionnaire)
        .where(Questionnaire.campaign_id == campaign.id,
               Questionnaire.respondent == Respondent.PUPIL)) or 0


def invited(campaign: Campaign, respondent: Respondent = Respondent.PUPIL) -> int:
    """People who hold a code (an invitation, not an answer: shown as it is)."""
    return db.session.scalar(select(func.count()).select_from(QuestionnaireInvitee).where(
        QuestionnaireInvitee.campaign_id == campaign.id,
        QuestionnaireInvitee.respondent == respondent,
        QuestionnaireInvitee.code_issued.is_(True))) or 0


# Indicators -------------------------------------------------------------------------------------

@dataclass
class _Indicator:
    key: str  # names the column totals
    base: str  # names the row totals and the grand total (who answered the question)
    title: str
    columns: tuple[tuple[str, Any], ...]
    question: str  # the question it reads
    option: str | None = None  # the option it counts, for one kind of unequal treatment

    def definition(self) -> dict[str, Any]:
        """What is stored with a release: enough to say what each figure counted."""
        return {"key": self.key, "base": self.base, "title": self.title,
                "question": self.question, "option": self.option,
                "columns": [[code, str(label)] for code, label in self.columns]}


def _indicators(questions: list[dict[str, Any]]) -> list[_Indicator]:
    indicators = [_Indicator("matched_wish", "matched_wish",
                             str(_l("Stage correspondant à un vœu")), WISH_COLUMNS,
                             "matched_wish")]
    discrimination = [q for q in questions if q.get("discrimination")]
    if discrimination:
        indicators.append(_Indicator(
            "any", "any", str(_l("Au moins un traitement inégal signalé")), REPORT_COLUMNS,
            ",".join(q["id"] for q in discrimination)))
    for question in discrimination:
        for option in question["options"]:
            if not option.get("exclusive"):
                indicators.append(_Indicator(
                    f"{question['id']}:{option['value']}", question["id"], option["label"],
                    REPORT_COLUMNS, question["id"], option["value"]))
    return indicators


def _value(indicator: _Indicator, questions: list[dict[str, Any]],
           response: QuestionnaireResponse) -> str | None:
    """The indicator's column for one answer, or None if the pupil left the question(s) out."""
    answers = response.answers
    if indicator.key == "matched_wish":
        value = answers.get("matched_wish")
        return value if isinstance(value, str) else None
    if indicator.key == "any":
        discrimination = [q for q in questions if q.get("discrimination")]
        answered = [q for q in discrimination if answers.get(q["id"])]
        if not answered:
            return None
        exclusive = {(q["id"], o["value"]) for q in discrimination for o in q["options"]
                     if o.get("exclusive")}
        reported = any((q["id"], v) not in exclusive for q in answered
                       for v in answers.get(q["id"], []))
        return "yes" if reported else "no"
    chosen = answers.get(indicator.question)
    if not chosen:
        return None
    return "yes" if indicator.option in chosen else "no"


# Published tables, as stored in a release -------------------------------------------------------

@dataclass
class ObservedTable:
    """A published (suppressed) table with what the pages and the CSV need."""

    key: str
    title: str
    dimension: str
    rows: list[str]  # with the « Ensemble » row last
    cols: list[str]  # with the « Total » column last
    cells: list[list[int | None]]  # None: secret
    focus: int = 0  # the column whose share is charted

    def shares(self) -> list[tuple[str, float | None]]:
        """Share of the focus column per row (and overall); None when a part is hidden."""
        result = []
        for label, row in zip(self.rows, self.cells, strict=True):
            part, total = row[self.focus], row[-1]
            result.append((label, None if part is None or not total else part / total))
        return result

    def overall_share(self) -> float | None:
        return self.shares()[-1][1]

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key, "title": self.title, "dimension": self.dimension,
                "rows": self.rows, "cols": self.cols, "cells": self.cells,
                "focus": self.focus}


def _observed(key: str, title: str, dimension: str, published: PublishedTable
              ) -> ObservedTable:
    return ObservedTable(key, title, dimension,
                         [*published.rows, str(_l("Ensemble"))],
                         [*published.cols, str(_l("Total"))], published.cells)


def _campaign_key(campaign: Campaign, *parts: Hashable) -> tuple[Hashable, ...]:
    """Keys of a campaign's figures: one population, so one name per margin everywhere."""
    return ("campaign", campaign.id, *parts)


def _campaign_tables(campaign: Campaign, responses: list[QuestionnaireResponse],
                     questions: list[dict[str, Any]]
                     ) -> list[tuple[_Indicator, str, Table]]:
    """Every (indicator × dimension) table of a campaign, with linked margins: the pupils of a
    stratum who answered a question are one key in every table that shows them."""
    specs: list[tuple[_Indicator, str, Table]] = []
    categories = {d: _categories(d) for d in DIMENSIONS}
    impossible = impossible_categories(campaign)
    for indicator in _indicators(questions):
        answered = [(r, v) for r in responses
                    if (v := _value(indicator, questions, r)) is not None]
        columns = [c for c, _ in indicator.columns]
        for dimension, cats in categories.items():
            counts = []
            for code, _label in cats:
                in_cat = [v for r, v in answered if _category(r, dimension) == code]
                counts.append(tuple(sum(1 for v in in_cat if v == c) for c in columns))
            # Declared only if the answers agree (a stray answer would make it a guess).
            absent = {code for code in impossible.get(dimension, set())
                      if all(_category(r, dimension) != code for r, _ in answered)}
            specs.append((indicator, dimension, Table(
                f"{campaign.id}/{indicator.key}/{dimension}",
                tuple(label for _, label in cats),
                tuple(str(label) for _, label in indicator.columns), tuple(counts),
                row_keys=tuple(_campaign_key(campaign, indicator.base, dimension, code)
                               for code, _ in cats),
                col_keys=tuple(_campaign_key(campaign, indicator.key, c) for c in columns),
                total_key=_campaign_key(campaign, indicator.base),
                structural_zeros=frozenset((i, j) for i, (code, _) in enumerate(cats)
                                           if code in absent for j in range(len(columns))))))
    return specs


def impossible_categories(campaign: Campaign) -> dict[str, set[str]]:
    """A campaign is for one level, so for one kind of school: no lycée pupil in a 3e one.
    Readers know it, so the audit counts those rows as zeros by construction."""
    kind = school_kind_for(campaign.level)
    return {"school_kind": {k.value for k in SchoolKind if k != kind}}


# What the audit of later releases needs, kept server-side ---------------------------------------

def _frozen_key(value: Any) -> Any:
    """JSON turned the keys' tuples into lists: turn them back (keys must be hashable)."""
    return tuple(_frozen_key(v) for v in value) if isinstance(value, list) else value


def _audit_json(published: PublishedTable) -> dict[str, Any]:
    table = published.table
    return {"name": table.name, "rows": list(table.rows), "cols": list(table.cols),
            "counts": [list(row) for row in table.counts],
            "row_keys": table.row_keys, "col_keys": table.col_keys,
            "total_key": table.total_key,
            "structural_zeros": sorted(list(cell) for cell in table.structural_zeros),
            "cells": published.cells}


def _from_audit_json(data: dict[str, Any]) -> PublishedTable:
    table = Table(data["name"], tuple(data["rows"]), tuple(data["cols"]),
                  tuple(tuple(row) for row in data["counts"]),
                  row_keys=_frozen_key(data["row_keys"]), col_keys=_frozen_key(data["col_keys"]),
                  total_key=_frozen_key(data["total_key"]),
                  structural_zeros=frozenset(
                      (i, j) for i, j in data.get("structural_zeros", [])))
    return PublishedTable(table, data["cells"])


def _earlier(year: int) -> list[PublishedTable]:
    """The releases a new release of ``year`` may share figures with: those of the same school
    year (the same pupils). Other years are other populations: no key in common."""
    return [_from_audit_json(data) for release in db.session.scalars(
        select(ObservatoryRelease).where(ObservatoryRelease.year == year)
        .order_by(ObservatoryRelease.id)) for data in release.audit_tables]


# Computing a release ----------------------------------------------------------------------------

def _require_closed(questionnaire: Questionnaire | None) -> Questionnaire:
    if questionnaire is None or questionnaire.state != QuestionnaireState.CLOSED:
        raise ServiceError(_l("Clôturez d'abord le questionnaire des élèves de cette "
                              "campagne : une publication se calcule une fois les réponses "
                              "closes."))
    return questionnaire


def _require_mixed(questionnaire: Questionnaire) -> None:
    """A release reads only answers whose storage was mixed after the last answer
    (docs/privacy.md): if an answer came after the last mixing, mix now, in this transaction."""
    if not responses_are_mixed(questionnaire):
        mix_responses(questionnaire)


def _release_scope(kind: ReleaseKind, value: int) -> str:
    return f"{kind.value}:{value}"


def close_questionnaire(actor: User | None, campaign: Campaign) -> Questionnaire:
    """Close the campaign's pupil questionnaire: the answers it has are the ones released."""
    require(actor, Action.STEER_OBSERVATORY, campaign)
    questionnaire = current_questionnaire(campaign, Respondent.PUPIL)
    if questionnaire is None:
        raise ServiceError(_l("Cette campagne n'a pas de questionnaire des élèves."))
    if questionnaire.state != QuestionnaireState.CLOSED:
        questionnaire.state = QuestionnaireState.CLOSED
        journal.record(actor, Event.QUESTIONNAIRE_CLOSED, questionnaire,
                       version=questionnaire.version)
        db.session.flush()
    return questionnaire


def compute_campaign_release(actor: User | None, campaign: Campaign) -> ObservatoryRelease:
    """The campaign's release, computed once from its closed questionnaire's answers."""
    require(actor, Action.STEER_OBSERVATORY, campaign)
    scope = _release_scope(ReleaseKind.CAMPAIGN, campaign.id)
    if db.session.scalar(select(ObservatoryRelease.id).where(ObservatoryRelease.scope == scope)):
        raise ServiceError(_l("Les chiffres de cette campagne sont déjà publiés ; une "
                              "publication ne se recalcule pas."))
    questionnaire = _require_closed(current_questionnaire(campaign, Respondent.PUPIL))
    _require_mixed(questionnaire)
    minimum = current_app.config["RELEASE_MIN_RESPONDENTS"]
    responses = _responses(campaign)
    if len(responses) < minimum:
        raise ServiceError(_l("Pas de publication avec moins de %(n)s réponses (cette "
                              "campagne : %(band)s).", n=minimum,
                              band=answer_band(len(responses))))
    versions = list(db.session.scalars(
        select(Questionnaire).where(Questionnaire.campaign_id == campaign.id,
                                    Questionnaire.respondent == Respondent.PUPIL)
        .order_by(Questionnaire.version)))
    with force_locale("fr"):  # a frozen release is written once, in French
        questions = questionnaire.questions or default_questionnaire(
            Respondent.PUPIL)["questions"]
        specs = _campaign_tables(campaign, responses, questions)
        published = suppress([table for *_, table in specs], THRESHOLD,
                             earlier=_earlier(campaign.year),
                             width=current_app.config["PROTECTION_WIDTH"])
        tables = [_observed(indicator.key, indicator.title, dimension, pub)
                  for (indicator, dimension, _), pub in zip(specs, published, strict=True)]
        invited_pupils = invited(campaign)
        release = ObservatoryRelease(
            kind=ReleaseKind.CAMPAIGN, year=campaign.year, campaign_id=campaign.id, scope=scope,
            created_by_id=actor.id if actor is not None else None,
            questionnaires=[{"campaign_id": campaign.id, "questionnaire_id": q.id,
                             "version": q.version} for q in versions],
            indicators=[i.definition() for i in _indicators(questions)],
            published={
                "title": campaign.name, "level": campaign.level.value,
                "invited": invited_pupils, "responses": len(responses),
                "response_rate": (round(len(responses) / invited_pupils, 2)
                                  if invited_pupils >= THRESHOLD else None),
                "tables": [t.as_json() for t in tables],
                "matching": _matching_headline(campaign)},
            audit_tables=[_audit_json(pub) for pub in published])
    db.session.add(release)
    db.session.flush()
    journal.record(actor, Event.OBSERVATORY_RELEASED, release, scope=scope)
    return release


def compute_annual_release(actor: User | None, year: int) -> ObservatoryRelease:
    """The annual report of ``year``: its campaigns' releases pooled by level.

    A pooled figure (the year's « oui », the year's respondents) is the sum of the campaigns'
    figures: it is published only when every part is, so it adds nothing to what the campaign
    releases already published (a sum of a hidden part would give that part away as soon as
    the other parts are known). Nothing new needs auditing; the campaign tables are the
    campaign releases' own, unchanged."""
    require(actor, Action.STEER_OBSERVATORY)
    scope = _release_scope(ReleaseKind.ANNUAL, year)
    if db.session.scalar(select(ObservatoryRelease.id).where(ObservatoryRelease.scope == scope)):
        raise ServiceError(_l("Le rapport annuel %(y)s est déjà publié.", y=year))
    campaigns_of_year = list(db.session.scalars(
        select(Campaign).where(Campaign.year == year).order_by(Campaign.level)))
    parts = [campaign_release(c) for c in campaigns_of_year]
    missing = [c.name for c, part in zip(campaigns_of_year, parts, strict=True) if part is None]
    if not campaigns_of_year or missing:
        raise ServiceError(_l("Publiez d'abord les chiffres de chaque campagne de l'année "
                              "(manquent : %(names)s).", names=", ".join(missing) or "—"))
    releases = [_shown(part) for part in parts if part is not None]
    definitions = [d for d in releases[0].row.indicators
                   if all(any(o["key"] == d["key"] for o in r.row.indicators)
                          for r in releases)]
    with force_locale("fr"):
        pooled = [_pooled_table(releases, d) for d in definitions]
        release = ObservatoryRelease(
            kind=ReleaseKind.ANNUAL, year=year, scope=scope,
            created_by_id=actor.id if actor is not None else None,
            questionnaires=[q for r in releases for q in r.row.questionnaires],
            indicators=definitions,
            published={"title": str(_l("Rapport annuel %(y)s", y=year)),
                       "campaign_releases": [r.row.id for r in releases],
                       "tables": [t.as_json() for t in pooled]},
            audit_tables=[])  # sums of published figures only: no hidden count behind them
    db.session.add(release)
    db.session.flush()
    journal.record(actor, Event.OBSERVATORY_RELEASED, release, scope=scope)
    return release


def _pooled_table(releases: Sequence[Release], definition: dict[str, Any]) -> ObservedTable:
    """Rows: each campaign (its level), then the year; columns: the indicator's answers. A
    campaign's line is its published column totals; the year's line their sums, where every
    part is published."""
    lines: list[list[int | None]] = []
    for release in releases:
        table = next(t for t in release.tables if t.key == definition["key"])
        lines.append(list(table.cells[-1]))
    year = [None if any(v is None for v in column) else sum(v for v in column if v is not None)
            for column in zip(*lines, strict=True)]
    return ObservedTable(definition["key"], definition["title"], LEVEL_DIMENSION,
                         [*(r.title for r in releases), str(_l("Ensemble"))],
                         [*(label for _, label in definition["columns"]), str(_l("Total"))],
                         [*lines, year])


# Reading releases (pages, exports) --------------------------------------------------------------

@dataclass
class Release:
    """A stored release as the pages show it: only published figures."""

    row: ObservatoryRelease
    tables: list[ObservedTable]

    @property
    def title(self) -> str:
        return str(self.row.published["title"])

    @property
    def summary(self) -> dict[str, Any]:
        return self.row.published

    def table(self, key: str, dimension: str) -> ObservedTable | None:
        return next((t for t in self.tables if t.key == key and t.dimension == dimension), None)

    def overall(self) -> list[tuple[str, str, float | None]]:
        """(indicator key, title, overall share) for each indicator, from its first table."""
        seen: dict[str, tuple[str, str, float | None]] = {}
        for table in self.tables:
            seen.setdefault(table.key, (table.key, table.title, table.overall_share()))
        return list(seen.values())

    def overall_share(self, key: str) -> float | None:
        return next((share for k, _, share in self.overall() if k == key), None)

    @property
    def matching(self) -> dict[str, Any] | None:
        matching: dict[str, Any] | None = self.row.published.get("matching")
        return matching


def _shown(row: ObservatoryRelease) -> Release:
    return Release(row, [ObservedTable(**t) for t in row.published["tables"]])


def releases(kind: ReleaseKind | None = None) -> list[Release]:
    """Every release, oldest school year first (the evolution over the years)."""
    query = select(ObservatoryRelease).order_by(ObservatoryRelease.year, ObservatoryRelease.id)
    if kind is not None:
        query = query.where(ObservatoryRelease.kind == kind)
    return [_shown(row) for row in db.session.scalars(query)]


def get_release(release_id: int) -> Release | None:
    row = db.session.get(ObservatoryRelease, release_id)
    return _shown(row) if row is not None else None


def campaign_release(campaign: Campaign) -> ObservatoryRelease | None:
    return db.session.scalar(select(ObservatoryRelease).where(
        ObservatoryRelease.scope == _release_scope(ReleaseKind.CAMPAIGN, campaign.id)))


def annual_release(year: int) -> Release | None:
    row = db.session.scalar(select(ObservatoryRelease).where(
        ObservatoryRelease.scope == _release_scope(ReleaseKind.ANNUAL, year)))
    return _shown(row) if row is not None else None


@dataclass
class CampaignStatus:
    """What the steering group sees of a campaign before (and after) its release."""

    campaign: Campaign
    questionnaire: Questionnaire | None
    band: str
    release: ObservatoryRelease | None

    @property
    def closed(self) -> bool:
        return (self.questionnaire is not None
                and self.questionnaire.state == QuestionnaireState.CLOSED)


def campaign_statuses() -> list[CampaignStatus]:
    """Every campaign, newest first, with its answers in bands and its release if any."""
    return [CampaignStatus(c, current_questionnaire(c, Respondent.PUPIL),
                           answer_band(answer_count(c)), campaign_release(c))
            for c in db.session.scalars(select(Campaign).order_by(Campaign.year.desc(),
                                                                  Campaign.level))]


def release_years() -> list[int]:
    return sorted(set(db.session.scalars(select(ObservatoryRelease.year))))


# The matching audit's headline, frozen with the release -----------------------------------------

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


def _matching_headline(campaign: Campaign) -> dict[str, Any] | None:
    audit = matching_audit(campaign)
    if audit is None:
        return None
    return {"figures": [[str(name), value] for name, value in audit.figures],
            "audit_available": audit.audit_available}


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


# Exports ----------------------------------------------------------------------------------------

CSV_HEADER = ["publication", "indicateur", "dimension", "ligne", "colonne", "effectif"]


def csv_rows(release: Release) -> list[list[Any]]:
    """One line per published cell; hidden cells say "secret" (never a number)."""
    rows: list[list[Any]] = []
    if "responses" in release.summary:
        rows.append([release.title, str(_l("Réponses")), "", "", "",
                     release.summary["responses"]])
    for table in release.tables:
        for label, row in zip(table.rows, table.cells, strict=True):
            for col, value in zip(table.cols, row, strict=True):
                rows.append([release.title, table.title, str(DIMENSION_LABELS[table.dimension]),
                             label, col, "secret" if value is None else value])
    return rows
