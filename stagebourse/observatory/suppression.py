"""Cell suppression for published count tables: primary and secondary.

A table of counts is published with its row totals, column totals and grand total. Every cell
(margins included) under the threshold is hidden (*primary* suppression). That is not enough:
a hidden cell alone in its row could be recomputed as ``row total - published cells``. So more
cells are hidden (*secondary* suppression) until no hidden value is determined by the published
ones, by any linear combination of the table's equations — subtraction from one total, or a
chain of them across rows, columns and linked tables.

Method. Write the table with its margins negated; every row and every column of this augmented
table then sums to zero. Unknowns are the hidden cells; published cells move to the right-hand
side. A hidden cell is determined exactly when its unit vector lies in the row space of the
equations restricted to the unknowns, i.e. when every vector of the null space is zero on it.
We compute that null space (SVD), and while some hidden cell is determined, hide the cheapest
cells completing a rectangle through it (a 4-cycle of hidden cells gives it a free direction),
preferring few and small cells and never the grand total if avoidable.

Tables can be *linked*: the same quantity (e.g. the number of respondents in a stratum who
answered a question) appears in several tables. Give those cells the same key; a key is one
unknown everywhere, hidden everywhere or nowhere, and the check runs on all the equations
together, so nothing can be recovered by combining tables either.

Bounds are protected too: when a line's total is published, the cells hidden in that line must
add up to at least the threshold, else each of them would be known to be small (all 0 when the
sum is 0: "100 % of this group answered yes"). Such a line gets one more hidden cell (or its
total hidden). A hidden cell is still bounded by 0 and its line totals; it is never pinned down
to a value or to a range narrower than the threshold by one line.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np

THRESHOLD = 11  # cells under 11 respondents are never published
_GRAND_TOTAL_COST = 1_000  # hide the grand total only when nothing else works


@dataclass(frozen=True)
class Table:
    """Counts by row and column. Margins are computed; their keys link tables together.

    ``row_keys[i]`` names the total of row ``i``, ``col_keys[j]`` the total of column ``j``,
    ``total_key`` the grand total. Cells of different tables with equal keys must be equal.
    """

    name: str
    rows: tuple[str, ...]
    cols: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]
    row_keys: tuple[Hashable, ...] | None = None
    col_keys: tuple[Hashable, ...] | None = None
    total_key: Hashable | None = None

    def __post_init__(self) -> None:
        if not self.rows or not self.cols:
            raise ValueError(f"table {self.name!r}: at least one row and one column are needed")
        if len(self.counts) != len(self.rows) or any(
                len(row) != len(self.cols) for row in self.counts):
            raise ValueError(f"table {self.name!r}: counts must be {len(self.rows)} rows of "
                             f"{len(self.cols)} values")
        if any(value < 0 for row in self.counts for value in row):
            raise ValueError(f"table {self.name!r}: counts cannot be negative")
        if self.row_keys is not None and len(self.row_keys) != len(self.rows):
            raise ValueError(f"table {self.name!r}: one row key per row")
        if self.col_keys is not None and len(self.col_keys) != len(self.cols):
            raise ValueError(f"table {self.name!r}: one column key per column")

    @property
    def grid(self) -> list[list[int]]:
        """The augmented table: counts, a total column, a total row."""
        rows = [list(row) + [sum(row)] for row in self.counts]
        totals = [sum(row[j] for row in rows) for j in range(len(self.cols) + 1)]
        return rows + [totals]

    def key(self, i: int, j: int) -> Hashable:
        """The key of augmented cell (i, j); ``i == len(rows)`` / ``j == len(cols)`` are totals."""
        r, c = len(self.rows), len(self.cols)
        if i == r and j == c:
            return self.total_key if self.total_key is not None else (self.name, "total")
        if j == c:
            return self.row_keys[i] if self.row_keys is not None else (self.name, "row", i)
        if i == r:
            return self.col_keys[j] if self.col_keys is not None else (self.name, "col", j)
        return (self.name, "cell", i, j)


@dataclass
class PublishedTable:
    """The augmented grid with ``None`` where a value is hidden."""

    table: Table
    cells: list[list[int | None]] = field(default_factory=list)

    @property
    def rows(self) -> tuple[str, ...]:
        return self.table.rows

    @property
    def cols(self) -> tuple[str, ...]:
        return self.table.cols

    def hidden_count(self) -> int:
        return sum(value is None for row in self.cells for value in row)


class _System:
    """The linear equations of every table, over one variable per key."""

    def __init__(self, tables: Sequence[Table]) -> None:
        self.tables = tables
        # Variables already published or hidden by an earlier release: never changed.
        self.frozen: set[int] = set()
        self.index: dict[Hashable, int] = {}
        self.values: list[int] = []
        self.occurrences: list[tuple[int, int, int]] = []  # first (table, i, j) of each key
        equations: list[dict[int, int]] = []
        self.lines: list[tuple[list[int], int]] = []  # (cells, total) of every row and column
        for t, table in enumerate(tables):
            grid = table.grid
            height, width = len(grid), len(grid[0])
            ids = [[self._variable(table.key(i, j), grid[i][j], (t, i, j))
                    for j in range(width)] for i in range(height)]
            for i in range(height):  # each row: cells - total = 0
                self.lines.append((ids[i][:-1], ids[i][-1]))
            for j in range(width):  # each column: cells - total = 0
                self.lines.append(([ids[i][j] for i in range(height - 1)], ids[-1][j]))
            for cells, total in self.lines[len(equations):]:
                equations.append(self._equation(cells, total))
        self.matrix = np.zeros((len(equations), len(self.values)))
        for e, equation in enumerate(equations):
            for variable, coefficient in equation.items():
                self.matrix[e, variable] += coefficient

    def _variable(self, key: Hashable, value: int, where: tuple[int, int, int]) -> int:
        if key in self.index:
            known = self.values[self.index[key]]
            if known != value:
                raise ValueError(f"linked cell {key!r} has two values: {known} and {value}")
            return self.index[key]
        self.index[key] = len(self.values)
        self.values.append(value)
        self.occurrences.append(where)
        return self.index[key]

    @staticmethod
    def _equation(parts: list[int], total: int) -> dict[int, int]:
        equation: dict[int, int] = {}
        for variable in parts:
            equation[variable] = equation.get(variable, 0) + 1
        equation[total] = equation.get(total, 0) - 1
        return equation

    def thin_lines(self, hidden: set[int], threshold: int) -> list[tuple[list[int], int]]:
        """Lines whose total is published while their hidden cells add up to less than the
        threshold: each of those cells is then known to be small (0 if the sum is 0)."""
        thin = []
        for cells, total in self.lines:
            if total in hidden:
                continue
            masked = [v for v in cells if v in hidden]
            if masked and sum(self.values[v] for v in masked) < threshold:
                thin.append((cells, total))
        return thin

    def determined(self, hidden: set[int]) -> list[int]:
        """Hidden variables whose value follows from the published ones."""
        unknowns = sorted(hidden)
        if not unknowns:
            return []
        sub = self.matrix[:, unknowns]
        sub = sub[np.abs(sub).sum(axis=1) > 0]  # equations without unknowns say nothing
        if sub.shape[0] == 0:
            return []
        # e_k lies in the row space iff its projection on it, sum of squares of the k-th
        # coordinates of the row space's orthonormal basis, is 1.
        _, singular, vt = np.linalg.svd(sub, full_matrices=False)
        rank = int((singular > 1e-9 * max(1.0, singular[0])).sum())
        projection = (vt[:rank] ** 2).sum(axis=0)
        free = projection < 1 - 1e-6
        return [v for v, is_free in zip(unknowns, free, strict=True) if not is_free]


def determined_keys(tables: Sequence[Table], hidden: set[Hashable]) -> set[Hashable]:
    """The hidden keys an attacker can recompute from everything else (for tests and audits)."""
    system = _System(tables)
    ids = {system.index[key] for key in hidden if key in system.index}
    keys = {v: k for k, v in system.index.items()}
    return {keys[v] for v in system.determined(ids)}


def suppress(tables: Sequence[Table], threshold: int = THRESHOLD, *,
             earlier: Sequence[PublishedTable] = ()) -> list[PublishedTable]:
    """Hide every cell under ``threshold`` and enough others that none can be recomputed.

    ``earlier`` are tables already published (an earlier release of the same population),
    with their true counts: they are audited jointly with the new ones through their shared
    keys. What they published stays published, what they hid stays hidden, and the new tables
    are suppressed so that nothing of either can be recomputed. Only the new tables are
    returned.

    Deterministic: the same tables give the same published tables. Tables that share no key
    are solved separately (same result, much smaller systems).
    """
    if threshold < 1:
        raise ValueError("threshold must be at least 1")
    everything = [*(p.table for p in earlier), *tables]
    frozen: dict[Hashable, bool] = {}  # key -> hidden, for every cell of an earlier release
    for old in earlier:
        for i, row in enumerate(old.cells):
            for j, value in enumerate(row):
                frozen[old.table.key(i, j)] = value is None
    results: dict[int, PublishedTable] = {}
    for group in _linked_groups(everything):
        published = _suppress_linked([everything[i] for i in group], threshold, frozen)
        for index, table in zip(group, published, strict=True):
            results[index] = table
    return [results[i] for i in range(len(earlier), len(everything))]


def _linked_groups(tables: Sequence[Table]) -> list[list[int]]:
    parent = list(range(len(tables)))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    owner: dict[Hashable, int] = {}
    for t, table in enumerate(tables):
        for i in range(len(table.rows) + 1):
            for j in range(len(table.cols) + 1):
                key = table.key(i, j)
                if key in owner:
                    parent[find(t)] = find(owner[key])
                else:
                    owner[key] = t
    groups: dict[int, list[int]] = {}
    for t in range(len(tables)):
        groups.setdefault(find(t), []).append(t)
    return list(groups.values())


def _suppress_linked(tables: Sequence[Table], threshold: int,
                     frozen: dict[Hashable, bool]) -> list[PublishedTable]:
    system = _System(tables)
    keys = {v: k for k, v in system.index.items()}
    system.frozen = {v for v, key in keys.items() if key in frozen}
    hidden = {v for v, value in enumerate(system.values)
              if (frozen[keys[v]] if keys[v] in frozen else value < threshold)}
    while True:
        widened = _widen_thin_lines(system, hidden, threshold)
        if widened:
            hidden |= widened
            continue
        determined = system.determined(hidden)
        if not determined:
            break
        # One fix per table and round: fewer rounds, each fix is local to its table.
        added: set[int] = set()
        fixed_tables: set[int] = set()
        for variable in determined:
            owner = system.occurrences[variable][0]
            if owner in fixed_tables or variable in added:
                continue
            fixed_tables.add(owner)
            added |= _complement(system, hidden | added, variable)
        if not added:  # pragma: no cover - cannot happen: all hidden means none determined
            raise RuntimeError("secondary suppression found no cell to hide")
        hidden |= added
    published = []
    for table in tables:
        grid = table.grid
        cells: list[list[int | None]] = [
            [None if system.index[table.key(i, j)] in hidden else grid[i][j]
             for j in range(len(grid[0]))] for i in range(len(grid))]
        published.append(PublishedTable(table, cells))
    return published


def _widen_thin_lines(system: _System, hidden: set[int], threshold: int) -> set[int]:
    """For each thin line, hide its smallest published cell, or its total if none is left."""
    added: set[int] = set()
    for cells, total in system.thin_lines(hidden, threshold):
        if any(v in added for v in [*cells, total]):
            continue  # one change per line and round; the next round re-checks
        published = [v for v in cells if v not in hidden and v not in system.frozen]
        if published:
            added.add(min(published, key=lambda v: (system.values[v], v)))
        elif total not in system.frozen:
            added.add(total)
    return added


def _complement(system: _System, hidden: set[int], variable: int) -> set[int]:
    """The cheapest cells to hide so that ``variable`` sits on a rectangle of hidden cells."""
    t, i, j = system.occurrences[variable]
    table = system.tables[t]
    height, width = len(table.rows) + 1, len(table.cols) + 1

    def var(a: int, b: int) -> int:
        return system.index[table.key(a, b)]

    def cost(cells: set[int]) -> tuple[int, int]:
        big = sum(_GRAND_TOTAL_COST for v in cells
                  if system.occurrences[v][1:] == (len(system.tables[system.occurrences[v][0]]
                                                       .rows),
                                                   len(system.tables[system.occurrences[v][0]]
                                                       .cols)))
        return (len(cells) + big, sum(system.values[v] for v in cells))

    best: set[int] | None = None
    for a in range(height):
        for b in range(width):
            if a == i or b == j:
                continue
            added = {var(a, j), var(i, b), var(a, b)} - hidden
            if added & system.frozen:
                continue
            if added and (best is None or cost(added) < cost(best)):
                best = added
    if best is not None:
        return best
    # Every rectangle is already hidden (a cell fixed only through linked tables): widen.
    candidates = [v for v in range(len(system.values))
                  if v not in hidden and v not in system.frozen]
    if not candidates:  # pragma: no cover - everything hidden means nothing is determined
        return set()
    same_table = [v for v in candidates if system.occurrences[v][0] == t]
    pool = same_table or candidates
    return {min(pool, key=lambda v: cost({v}))}
