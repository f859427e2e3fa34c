"""Spreadsheet formula injection: a text cell starting with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return is read as a formula by Excel and LibreOffice (``=HYPERLINK(...)`` in a
pupil's name would run in the steering group's spreadsheet). Every export, CSV or XLSX, makes
such text inert the same way: a leading apostrophe, which spreadsheets show as plain text."""

from __future__ import annotations

from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Text that a spreadsheet would read as a formula gets a leading apostrophe; numbers,
    dates and None are returned as they are (a negative number is a number, not a formula)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
