"""The synthetic registration set has the difficulties it promises, and its truth."""

from __future__ import annotations

from collections import Counter

from corridor.linkage.names import is_arabic
from corridor.linkage.synthetic import generate


def test_shares_of_duplicates_scripts_dates_and_households() -> None:
    synthetic = generate(4000, seed=2)
    rows = synthetic.rows
    assert len(rows) == 4000
    people = Counter(row["true_person"] for row in rows)
    duplicates = sum(n - 1 for n in people.values())
    assert 0.18 <= duplicates / len(rows) <= 0.22
    by_person: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_person.setdefault(row["true_person"], []).append(row)
    crossing = sum(
        1
        for records in by_person.values()
        if len(records) > 1 and len({is_arabic(r["father_name"]) for r in records}) > 1
    )
    with_duplicates = sum(1 for records in by_person.values() if len(records) > 1)
    assert 0.3 <= crossing / with_duplicates <= 0.5
    year_only = sum(1 for row in rows if len(row["birth_date"]) == 4) / len(rows)
    estimated = sum(1 for row in rows if row["age_estimate"]) / len(rows)
    new_year = sum(1 for row in rows if row["birth_date"].endswith("-01-01")) / len(rows)
    assert 0.45 <= year_only <= 0.55 and 0.12 <= estimated <= 0.18 and 0.07 <= new_year <= 0.13
    households = Counter(row["true_household"] for row in rows)
    assert all(count >= 2 for count in households.values())
    assert synthetic.true_pairs() and all(a < b for a, b in synthetic.true_pairs())


def test_the_same_seed_gives_the_same_set() -> None:
    assert generate(300, seed=9).rows == generate(300, seed=9).rows
    assert generate(300, seed=9).rows != generate(300, seed=10).rows
