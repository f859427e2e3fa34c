"""Cell suppression for published count tables, checked as intervals.

A table of counts is published with its row totals, column totals and grand total. Every cell
(margins included) under the threshold is hidden (*primary* suppression), zeros too: a zero says
"nobody". Hiding is not enough: a reader knows that counts are whole numbers, never negative,
that rows and columns add up to their totals, that some cells are zero by construction
(*structural zeros*: no lycée pupil in a 3e campaign), and what earlier releases of the same
population published. From all that they can compute, for each hidden cell, the least and the
greatest value it can take (two linear programmes). "Un handicap / non signalé = 100" beside
"Ensemble = 100" pins every other cell of the column to 0; "94 of 95" pins the last one to at
most 1.

**Protected.** A hidden cell is protected when the interval a reader can compute for it is at
least ``width`` wide (the protection width, 11 by default): ``high - low >= width``. Counts are
never negative, so ``low >= 0`` and ``high >= width``: a reader can never conclude that a hidden
cell is 0 ("nobody in this group reported"), nor that it is small, nor its value to within less
than ``width``. The bounds are those of *whole-number* tables: where the linear programme's
optimum is fractional (linked tables are not always totally unimodular), the integer programme
is solved instead, so a reader with an integer solver learns nothing more.

**Secondary suppression** (the heuristic). Hidden cells are taken one by one (primary cells by
increasing value, then the cells hidden on their behalf, in the order they were hidden). For a
cell ``v`` we look for two tables, both consistent with everything published and every structural
zero, whose values at ``v`` differ by at least ``width``: two deviation vectors ``up`` and
``down`` from the true table, in the null space of the row and column equations, keeping every
count non-negative, with ``up[v] - down[v] >= width``, and zero on every published cell that
cannot change (earlier releases, structural zeros). We minimise the total weighted deviation:
moving a hidden cell costs almost nothing, moving a published one costs its weight (an inner
cell 1, a line total 3, a grand total 50, plus a little for a large value). The published cells
the two deviations move are then hidden. Both tables are whole-number tables (integer programme
when the linear one is fractional), so they are *witnesses*: the reader cannot exclude either,
and ``v``'s interval is at least ``width`` wide. Hiding more cells only adds tables a reader must
consider, so a protected cell stays protected; a cell whose witnesses already differ by
``width`` is not solved again. The loop ends when every hidden cell has its witnesses. This is the
classic L1 heuristic of secondary suppression (a minimum-cost deviation per sensitive cell), not
an optimal suppression pattern: it may hide a few more cells than strictly needed.

**Linked tables.** The same quantity (e.g. the number of respondents of a stratum who answered
a question) may appear in several tables: give those cells the same key. A key is one unknown
everywhere, published everywhere or hidden everywhere, and tables sharing keys are audited
together, so nothing can be recovered by combining them. Earlier releases (``earlier=``) join
the same system with their true counts: what they published stays published, what they hid
stays hidden and must stay protected given the new release.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

THRESHOLD = 11  # cells under 11 respondents are never published
PROTECTION_WIDTH = 11  # a hidden cell's interval is at least this wide
_INNER_COST, _LINE_COST, _GRAND_TOTAL_COST = 1.0, 3.0, 50.0
_HIDDEN_COST = 1e-3  # moving an already hidden cell: nearly free, but no wandering
_TOLERANCE = 1e-6
# Random corners tried to protect hidden cells for free, and how many cells may be hidden
# between two such screenings.
_SCREEN_DIRECTIONS, _SCREEN_AFTER = 4, 20

FloatArray = npt.NDArray[np.float64]


class Unprotectable(ValueError):
    """Raised when what an earlier release published (or the structural zeros) already bounds a
    hidden cell too tightly: no suppression of the new tables can protect it."""


@dataclass(frozen=True)
class Table:
    """Counts by row and column. Margins are computed; their keys link tables together.

    ``row_keys[i]`` names the total of row ``i``, ``col_keys[j]`` the total of column ``j``,
    ``total_key`` the grand total. Cells of different tables with equal keys must be equal.
    ``structural_zeros`` are inner cells ``(i, j)`` that are zero by construction and known to
    be (no lycée in a 3e campaign): they are published as 0, never hidden, and a reader uses
    them. A row or column made only of structural zeros has a structural zero total.
    """

    name: str
    rows: tuple[str, ...]
    cols: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]
    row_keys: tuple[Hashable, ...] | None = None
    col_keys: tuple[Hashable, ...] | None = None
    total_key: Hashable | None = None
    structural_zeros: frozenset[tuple[int, int]] = frozenset()

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
        for i, j in self.structural_zeros:
            if not (0 <= i < len(self.rows) and 0 <= j < len(self.cols)):
                raise ValueError(f"table {self.name!r}: structural zero {(i, j)} is not a cell")
            if self.counts[i][j] != 0:
                raise ValueError(f"table {self.name!r}: structural zero {(i, j)} counts "
                                 f"{self.counts[i][j]}")

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

    def is_structural_zero(self, i: int, j: int) -> bool:
        """Whether augmented cell (i, j) is zero by construction (margins included)."""
        r, c = len(self.rows), len(self.cols)
        rows = range(r) if i == r else (i,)
        cols = range(c) if j == c else (j,)
        return all((a, b) in self.structural_zeros for a in rows for b in cols)


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
    """One variable per key, the row and column equations of every table, and what is known."""

    def __init__(self, tables: Sequence[Table]) -> None:
        self.index: dict[Hashable, int] = {}
        self.values: list[int] = []
        self.weights: list[float] = []
        self.structural: set[int] = set()
        rows: list[int] = []
        cols: list[int] = []
        coefficients: list[float] = []
        equations = 0
        for table in tables:
            grid = table.grid
            height, width = len(grid), len(grid[0])
            ids = [[self._variable(table, i, j, grid[i][j]) for j in range(width)]
                   for i in range(height)]
            lines = [ids[i] for i in range(height)]
            lines += [[ids[i][j] for i in range(height)] for j in range(width)]
            for *parts, total in lines:  # parts - total = 0
                for variable in parts:
                    rows.append(equations)
                    cols.append(variable)
                    coefficients.append(1.0)
                rows.append(equations)
                cols.append(total)
                coefficients.append(-1.0)
                equations += 1
        self.matrix = sparse.coo_array((coefficients, (rows, cols)),
                                       shape=(equations, len(self.values))).tocsr()
        self.true = np.asarray(self.values, dtype=np.float64)

    def _variable(self, table: Table, i: int, j: int, value: int) -> int:
        key = table.key(i, j)
        height, width = len(table.rows), len(table.cols)
        weight = (_GRAND_TOTAL_COST if (i, j) == (height, width)
                  else _LINE_COST if i == height or j == width else _INNER_COST)
        if key in self.index:
            variable = self.index[key]
            if self.values[variable] != value:
                raise ValueError(f"linked cell {key!r} has two values: "
                                 f"{self.values[variable]} and {value}")
            self.weights[variable] = max(self.weights[variable], weight)
        else:
            variable = self.index[key] = len(self.values)
            self.values.append(value)
            self.weights.append(weight)
        if table.is_structural_zero(i, j):
            self.structural.add(variable)
        return variable


def _integral(x: FloatArray) -> bool:
    return bool(np.all(np.abs(x - np.round(x)) < _TOLERANCE))


def _solve(cost: FloatArray, equal: sparse.csr_array, below: sparse.csr_array,
           limit: float, upper: FloatArray) -> FloatArray | None:
    """Minimise ``cost @ x`` with ``equal @ x == 0``, ``below @ x <= limit`` and
    ``0 <= x <= upper``: a whole-number optimum (the integer programme only when the linear
    one's optimum is fractional), or None when infeasible."""
    result = linprog(cost, A_eq=equal, b_eq=np.zeros(equal.shape[0]), A_ub=below,
                     b_ub=[limit], bounds=np.column_stack([np.zeros_like(upper), upper]),
                     method="highs")
    if result.status == 2:
        return None
    if result.status != 0:
        raise RuntimeError(f"secondary suppression: {result.message}")
    x: FloatArray = result.x
    if _integral(x):
        return np.round(x)
    integer = milp(cost, constraints=[LinearConstraint(equal, 0.0, 0.0),
                                      LinearConstraint(below, -np.inf, limit)],
                   bounds=Bounds(np.zeros_like(upper), upper), integrality=np.ones_like(cost))
    if integer.x is None:
        return None
    exact: FloatArray = np.round(integer.x)
    return exact


def _bound(system: _System, hidden: list[int], known: FloatArray, variable: int,
           sense: float) -> float:
    """The least (``sense`` 1) or, negated, greatest (-1) whole value of ``variable`` given
    the known values; ``-inf`` when unbounded."""
    position = {v: k for k, v in enumerate(hidden)}
    sub = system.matrix[:, hidden]
    rhs = -(system.matrix @ known)
    used = np.asarray(abs(sub).sum(axis=1)).ravel() > 0
    cost = np.zeros(len(hidden))
    cost[position[variable]] = sense
    a = sub[used]
    b = rhs[used]
    result = linprog(cost, A_eq=a, b_eq=b, bounds=(0, None), method="highs")
    if result.status == 3:
        return -math.inf
    if result.status != 0:
        raise RuntimeError(f"bound of a hidden cell: {result.message}")
    if _integral(result.x):
        return float(round(result.fun))
    integer = milp(cost, constraints=[LinearConstraint(a, b, b)],
                   integrality=np.ones(len(hidden)), bounds=Bounds(0, np.inf))
    if integer.status != 0:
        raise RuntimeError(f"bound of a hidden cell: {integer.message}")
    return float(round(integer.fun))


def hidden_bounds(published: Sequence[PublishedTable]) -> dict[Hashable, tuple[float, float]]:
    """What a reader of ``published`` (with earlier releases among them) can say about each
    hidden key: its least and greatest whole value (``inf`` when unbounded)."""
    tables = [p.table for p in published]
    system = _System(tables)
    hidden_keys: set[Hashable] = set()
    for pub in published:
        for i, row in enumerate(pub.cells):
            for j, value in enumerate(row):
                if value is None:
                    hidden_keys.add(pub.table.key(i, j))
    hidden = sorted(system.index[k] for k in hidden_keys)
    known = system.true.copy()
    known[hidden] = 0.0
    result = {}
    for key in hidden_keys:
        variable = system.index[key]
        low = _bound(system, hidden, known, variable, 1.0)
        high = -_bound(system, hidden, known, variable, -1.0)
        result[key] = (max(low, 0.0), high)
    return result


def exposed_keys(published: Sequence[PublishedTable], width: int = PROTECTION_WIDTH
                 ) -> set[Hashable]:
    """The hidden keys a reader can bound to an interval narrower than ``width``."""
    return {key for key, (low, high) in hidden_bounds(published).items() if high - low < width}


def determined_keys(tables: Sequence[Table], hidden: set[Hashable]) -> set[Hashable]:
    """The hidden keys a reader can recompute exactly from everything else."""
    published = [PublishedTable(t, [[None if t.key(i, j) in hidden else value
                                     for j, value in enumerate(row)]
                                    for i, row in enumerate(t.grid)]) for t in tables]
    return {key for key, (low, high) in hidden_bounds(published).items() if low == high}


def suppress(tables: Sequence[Table], threshold: int = THRESHOLD, *,
             earlier: Sequence[PublishedTable] = (), width: int | None = None
             ) -> list[PublishedTable]:
    """Hide every cell under ``threshold`` and enough others that every hidden cell is
    protected: a reader's interval for it is at least ``width`` wide (``threshold`` if None).

    ``earlier`` are tables already published (an earlier release of the same population),
    with their true counts: they are audited jointly with the new ones through their shared
    keys. What they published stays published, what they hid stays hidden (and protected), and
    the new tables are suppressed so that nothing of either can be narrowed. Only the new
    tables are returned.

    Deterministic: the same tables give the same published tables. Tables that share no key
    are solved separately (same result, much smaller systems).
    """
    if threshold < 1:
        raise ValueError("threshold must be at least 1")
    width = threshold if width is None else width
    if width < 1:
        raise ValueError("width must be at least 1")
    everything = [*(p.table for p in earlier), *tables]
    frozen: dict[Hashable, bool] = {}  # key -> hidden, for every cell of an earlier release
    for old in earlier:
        for i, row in enumerate(old.cells):
            for j, value in enumerate(row):
                frozen[old.table.key(i, j)] = value is None
    results: dict[int, PublishedTable] = {}
    for group in _linked_groups(everything):
        published = _suppress_linked([everything[i] for i in group], threshold, width, frozen)
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


class _Protector:
    """Secondary suppression of one linked group (the heuristic of the module docstring)."""

    def __init__(self, system: _System, hidden: set[int], fixed: set[int], width: int) -> None:
        self.system = system
        self.hidden = hidden
        self.fixed = fixed  # published cells that cannot be hidden, and structural zeros
        self.width = width
        self.movable = [v for v in range(len(system.values)) if v not in fixed]
        self.protected: set[int] = set()

    def run(self) -> set[int]:
        system = self.system
        queue = sorted(self.hidden, key=lambda v: (system.values[v], v))
        queued = set(queue)
        self._screen()
        added_since_screen = 0
        position = 0
        while position < len(queue):
            variable = queue[position]
            position += 1
            if variable in self.protected:
                continue
            if added_since_screen >= _SCREEN_AFTER:
                self._screen()
                added_since_screen = 0
                if variable in self.protected:
                    continue
            added = self._protect(variable)
            added_since_screen += len(added)
            for new in sorted(added, key=lambda v: (system.values[v], v)):
                if new not in queued:
                    queued.add(new)
                    queue.append(new)
        return self.hidden

    def _screen(self) -> None:
        """Protect for free the hidden cells that some whole-number tables, consistent with
        what is published now, already spread by the width: the corners of the hidden cells'
        polytope in a few seeded random directions, beside the true table."""
        system = self.system
        hidden = sorted(self.hidden - self.protected)
        if not hidden:
            return
        unknown = sorted(self.hidden)
        known = system.true.copy()
        known[unknown] = 0.0
        a = system.matrix[:, unknown]
        used = np.asarray(abs(a).sum(axis=1)).ravel() > 0
        a, rhs = a[used], -(system.matrix @ known)[used]
        low = system.true[unknown].copy()
        high = low.copy()
        rng = np.random.default_rng(len(unknown))
        for _ in range(_SCREEN_DIRECTIONS):
            direction = rng.normal(size=len(unknown))
            for sign in (1.0, -1.0):
                result = linprog(sign * direction, A_eq=a, b_eq=rhs, bounds=(0, None),
                                 method="highs")
                if result.status == 0 and _integral(result.x):
                    low = np.minimum(low, np.round(result.x))
                    high = np.maximum(high, np.round(result.x))
        self.protected.update(unknown[k] for k in
                              np.flatnonzero(high - low >= self.width - _TOLERANCE))

    def _protect(self, variable: int) -> set[int]:
        """Find the two witness tables of ``variable``; return the cells hidden for them."""
        system, movable = self.system, self.movable
        n = len(movable)
        k = movable.index(variable)
        a = system.matrix[:, movable]
        a = a[np.asarray(abs(a).sum(axis=1)).ravel() > 0]
        weight = np.array([_HIDDEN_COST if v in self.hidden
                           else system.weights[v] + system.values[v] / 1000.0 for v in movable])
        # x = [up+, up-, down+, down-]: two deviations from the true table (up = up+ - up-),
        # each keeping every equation and every count non-negative (a part "-" at most the
        # cell's value), with up - down at least the width at the cell.
        zero = sparse.csr_array(a.shape)
        equal = sparse.vstack([sparse.hstack([a, -a, zero, zero]),
                               sparse.hstack([zero, zero, a, -a])]).tocsr()
        below = sparse.csr_array(([-1.0, 1.0, 1.0, -1.0],
                                  ([0, 0, 0, 0], [k, n + k, 2 * n + k, 3 * n + k])),
                                 shape=(1, 4 * n))
        value = system.true[movable]
        upper = np.concatenate([np.full(n, np.inf), value, np.full(n, np.inf), value])
        solution = _solve(np.concatenate([weight] * 4), equal, below, -float(self.width),
                          upper)
        if solution is None:
            cell = next(key for key, v in system.index.items() if v == variable)
            raise Unprotectable(f"hidden cell {cell!r} cannot be protected: what is published or "
                             f"structural bounds it to less than {self.width}")
        up = solution[:n] - solution[n:2 * n]
        down = solution[2 * n:3 * n] - solution[3 * n:]
        moved = np.flatnonzero((np.abs(up) > 0.5) | (np.abs(down) > 0.5))
        added = {movable[j] for j in moved} - self.hidden
        self.hidden |= added
        # Both deviated tables are whole-number tables consistent with what stays published:
        # every cell they set apart by the width is protected for good.
        self.protected.update(movable[j] for j in
                              np.flatnonzero(np.abs(up - down) >= self.width - _TOLERANCE))
        return added


def _suppress_linked(tables: Sequence[Table], threshold: int, width: int,
                     frozen: dict[Hashable, bool]) -> list[PublishedTable]:
    system = _System(tables)
    keys = {v: k for k, v in system.index.items()}
    hidden = {v for v, value in enumerate(system.values)
              if v not in system.structural
              and (frozen[keys[v]] if keys[v] in frozen else value < threshold)}
    fixed = {v for v in keys if v in system.structural
             or (keys[v] in frozen and not frozen[keys[v]])}
    hidden = _Protector(system, hidden, fixed, width).run()
    published = []
    for table in tables:
        grid = table.grid
        cells: list[list[int | None]] = [
            [None if system.index[table.key(i, j)] in hidden else grid[i][j]
             for j in range(len(grid[0]))] for i in range(len(grid))]
        published.append(PublishedTable(table, cells))
    return published

