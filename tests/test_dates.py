"""French dates in words, as a family reads them."""

import datetime as dt

import pytest

from stagebourse.dates import date_span, long_date, week_span


def test_the_first_of_the_month_is_an_ordinal_and_other_days_are_not():
    assert long_date(dt.date(2027, 2, 1)) == "lundi 1er février 2027"
    assert long_date(dt.date(2027, 2, 2)) == "mardi 2 février 2027"
    assert long_date(dt.date(2027, 1, 31)) == "dimanche 31 janvier 2027"


def test_accented_months_and_optional_parts():
    assert long_date(dt.date(2027, 8, 11), weekday=False) == "11 août 2027"
    assert long_date(dt.date(2026, 12, 1), year=False) == "mardi 1er décembre"


def test_a_week_in_one_year_says_the_year_once():
    assert week_span(dt.date(2027, 2, 1)) == "du lundi 1er février au vendredi 5 février 2027"


def test_a_span_across_new_year_says_both_years():
    assert (date_span(dt.date(2026, 12, 28), dt.date(2027, 1, 1))
            == "du lundi 28 décembre 2026 au vendredi 1er janvier 2027")


def test_a_backwards_span_is_refused():
    with pytest.raises(ValueError, match="ends"):
        date_span(dt.date(2027, 2, 5), dt.date(2027, 2, 1))
