"""Host decisions counted by group (round audit, observatory) and per host (steering page).

The suppression test plays the adversary: it counts the truth from the rows itself, then
checks that every published figure is the truth, that no published figure is under the
threshold, and that no hidden count can be recomputed by subtraction from a published total,
within a table or from another table of the same round."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import (
    Assignment,
    DeclinedBy,
    MatchingRun,
    WithdrawalState,
)
from stagebourse.services import host_decision_figures as figures
from tests.scenarios import (
    ASKED_AFTER,
    DECLINED_BEFORE,
    KEPT_AFTER,
    WITHDRAWN_AFTER,
    round_with_host_decisions,
)

pytestmark = pytest.mark.database

def truth(proposals: list[Assignment], group_of) -> dict[str, list[int]]:  # noqa: ANN001
    """Counts by group, from the rows: before, accepted, asked, kept, the rest."""
    counts: dict[str, list[int]] = {}
    for a in proposals:
        requests = list(a.withdrawal_requests)
        if a.declined_by == DeclinedBy.COMPANY:
            column = 0
        elif any(r.state == WithdrawalState.ACCEPTED for r in requests):
            column = 1
        elif requests:
            column = 2
        elif a.pupil_confirmed_at and a.company_confirmed_at:
            column = 3
        else:
            column = 4
        counts.setdefault(group_of(a.pupil), [0] * 5)[column] += 1
    return counts


GROUPS = {
    "gender": lambda p: {"F": "filles", "M": "garçons", "X": "autre"}.get(
        p.gender.value if p.gender else "", "non renseigné"),
    "disability": lambda p: "oui" if p.needs_accessible else "non",
}


def test_published_figures_are_true_and_hidden_ones_cannot_be_recomputed(app: Flask) -> None:
    steering, _campaign, run, proposals = round_with_host_decisions()
    threshold = app.config["AUDIT_MIN_CELL"]
    tables = {t.dimension: t for t in figures.run_tables(steering, run)}
    assert set(tables) == {"gender", "qpv", "school_kind", "disability"}
    column_totals: dict[int, set[object]] = {}
    hidden_seen = 0
    for dimension, group_of in GROUPS.items():
        table = tables[dimension]
        counts = truth(proposals, group_of)
        grid = [counts.get(label, [0] * 5) for label in table.rows[:-1]]
        grid = [[*row, sum(row)] for row in grid]
        grid.append([sum(col) for col in zip(*grid, strict=True)])
        assert grid[-1][-1] == len(proposals)
        for i, row in enumerate(table.cells):
            for j, shown in enumerate(row):
                if shown is None:
                    hidden_seen += 1
                    continue
                assert shown == grid[i][j], (dimension, i, j)
                assert shown >= threshold, (dimension, i, j, shown)
        # Subtraction: a line whose total is published has 0 or 2+ hidden cells, and those
        # hidden cells add up to at least the threshold.
        for i, row in enumerate(table.cells):
            if row[-1] is not None:
                hidden = [j for j in range(len(row) - 1) if row[j] is None]
                assert len(hidden) != 1, (dimension, "row", i)
                assert not hidden or sum(grid[i][j] for j in hidden) >= threshold
        for j in range(len(grid[0])):
            column = [row[j] for row in table.cells]
            if column[-1] is not None:
                hidden = [i for i, v in enumerate(column[:-1]) if v is None]
                assert len(hidden) != 1, (dimension, "column", j)
                assert not hidden or sum(grid[i][j] for i in hidden) >= threshold
            column_totals.setdefault(j, set()).add(column[-1])
    # The tables share their column totals: each one is published in all or in none.
    for j, values in column_totals.items():
        assert len(values) == 1, f"column {j} total differs between tables: {values}"
    assert hidden_seen  # the small declines are hidden, not shown
    # A share is never computed from a hidden count.
    for table in tables.values():
        for i in range(len(table.rows)):
            asked = table.requests(i)
            accepted, other = table.cells[i][1], table.cells[i][2]
            assert (asked is None) == (accepted is None or other is None)


def test_the_observatory_gap_uses_published_counts_only(app: Flask) -> None:
    _steering, campaign, _run, proposals = round_with_host_decisions()
    refusals = figures.name_refusals(campaign)
    assert refusals.proposals == len(proposals)
    overall = refusals.tables[0]
    gaps = refusals.gaps(overall)
    whole = gaps[-1]
    row = overall.cells[-1]
    if row[0] is not None and row[-1] is not None:
        assert whole.before == pytest.approx(DECLINED_BEFORE / len(proposals))
    if None not in (row[1], row[2], row[3]):
        assert whole.after == pytest.approx((WITHDRAWN_AFTER + ASKED_AFTER)
                                            / (WITHDRAWN_AFTER + ASKED_AFTER + KEPT_AFTER))
    for table in refusals.tables:
        for gap, cells in zip(refusals.gaps(table), table.cells, strict=True):
            if gap.before is not None:
                assert cells[0] is not None and cells[-1] is not None
            if gap.after is not None:
                assert None not in (cells[1], cells[2], cells[3])
            assert (gap.gap is None) == (gap.before is None or gap.after is None)


def test_a_host_is_counted_and_flagged_beyond_the_threshold(app: Flask) -> None:
    steering, campaign, run, proposals = round_with_host_decisions()
    company = proposals[0].offer.company
    mine = [a for a in proposals if a.offer.company_id == company.id]
    expected = {
        "proposals": len(mine),
        "before": sum(a.declined_by == DeclinedBy.COMPANY for a in mine),
        "asked": sum(bool(a.withdrawal_requests) for a in mine),
        "accepted": sum(a.declined_by == DeclinedBy.WITHDRAWN for a in mine),
    }
    app.config["HOST_REFUSAL_ALERT"] = expected["before"] + expected["asked"]
    record = figures.host_record(steering, company)
    [row] = record.campaigns
    assert (row.proposals, row.declined_before, row.withdrawal_requests,
            row.withdrawals_accepted) == tuple(expected.values())
    assert row.campaign == campaign and record.flagged
    app.config["HOST_REFUSAL_ALERT"] += 1
    assert not figures.host_record(steering, company).flagged
    # A dry run proposes nothing to hosts: nothing to count.
    dry = db.session.scalars(select(MatchingRun).where(MatchingRun.id != run.id)).first()
    assert dry is None or figures.run_tables(steering, dry) == []
