"""Secondary suppression: no cell under 11 is published, and no hidden cell can be recomputed
from the published ones, by subtraction from one total or by any combination of them."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import null_space

from stagebourse.observatory.suppression import THRESHOLD, Table, determined_keys, suppress


def _independent_recoverable(tables: list[Table], published) -> list[tuple]:
    """An attacker's view, computed without the module: unknowns are the hidden cells, the
    equations are every row and column sum with the published values moved aside."""
    keys: dict = {}
    rows: list[dict] = []
    for table, pub in zip(tables, published, strict=True):
        height, width = len(pub.cells), len(pub.cells[0])
        for i in range(height):
            for j in range(width):
                if pub.cells[i][j] is None:
                    keys.setdefault(table.key(i, j), len(keys))
        lines = [[(i, j) for j in range(width)] for i in range(height)]
        lines += [[(i, j) for i in range(height)] for j in range(width)]
        for line in lines:
            equation: dict = {}
            *parts, total = line
            for (i, j), sign in [(p, 1) for p in parts] + [(total, -1)]:
                if pub.cells[i][j] is None:
                    k = keys[table.key(i, j)]
                    equation[k] = equation.get(k, 0) + sign
            rows.append(equation)
    if not keys:
        return []
    matrix = np.zeros((len(rows), len(keys)))
    for r, equation in enumerate(rows):
        for k, coefficient in equation.items():
            matrix[r, k] = coefficient
    # Solutions of the equations = one solution + the null space: a hidden cell is pinned
    # down iff every null-space vector is zero on it.
    null = null_space(matrix)
    found = []
    for key, k in keys.items():
        if null.shape[1] == 0 or np.abs(null[k]).max() < 1e-9:
            found.append(key)
    return found


def _check(tables: list[Table]) -> None:
    published = suppress(tables)
    for table, pub in zip(tables, published, strict=True):
        grid = table.grid
        for i, row in enumerate(pub.cells):
            for j, value in enumerate(row):
                if value is not None:
                    assert value >= THRESHOLD, (table.name, i, j, value)
                    assert value == grid[i][j]
        # Subtraction from a single total: no row or column hides exactly one cell.
        lines = [row for row in pub.cells] + [list(col) for col in zip(*pub.cells, strict=True)]
        for line in lines:
            assert sum(value is None for value in line) != 1, pub.cells
        # Bounds: a published total never leaves hidden cells summing to less than 11.
        true_lines = [row for row in grid] + [list(col) for col in zip(*grid, strict=True)]
        for shown, true in zip(lines, true_lines, strict=True):
            if shown[-1] is not None and None in shown:
                masked = sum(t for s, t in zip(shown[:-1], true[:-1], strict=True) if s is None)
                assert masked >= THRESHOLD, (shown, true)
    assert _independent_recoverable(tables, published) == []


counts = st.integers(min_value=0, max_value=60)


@st.composite
def tables(draw):
    height = draw(st.integers(1, 6))
    width = draw(st.integers(1, 5))
    grid = tuple(tuple(draw(counts) for _ in range(width)) for _ in range(height))
    return Table("t", tuple(f"r{i}" for i in range(height)), tuple(f"c{j}" for j in range(width)),
                 grid)


@settings(max_examples=200, deadline=None)
@given(tables())
def test_no_hidden_cell_is_recoverable_from_any_published_total(table):
    _check([table])


@st.composite
def linked_tables(draw):
    """Two breakdowns (e.g. by school kind and by gender) of the same answers: they share the
    column totals and the grand total, as in the observatory."""
    width = draw(st.integers(1, 4))
    total_by_column = [draw(st.integers(0, 80)) for _ in range(width)]
    result = []
    for name in ("a", "b"):
        height = draw(st.integers(1, 4))
        grid = [[0] * width for _ in range(height)]
        for j, total in enumerate(total_by_column):
            cuts = sorted(draw(st.lists(st.integers(0, total), min_size=height - 1,
                                        max_size=height - 1)))
            bounds = [0, *cuts, total]
            for i in range(height):
                grid[i][j] = bounds[i + 1] - bounds[i]
        result.append(Table(name, tuple(f"{name}{i}" for i in range(height)),
                            tuple(f"c{j}" for j in range(width)),
                            tuple(tuple(row) for row in grid),
                            col_keys=tuple(("answer", j) for j in range(width)),
                            total_key="all"))
    return result


@settings(max_examples=150, deadline=None)
@given(linked_tables())
def test_linked_tables_leak_nothing_when_read_together(tables_):
    _check(tables_)


def test_a_cell_alone_in_its_row_gets_a_partner():
    table = Table("wish", ("collège", "lycée", "autre"), ("oui", "non"),
                  ((30, 5), (40, 20), (12, 13)))
    cells = suppress([table])[0].cells
    assert cells[0] == [None, None, 35]
    assert cells[2] == [None, None, 25]
    assert cells[1] == [40, 20, 60]
    assert cells[3] == [82, 38, 120]


def test_a_group_where_everyone_gave_the_same_answer_is_not_shown_as_100_percent():
    table = Table("wish", ("collège", "lycée"), ("oui", "non"), ((30, 0), (15, 25)))
    cells = suppress([table])[0].cells
    assert cells[0][0] is None  # else "non" = 30 - 30 = 0 is known, hidden or not
    assert all(v is None or v >= THRESHOLD for row in cells for v in row)


def test_small_margins_and_zeros_are_hidden_too():
    table = Table("t", ("a", "b"), ("x", "y"), ((0, 4), (50, 60)))
    published = suppress([table])[0].cells
    assert published[0][2] is None  # the row total 4
    assert published[0][0] is None  # a zero says "nobody": hidden as well
    assert all(v is None or v >= THRESHOLD for row in published for v in row)


def test_large_tables_publish_everything():
    table = Table("t", ("a", "b"), ("x", "y"), ((20, 30), (40, 50)))
    assert suppress([table])[0].hidden_count() == 0


def test_suppression_is_deterministic():
    table = Table("t", ("a", "b", "c"), ("x", "y", "z"), ((3, 30, 40), (20, 2, 50), (33, 44, 1)))
    assert suppress([table])[0].cells == suppress([table])[0].cells


def test_determined_keys_sees_a_cell_recomputable_by_subtraction():
    table = Table("t", ("a", "b"), ("x", "y"), ((5, 30), (20, 40)))
    assert determined_keys([table], {table.key(0, 0)}) == {table.key(0, 0)}


def test_linked_cells_with_different_values_are_refused():
    a = Table("a", ("r",), ("x",), ((3,),), total_key="n")
    b = Table("b", ("r",), ("x",), ((4,),), total_key="n")
    with pytest.raises(ValueError, match="linked cell 'n' has two values: 3 and 4"):
        suppress([a, b])


def test_malformed_tables_are_refused_with_the_reason():
    with pytest.raises(ValueError, match="counts must be 1 rows of 2 values"):
        Table("t", ("r",), ("x", "y"), ((1,),))
    with pytest.raises(ValueError, match="cannot be negative"):
        Table("t", ("r",), ("x",), ((-1,),))


def test_a_new_release_keeps_what_an_earlier_one_published_and_hid():
    """Year 2 shares its margins with year 1 (the same population, answered again): read
    together, the two releases must not pin a cell that year 1 hid."""
    first = Table("year 1", ("a", "b", "c"), ("yes", "no"), ((30, 3), (25, 14), (40, 22)),
                  row_keys=("pop a", "pop b", "pop c"), total_key="pop")
    (released,) = suppress([first])
    second = Table("year 2", ("a", "b", "c"), ("often", "rarely"), ((2, 31), (20, 19), (31, 31)),
                   row_keys=("pop a", "pop b", "pop c"), total_key="pop")
    (published,) = suppress([second], earlier=[released])
    for i, row in enumerate(released.cells):  # year 1's own cells are unchanged...
        for j, value in enumerate(row):
            key = first.key(i, j)
            for k, again in enumerate(published.cells):
                for m, value_again in enumerate(again):
                    if second.key(k, m) == key:
                        assert (value is None) == (value_again is None), key
    # ...and no hidden cell of either year follows from everything published.
    assert _independent_recoverable([first, second], [released, published]) == []
    assert published.cells[0][0] is None  # year 2's small cell is hidden
