"""Dates written out in French words, for families: « lundi 1er février 2027 ».

Babel's long format says « 1 février 2027 » (no weekday, no ordinal); a letter to a family
says « le lundi 1er février ». Written by hand because the rule is small and fixed: the
first day of a month is « 1er », every other day a plain number. No Flask, no database.
"""

from __future__ import annotations

import datetime as dt

WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre")


def day_number(day: dt.date) -> str:
    """« 1er » for the first of the month, else the number: « 2 », « 31 »."""
    return "1er" if day.day == 1 else str(day.day)


def long_date(day: dt.date, weekday: bool = True, year: bool = True) -> str:
    """« lundi 1er février 2027 » (weekday and year optional)."""
    words = [WEEKDAYS[day.weekday()]] if weekday else []
    words += [day_number(day), MONTHS[day.month - 1]]
    if year:
        words.append(str(day.year))
    return " ".join(words)


def date_span(first: dt.date, last: dt.date) -> str:
    """« du lundi 1er février au vendredi 5 février 2027 »; the year is said once when both
    days share it, twice otherwise (« du lundi 28 décembre 2026 au vendredi 1er janvier 2027 »)."""
    if last < first:
        raise ValueError(f"the span ends ({last}) before it starts ({first})")
    same_year = first.year == last.year
    return f"du {long_date(first, year=not same_year)} au {long_date(last)}"


def week_span(monday: dt.date) -> str:
    """The working week (Monday to Friday) that starts on ``monday``, in words."""
    return date_span(monday, monday + dt.timedelta(days=4))


def week_of(monday: dt.date) -> str:
    """« semaine du lundi 1er février 2027 »: how a person names an internship week."""
    return f"semaine du {long_date(monday)}"
