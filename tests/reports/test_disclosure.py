"""Small-cell suppression on tables with totals, checked by an independent solver."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from corridor.reports.disclosure import Relation, protect, recoverable
from tests.reports.recovery import Knowledge


def table(cells: list[list[int]]) -> tuple[dict, list[Relation]]:
    """A table with row totals, column totals and a grand total."""
    values: dict = {}
    relations = []
    rows, columns = len(cells), len(cells[0])
    for r in range(rows):
        for c in range(columns):
            values[(r, c)] = cells[r][c]
        values[(r, "*")] = sum(cells[r])
        relations.append(Relation((r, "*"), tuple((r, c) for c in range(columns))))
    for c in range(columns):
        values[("*", c)] = sum(cells[r][c] for r in range(rows))
        relations.append(Relation(("*", c), tuple((r, c) for r in range(rows))))
    values[("*", "*")] = sum(map(sum, cells))
    relations.append(Relation(("*", "*"), tuple((r, "*") for r in range(rows))))
    relations.append(Relation(("*", "*"), tuple(("*", c) for c in range(columns))))
    return values, relations


def reader(values: dict, relations: list[Relation], withheld: set) -> Knowledge:
    knowledge = Knowledge()
    for key, value in values.items():
        knowledge.see(repr(key), "withheld" if key in withheld else value)
    for relation in relations:
        knowledge.sums(repr(relation.total), [repr(p) for p in relation.parts])
    return knowledge


def test_a_lone_small_cell_takes_a_second_cell_of_its_row_and_column_with_it() -> None:
    values, relations = table([[3, 12, 30], [15, 9, 22], [11, 14, 8]])
    hidden = protect(values, relations, threshold=5)
    assert (0, 0) in hidden
    assert any(k in hidden for k in [(0, 1), (0, 2), (0, "*")])
    assert any(k in hidden for k in [(1, 0), (2, 0), ("*", 0)])
    assert reader(values, relations, hidden).exposed() == set()
    # Withholding the small cell alone would give it away: 45 - 12 - 30.
    assert reader(values, relations, {(0, 0)}).exposed() == {"(0, 0)"}


def test_zero_is_shown_and_nothing_is_withheld_without_a_small_count() -> None:
    values, relations = table([[0, 12], [15, 0]])
    assert protect(values, relations, threshold=5) == set()


def test_figures_published_before_keep_their_fate() -> None:
    values, relations = table([[3, 12, 30], [15, 9, 22]])
    fixed = {(0, 1): False, (1, 1): True}
    hidden = protect(values, relations, threshold=5, fixed=fixed)
    assert (0, 1) not in hidden and (1, 1) in hidden
    assert recoverable(values, relations, hidden) & {(0, 0), (1, 1)} == set()


@settings(max_examples=150, deadline=None)
@given(
    st.integers(2, 5).flatmap(
        lambda columns: st.lists(
            st.lists(
                st.sampled_from([0, 1, 2, 3, 4, 5, 7, 12, 30]), min_size=columns, max_size=columns
            ),
            min_size=2,
            max_size=5,
        )
    )
)
def test_no_small_count_is_shown_and_no_withheld_one_can_be_worked_out(
    cells: list[list[int]],
) -> None:
    values, relations = table(cells)
    hidden = protect(values, relations, threshold=5)
    for key, value in values.items():
        if 0 < value < 5:
            assert key in hidden, key
    assert reader(values, relations, hidden).exposed() == set()
