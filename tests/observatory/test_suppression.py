"""The interval audit: no cell under 11 is published, and a reader who knows every published
figure, that counts are whole and never negative, the structural zeros and the earlier releases
cannot bound any hidden cell to an interval narrower than 11. The attacker (tests/observatory/
attacker.py) is written separately from the module it attacks."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stagebourse.observatory.suppression import (
    THRESHOLD,
    PublishedTable,
    Table,
    determined_keys,
    exposed_keys,
    hidden_bounds,
    suppress,
)
from tests.observatory import attacker


def _check(tables: list[Table], width: int = THRESHOLD) -> list[PublishedTable]:
    published = suppress(tables, width=width)
    for table, pub in zip(tables, published, strict=True):
        grid = table.grid
        for i, row in enumerate(pub.cells):
            for j, value in enumerate(row):
                if value is None:
                    continue
                assert value == grid[i][j]
                assert value >= THRESHOLD or table.is_structural_zero(i, j), (table.name, i, j)
    assert attacker.pinned(published, width) == {}
    return published


counts = st.integers(min_value=0, max_value=40)


@st.composite
def tables(draw, structural: bool = False):
    height = draw(st.integers(1, 4))
    width = draw(st.integers(1, 4))
    zeros = frozenset()
    if structural:
        zeros = frozenset(draw(st.sets(st.tuples(st.integers(0, height - 1),
                                                 st.integers(0, width - 1)), max_size=3)))
    grid = tuple(tuple(0 if (i, j) in zeros else draw(counts) for j in range(width))
                 for i in range(height))
    return Table("t", tuple(f"r{i}" for i in range(height)), tuple(f"c{j}" for j in range(width)),
                 grid, structural_zeros=zeros)


@settings(max_examples=40, deadline=None)
@given(tables())
def test_no_hidden_cell_of_a_table_can_be_narrowed_below_the_width(table):
    _check([table])


@settings(max_examples=25, deadline=None)
@given(tables(structural=True))
def test_structural_zeros_are_published_and_the_attacker_uses_them(table):
    published = _check([table])[0]
    for i, j in table.structural_zeros:
        assert published.cells[i][j] == 0


@settings(max_examples=15, deadline=None)
@given(tables(), st.integers(3, 20))
def test_the_protection_width_is_a_setting(table, width):
    _check([table], width=width)


@st.composite
def linked_tables(draw):
    """Two breakdowns (e.g. by school kind and by gender) of the same answers: they share the
    column totals and the grand total, as in the observatory."""
    width = draw(st.integers(1, 3))
    total_by_column = [draw(st.integers(0, 50)) for _ in range(width)]
    result = []
    for name in ("a", "b"):
        height = draw(st.integers(1, 3))
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


@settings(max_examples=20, deadline=None)
@given(linked_tables())
def test_linked_tables_leak_nothing_when_read_together(tables_):
    _check(tables_)


def _printed(table: Table, hidden: set) -> PublishedTable:
    return PublishedTable(table, [[None if table.key(i, j) in hidden else value
                                   for j, value in enumerate(row)]
                                  for i, row in enumerate(table.grid)])


def test_the_attacker_pins_what_exact_recomputation_misses():
    """« Refusé » 94 of 95: no inner cell can be recomputed by subtraction (each line hides
    two), yet every one is bounded to an interval of width 1."""
    table = Table("refused", ("collège", "lycée"), ("oui", "non"), ((1, 80), (0, 14)))
    printed = PublishedTable(table, [[None, None, 81], [None, None, 14], [None, 94, 95]])
    assert determined_keys([table], {table.key(i, j) for i in range(2) for j in range(2)}) \
        == set()
    found = attacker.pinned([printed])
    assert found[table.key(0, 0)] == found[table.key(1, 0)] == (0.0, 1.0)
    assert found[table.key(0, 1)] == (80.0, 81.0)
    assert exposed_keys([printed]) == set(found)
    assert hidden_bounds([printed])[table.key(1, 1)] == (13.0, 14.0)


def test_a_cell_alone_in_its_row_gets_partners_wide_enough():
    table = Table("wish", ("collège", "lycée", "autre"), ("oui", "non"),
                  ((30, 5), (40, 20), (12, 13)))
    cells = _check([table])[0].cells
    assert cells[0][:2] == [None, None]
    assert cells[3] == [82, 38, 120]


def test_a_group_where_everyone_gave_the_same_answer_is_not_shown_as_100_percent():
    table = Table("wish", ("collège", "lycée"), ("oui", "non"), ((30, 0), (15, 25)))
    cells = _check([table])[0].cells
    assert cells[0][0] is None  # else "non" = 30 - 30 = 0 is known, hidden or not


def test_small_margins_and_zeros_are_hidden_too():
    table = Table("t", ("a", "b"), ("x", "y"), ((0, 4), (50, 60)))
    published = _check([table])[0].cells
    assert published[0][2] is None  # the row total 4
    assert published[0][0] is None  # a zero says "nobody": hidden as well


def test_large_tables_publish_everything():
    table = Table("t", ("a", "b"), ("x", "y"), ((20, 30), (40, 50)))
    assert suppress([table])[0].hidden_count() == 0


def test_a_row_that_cannot_exist_is_published_as_zeros_not_hidden():
    table = Table("wish", ("collège", "lycée"), ("oui", "non"), ((40, 30), (0, 0)),
                  structural_zeros=frozenset({(1, 0), (1, 1)}))
    assert suppress([table])[0].cells == [[40, 30, 70], [0, 0, 0], [40, 30, 70]]
    with pytest.raises(ValueError, match=r"structural zero \(0, 0\) counts 40"):
        Table("t", ("a",), ("x",), ((40,),), structural_zeros=frozenset({(0, 0)}))


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


def test_a_new_release_audited_alone_would_pin_a_cell_the_earlier_one_hid():
    """Year 1 (by school) hides the small school a, and school b's total to protect it. Year 2
    breaks school b down by gender: alone, its grand total (school b, 55) is fine to publish;
    read with year 1 it gives school a = 60 - 55 = 5."""
    first = Table("year 1", ("a", "b"), ("yes", "no"), ((2, 3), (30, 25)),
                  row_keys=("pop a", "pop b"), total_key="pop")
    (released,) = suppress([first])
    assert released.cells[0][2] is None and released.cells[1][2] is None
    assert released.cells[2][2] == 60
    second = Table("year 2", ("girls", "boys"), ("often", "rarely"), ((12, 14), (13, 16)),
                   total_key="pop b")
    (alone,) = suppress([second])
    assert "pop a" in attacker.pinned([released, alone])
    (joint,) = suppress([second], earlier=[released])
    assert joint.cells[2][2] is None  # what year 1 hid stays hidden
    assert attacker.pinned([released, joint]) == {}
    for i, row in enumerate(released.cells):  # and year 1's published cells stay published
        for j, value in enumerate(row):
            if value is not None:
                assert first.key(i, j) not in hidden_bounds([released, joint])
