"""The matching audit of the demo's round, read by an adversary who has only the printed
tables: no group shown "secret" can be recovered by subtracting from the number of pupils, by
the gap of its complement, or from a share; the gender × sector table prints no share computed
from a secret count, and read with the other tables it pins no secret below the width."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import Campaign, CampaignState, MatchingRun, Role, RunState, User
from stagebourse.services.demo import seed_demo
from stagebourse.services.matching_report import audit_tables
from tests.observatory import attacker
from tests.observatory.test_demo_tables import HISTORY_ONLY

WIDTH = 11
SECRET = "secret"


@dataclass
class Read:
    """A table as the adversary writes it down: cells (None = secret), and a name per cell."""

    names: list[list[object]]
    cells: list[list[int | None]]

    @property
    def table(self) -> Read:
        return self

    def key(self, i: int, j: int) -> object:
        return self.names[i][j]


def _number(text: str) -> float | None:
    if text in (SECRET, "—"):
        return None
    return float(re.sub(r"[^\d,.-]", "", text).replace(",", "."))


def _column(name: str, values: list[int | None], total: int | None, keys: list[object],
            total_key: object) -> Read:
    return Read([[k, k] for k in keys] + [[total_key, total_key]],
                [[v, v] for v in values] + [[total, total]])


def test_the_demo_round_audit_recovers_no_secret_group(app):
    seed_demo(today=dt.date(2026, 11, 28), size=HISTORY_ONLY)
    campaign = db.session.scalars(select(Campaign).where(
        Campaign.state == CampaignState.FINISHED)).one()
    run = db.session.scalars(select(MatchingRun).where(
        MatchingRun.campaign_id == campaign.id, MatchingRun.state == RunState.PUBLISHED)).one()
    steering = db.session.scalar(select(User).where(User.role == Role.STEERING))
    tables = {t.id: t for t in audit_tables(steering, run)}
    overall = next(r for r in tables["overall"].rows if r[0] == "Bourse (optimal)")
    pupils, placed = int(overall[1]), int(overall[2])

    sizes: list[Read] = []
    placed_by_gender: dict[str, int | None] = {}
    secrets = 0
    for table_id, table in tables.items():
        if not table_id.startswith("label-"):
            continue
        rows = [r for r in table.rows if r[1] == "Bourse (optimal)"]
        values: list[int | None] = []
        for group, _m, size, placed_text, *figures, gap in rows:
            if size == SECRET:
                secrets += 1
                # No figure of a secret group: a rate or a gap would give its size back.
                assert placed_text == gap == "—" and set(figures) == {"—"}, table_id
                values.append(None)
            else:
                values.append(int(size))
                # The complement's gap: the rest must be a group of at least the width.
                assert gap == "—" or pupils - int(size) >= WIDTH, (table_id, group)
            if table_id == "label-gender":
                placed_by_gender[group] = None if size == SECRET else int(placed_text)
        # Subtraction and bounds: the sizes add up to the number of pupils.
        sizes.append(_column(table_id, values, pupils, [(table_id, r[0]) for r in rows],
                             "pupils"))
    assert secrets, "the demo's round has small groups (5 pupils with a disability)"
    assert attacker.pinned(sizes, WIDTH) == {}

    table = tables["gender-sector-optimal"]
    genders = [h.split(" : ")[0] for h in table.header[3::3]]
    wished_cells, placed_cells, names_w, names_p = [], [], [], []
    for row in table.rows:
        sector, wished_text, placed_text, *per_gender = row
        wished, placed_in = _number(wished_text), _number(placed_text)
        w_row: list[int | None] = []
        p_row: list[int | None] = []
        for k in range(len(genders)):
            wish_share, placed_share, _index = per_gender[3 * k:3 * k + 3]
            share = _number(wish_share)
            # A share is printed only beside its printed total: it gives a count back.
            assert share is None or wished is not None, (sector, wish_share)
            w_row.append(None if share is None else round(share / 100 * wished))
            share = _number(placed_share)
            assert share is None or placed_in is not None, (sector, placed_share)
            p_row.append(None if share is None else round(share / 100 * placed_in))
        wished_cells.append(w_row + [None if wished is None else int(wished)])
        placed_cells.append(p_row + [None if placed_in is None else int(placed_in)])
        names_w.append([("w", sector, g) for g in genders] + [("w", sector)])
        names_p.append([("p", sector, g) for g in genders] + [("p", sector)])
        for count in w_row + p_row:
            assert count is None or count >= WIDTH, (sector, row)
    # Column totals are not printed, except what the gender table shows: each shown gender
    # group's placed count, and the number placed.
    wished_cells.append([None] * (len(genders) + 1))
    names_w.append([("w", g) for g in genders] + ["wishes"])
    placed_cells.append([None] * len(genders) + [placed])
    names_p.append([("placed", g) for g in genders] + ["placed"])
    by_gender = _column("placed by gender", [placed_by_gender.get(g) for g in genders], placed,
                        [("placed", g) for g in genders], "placed")
    found = attacker.pinned([Read(names_w, wished_cells), Read(names_p, placed_cells),
                             by_gender], WIDTH)
    assert found == {}
