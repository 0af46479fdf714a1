"""Dates of birth as ranges: precision, estimated ages, Arabic-Indic digits, bad dates."""

from __future__ import annotations

from datetime import date

import pytest

from corridor.linkage.dates import BadDate, Precision, parse_birth, read_digits


def test_arabic_indic_and_persian_digits_are_read() -> None:
    assert read_digits("١٩٨٧-٠٣") == "1987-03"
    assert read_digits("۱۹۸۷") == "1987"
    month = parse_birth("١٩٨٧-٠٣")
    assert month is not None and month.precision == Precision.MONTH
    assert (month.earliest, month.latest) == (date(1987, 3, 1), date(1987, 3, 31))
    estimated = parse_birth("", age_estimate="٣٠", registered_on=date(2026, 11, 1))
    assert estimated is not None and estimated.precision == Precision.ESTIMATED


def test_precisions_become_ranges_that_overlap() -> None:
    year = parse_birth("1987")
    exact = parse_birth("1987-03-14")
    unknown_day = parse_birth("1987-01-01")  # how many systems write "some time in 1987"
    other = parse_birth("1989-06-01")
    assert year and exact and unknown_day and other
    assert year.overlaps(exact) and unknown_day.overlaps(exact)
    assert unknown_day.precision == Precision.YEAR
    assert not exact.overlaps(other) and exact.gap_days(other) > 700


def test_an_estimated_age_covers_a_few_years_either_side() -> None:
    about_30 = parse_birth(None, age_estimate="about 30", registered_on=date(2026, 11, 1))
    assert about_30 is not None
    assert about_30.overlaps(parse_birth("1996"))  # 30 years before
    assert about_30.overlaps(parse_birth("1991"))  # 5 years older than estimated
    assert not about_30.overlaps(parse_birth("1980"))


@pytest.mark.parametrize("text", ["1987-13", "1987-02-30", "2999", "87", "1987/3/x", "1850"])
def test_impossible_dates_are_refused(text: str) -> None:
    with pytest.raises(BadDate):
        parse_birth(text, today=date(2026, 12, 1))


def test_blank_is_unknown() -> None:
    assert parse_birth("") is None
    assert parse_birth(None, age_estimate=" ") is None
