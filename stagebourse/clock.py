"""The one clock of the service.

Instants are timezone-aware UTC (what the database stores); calendar dates are Paris dates,
because every deadline of a campaign is a day in Valenciennes whatever timezone the server
runs in. On a UTC host, ``datetime.date.today()`` would keep a pupil's wishes open for one
or two hours after a Paris deadline: nothing in the package calls it, everything calls
:func:`today`.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def now() -> dt.datetime:
    """The current instant, timezone-aware, in UTC."""
    return dt.datetime.now(dt.UTC)


def today() -> dt.date:
    """Today's date in Paris."""
    return now().astimezone(PARIS).date()


def paris_date(instant: dt.datetime) -> dt.date:
    """The Paris calendar day of a timezone-aware instant."""
    return instant.astimezone(PARIS).date()
