"""What hosts decided on the proposals of published rounds: counted by group of pupils (for
the round's audit and the observatory) and per host (for the steering group).

A host decides twice: before the reveal it sees a blind proposal (week, level, age,
accessibility) and may decline it with a reason; after the reveal (both sides confirmed, the
host learns the pupil's name, school and contacts) it can only ask the steering group to
withdraw the placement. Refusals before the reveal cannot depend on who the pupil is; requests
after it can. Comparing the two by group is the measure of name-based refusal the plan asks
to make visible.

Every proposal falls in exactly one column (``OUTCOMES``), so a row's total is its number of
proposals and the tables go through the observatory's cell suppression (``suppress``) with
their margins: no count under the threshold is shown, and no hidden count can be recomputed
from the published ones, within a table or across the tables of a round or campaign (they
share their column totals and grand total). A share is given only when every count it is
computed from is published.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import (
    Assignment,
    AssignmentState,
    Campaign,
    Company,
    DeclinedBy,
    MatchingRun,
    Offer,
    Pupil,
    RunState,
    User,
    WithdrawalRequest,
    WithdrawalState,
)
from stagebourse.observatory.suppression import THRESHOLD, PublishedTable, Table, suppress
from stagebourse.services.policy import Action, require

# The outcome of a proposal, as far as the host is concerned (one column each).
BEFORE = "declined_before"  # declined by the host before the reveal
WITHDRAWN = "withdrawal_accepted"  # after the reveal, withdrawal asked and accepted
ASKED = "withdrawal_not_accepted"  # after the reveal, withdrawal asked, refused or pending
KEPT = "revealed_kept"  # revealed, no withdrawal asked
NOT_REVEALED = "not_revealed"  # no reveal: the pupil declined, the deadline, still waiting
OUTCOMES = (BEFORE, WITHDRAWN, ASKED, KEPT, NOT_REVEALED)
OUTCOME_TITLES = {
    BEFORE: _l("Refusées avant la levée de l'anonymat"),
    WITHDRAWN: _l("Retrait demandé après, accordé"),
    ASKED: _l("Retrait demandé après, refusé ou en attente"),
    KEPT: _l("Levée de l'anonymat, sans demande de retrait"),
    NOT_REVEALED: _l("Sans levée de l'anonymat (refus de l'élève, délai, en attente)"),
}

UNKNOWN = "unknown"
DIMENSIONS = {
    "gender": _l("Genre"),
    "qpv": _l("Résidence en QPV"),
    "school_kind": _l("Type d'établissement"),
    "disability": _l("Handicap (lieu accessible)"),
}
_CATEGORIES: dict[str, tuple[tuple[str, object], ...]] = {
    "gender": (("F", _l("filles")), ("M", _l("garçons")), ("X", _l("autre")),
               (UNKNOWN, _l("non renseigné"))),
    "qpv": (("yes", _l("oui")), ("no", _l("non")), (UNKNOWN, _l("non renseigné"))),
    "school_kind": (("college", _l("collège")), ("lycee", _l("lycée"))),
    "disability": (("yes", _l("oui")), ("no", _l("non"))),
}
_GROUP_OF: dict[str, Callable[[Pupil], str]] = {
    "gender": lambda p: p.gender.value if p.gender is not None else UNKNOWN,
    "qpv": lambda p: UNKNOWN if p.qpv_resident is None else ("yes" if p.qpv_resident else "no"),
    "school_kind": lambda p: p.school.kind.value,
    "disability": lambda p: "yes" if p.needs_accessible else "no",
}


def _outcome(assignment: Assignment, requests: list[WithdrawalRequest]) -> str:
    if assignment.declined_by == DeclinedBy.COMPANY:
        return BEFORE
    if any(r.state == WithdrawalState.ACCEPTED for r in requests) \
            or assignment.declined_by == DeclinedBy.WITHDRAWN:
        return WITHDRAWN
    if requests:
        return ASKED
    if assignment.pupil_confirmed_at is not None and assignment.company_confirmed_at is not None:
        return KEPT
    return NOT_REVEALED


def _proposals(runs: Iterable[int], company: Company | None = None
               ) -> list[tuple[Assignment, str]]:
    """The assignments published to hosts by these runs (to one host's offers if given), each
    with its outcome."""
    run_ids = list(runs)
    if not run_ids:
        return []
    query = select(Assignment).where(Assignment.run_id.in_(run_ids),
                                     Assignment.state != AssignmentState.PROPOSED)
    if company is not None:
        query = query.join(Offer, Offer.id == Assignment.offer_id).where(
            Offer.company_id == company.id)
    assignments = list(db.session.scalars(query.order_by(Assignment.id)))
    requests: dict[int, list[WithdrawalRequest]] = {}
    if assignments:
        for request in db.session.scalars(select(WithdrawalRequest).where(
                WithdrawalRequest.assignment_id.in_([a.id for a in assignments]))):
            requests.setdefault(request.assignment_id, []).append(request)
    return [(a, _outcome(a, requests.get(a.id, []))) for a in assignments]


@dataclass
class DecisionTable:
    """One published (suppressed) table: proposals of a group by outcome."""

    key: str
    dimension: str
    title: str
    published: PublishedTable

    @property
    def rows(self) -> list[str]:
        return [*self.published.rows, str(_l("Ensemble"))]

    @property
    def cols(self) -> list[str]:
        return [*self.published.cols, str(_l("Propositions"))]

    @property
    def cells(self) -> list[list[int | None]]:
        return self.published.cells

    def requests(self, row: int) -> int | None:
        """Withdrawal requests of a row (accepted + not accepted), if both are published."""
        accepted, other = (self.cells[row][OUTCOMES.index(c)] for c in (WITHDRAWN, ASKED))
        return None if accepted is None or other is None else accepted + other

    def csv_header(self) -> list[str]:
        return [str(DIMENSIONS[self.dimension]), *self.cols]

    def csv_rows(self) -> list[list[object]]:
        """Hidden counts are written « masqué », as the page shows them."""
        hidden = str(_l("masqué"))
        return [[label, *(hidden if v is None else v for v in row)]
                for label, row in zip(self.rows, self.cells, strict=True)]


def _tables(prefix: str, pairs: list[tuple[Assignment, str]], threshold: int
            ) -> list[DecisionTable]:
    """One table per dimension; the dimensions share their column totals and grand total."""
    specs: list[tuple[str, Table]] = []
    for dimension, categories in _CATEGORIES.items():
        group_of = _GROUP_OF[dimension]
        counts = {code: [0] * len(OUTCOMES) for code, _ in categories}
        for assignment, outcome in pairs:
            counts[group_of(assignment.pupil)][OUTCOMES.index(outcome)] += 1
        col_keys: tuple[Hashable, ...] = tuple((prefix, c) for c in OUTCOMES)
        specs.append((dimension, Table(
            f"{prefix}/{dimension}", tuple(str(label) for _, label in categories),
            tuple(str(OUTCOME_TITLES[c]) for c in OUTCOMES),
            tuple(tuple(counts[code]) for code, _ in categories),
            col_keys=col_keys, total_key=(prefix, "proposals"))))
    published = suppress([table for _, table in specs], threshold)
    return [DecisionTable(dimension, dimension,
                          str(_l("Décisions des structures, selon : %(d)s",
                                 d=str(DIMENSIONS[dimension]).lower())), pub)
            for (dimension, _), pub in zip(specs, published, strict=True)]


def audit_min_cell() -> int:
    return int(current_app.config.get("AUDIT_MIN_CELL", THRESHOLD))


def run_tables(actor: User, run: MatchingRun) -> list[DecisionTable]:
    """The round's host decisions by group, under the audit's small-group rule; none for a
    run that was never published (nothing was proposed to hosts)."""
    require(actor, Action.STEER_MATCHING, run)
    if run.state != RunState.PUBLISHED:
        return []
    return _tables(f"run-{run.id}", _proposals([run.id]), audit_min_cell())


# The observatory: refusals before vs after the names are known ---------------------------------

@dataclass
class RefusalGap:
    """For one group: the share of proposals refused blind, the share of revealed placements
    whose host asked for a withdrawal, and the gap (after - before), in points; None when a
    count it needs is hidden."""

    group: str
    before: float | None
    after: float | None

    @property
    def gap(self) -> float | None:
        return None if self.before is None or self.after is None else self.after - self.before


def _gap(group: str, row: list[int | None]) -> RefusalGap:
    before, withdrawn, asked, kept = (row[OUTCOMES.index(c)]
                                      for c in (BEFORE, WITHDRAWN, ASKED, KEPT))
    proposals = row[-1]
    before_share = None if before is None or not proposals else before / proposals
    after_share: float | None = None
    if withdrawn is not None and asked is not None and kept is not None \
            and withdrawn + asked + kept:
        after_share = (withdrawn + asked) / (withdrawn + asked + kept)
    return RefusalGap(group, before_share, after_share)


@dataclass
class NameRefusals:
    campaign: Campaign
    proposals: int  # every proposal of the campaign's published rounds (not published itself
    # when under the threshold: see ``tables``)
    tables: list[DecisionTable]

    def gaps(self, table: DecisionTable) -> list[RefusalGap]:
        return [_gap(label, row) for label, row in zip(table.rows, table.cells, strict=True)]


def name_refusals(campaign: Campaign) -> NameRefusals:
    """The observatory's indicator for a campaign: every published round's proposals, by
    group, under the observatory's threshold."""
    runs = db.session.scalars(select(MatchingRun.id).where(
        MatchingRun.campaign_id == campaign.id, MatchingRun.state == RunState.PUBLISHED))
    pairs = _proposals(runs)
    return NameRefusals(campaign, len(pairs),
                        _tables(f"campaign-{campaign.id}", pairs, THRESHOLD))


# Per host ----------------------------------------------------------------------------------

@dataclass
class HostDecisions:
    """One host's decisions in one campaign (the steering group's own view: no pupil in it)."""

    campaign: Campaign
    proposals: int
    declined_before: int
    withdrawal_requests: int
    withdrawals_accepted: int

    @property
    def refusals(self) -> int:
        return self.declined_before + self.withdrawal_requests


@dataclass
class HostRecord:
    company: Company
    campaigns: list[HostDecisions]
    threshold: int

    @property
    def refusals(self) -> int:
        return sum(c.refusals for c in self.campaigns)

    @property
    def flagged(self) -> bool:
        """Declines before the reveal and withdrawal requests, over every campaign, reach the
        steering group's threshold (``HOST_REFUSAL_ALERT``)."""
        return self.refusals >= self.threshold


def host_record(actor: User, company: Company) -> HostRecord:
    require(actor, Action.STEER_COMPANIES, company)
    # Distinct ids, then the runs: PostgreSQL cannot compare the runs' JSON columns.
    run_ids = set(db.session.scalars(
        select(MatchingRun.id).join(Assignment, Assignment.run_id == MatchingRun.id)
        .join(Offer, Offer.id == Assignment.offer_id)
        .where(Offer.company_id == company.id, MatchingRun.state == RunState.PUBLISHED)
        .distinct()))
    runs = {run.id: run for run in db.session.scalars(
        select(MatchingRun).where(MatchingRun.id.in_(run_ids)))} if run_ids else {}
    by_campaign: dict[int, HostDecisions] = {}
    for assignment, outcome in _proposals(runs, company):
        campaign = runs[assignment.run_id].campaign
        row = by_campaign.setdefault(campaign.id, HostDecisions(campaign, 0, 0, 0, 0))
        row.proposals += 1
        row.declined_before += outcome == BEFORE
        row.withdrawal_requests += outcome in (WITHDRAWN, ASKED)
        row.withdrawals_accepted += outcome == WITHDRAWN
    rows = sorted(by_campaign.values(), key=lambda r: (r.campaign.year, r.campaign.level.value))
    return HostRecord(company, rows, int(current_app.config["HOST_REFUSAL_ALERT"]))
