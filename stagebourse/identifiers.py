"""Public identifiers and calendar rules, checked without a database."""

from __future__ import annotations

import datetime as dt
import re

from stdnum.fr import siret as _siret

UAI_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
_UAI_RE = re.compile(r"^\d{7}[A-Z]$")
_WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")


def normalise_uai(code: str) -> str:
    return code.strip().upper()


def is_valid_uai(code: str) -> bool:
    """A UAI is 7 digits and a check letter: ``UAI_LETTERS[int(digits) % 23]``."""
    code = normalise_uai(code)
    if not _UAI_RE.match(code):
        return False
    return UAI_LETTERS[int(code[:7]) % 23] == code[7]


def normalise_siret(value: str) -> str:
    return re.sub(r"[\s.\-]", "", value)


def is_valid_siret(value: str) -> bool:
    """14 digits with a valid Luhn key, La Poste's establishments' special rule included."""
    return bool(_siret.is_valid(normalise_siret(value)))


def parse_iso_week(value: str) -> tuple[int, int]:
    """``"2027-W05"`` → ``(2027, 5)``; ValueError if it is not a real ISO week."""
    match = _WEEK_RE.match(value)
    if not match:
        raise ValueError(f"« {value} » n'est pas une semaine ISO (format AAAA-Wss, ex. 2027-W05)")
    year, week = int(match.group(1)), int(match.group(2))
    try:
        dt.date.fromisocalendar(year, week, 1)
    except ValueError:
        raise ValueError(f"L'année {year} n'a pas de semaine {week:02d}") from None
    return year, week


def iso_week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_monday(week: str) -> dt.date:
    year, number = parse_iso_week(week)
    return dt.date.fromisocalendar(year, number, 1)


def week_label(week: str) -> str:
    """« du 1er au 5 février 2027 » style label, Monday to Friday."""
    monday = week_monday(week)
    friday = monday + dt.timedelta(days=4)
    return f"{monday:%d/%m} – {friday:%d/%m/%Y}"


def seconde_default_weeks(year: int) -> list[str]:
    """The two weeks ending on the last Friday on or before 30 June (editable default)."""
    day = dt.date(year, 6, 30)
    while day.weekday() != 4:  # Friday
        day -= dt.timedelta(days=1)
    return [iso_week(day - dt.timedelta(days=7)), iso_week(day)]


def age_on(birth_date: dt.date, day: dt.date) -> int:
    years = day.year - birth_date.year
    if (day.month, day.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years
