"""Deadlines are Paris days, whatever the server's timezone (one clock: stagebourse.clock).

The host runs in UTC here (``TZ=UTC``), the worst case for a French service: at 23:30 UTC on
the deadline day it is already the next day in Paris, so the deadline has passed, while the
host's own calendar still says it is the deadline day.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine

from stagebourse import clock
from stagebourse.models import Role, User
from stagebourse.services import ServiceError, requests
from tests.factories import first_school, make_campaign, make_pupil_user, make_user

DEADLINE = dt.date(2027, 1, 15)  # a winter day: Paris is UTC+1


@pytest.fixture
def utc_host() -> Iterator[None]:
    previous = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if previous is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = previous
    time.tzset()


@pytest.fixture
def pupil(app, utc_host: None) -> User:
    teacher = make_user(Role.TEACHER, "prof@college-test.fr", school=first_school(),
                        validated_at=dt.datetime(2026, 9, 1, tzinfo=dt.UTC))
    make_campaign([teacher.school], deadline=DEADLINE)
    return make_pupil_user(teacher.school)


def at_utc(hour: int, minute: int, day: dt.date = DEADLINE) -> time_machine.travel:
    return time_machine.travel(dt.datetime(day.year, day.month, day.day, hour, minute,
                                           tzinfo=dt.UTC), tick=False)


def test_the_host_calendar_and_the_paris_calendar_disagree_at_23_30_utc(utc_host: None):
    with at_utc(23, 30):
        assert dt.date.today() == DEADLINE  # what the code used to read
        assert clock.today() == DEADLINE + dt.timedelta(days=1)


def test_wishes_can_be_changed_until_midnight_in_paris(pupil: User):
    with at_utc(22, 30):  # 23:30 in Paris, still the deadline day
        requests.add_wish(pupil, pupil.pupil, sector_code="sante")
        assert requests.is_editable(requests.campaign_for(pupil.pupil))


def test_deadline_holds_to_the_paris_day_at_23_30_utc(pupil: User):
    with at_utc(23, 30):  # 00:30 in Paris, the day after the deadline
        assert not requests.is_editable(requests.campaign_for(pupil.pupil))
        with pytest.raises(ServiceError, match="date limite .* est passée"):
            requests.add_wish(pupil, pupil.pupil, sector_code="sante")


def test_summer_time_shifts_midnight_by_two_hours(utc_host: None):
    with at_utc(21, 59, dt.date(2027, 6, 30)):
        assert clock.today() == dt.date(2027, 6, 30)
    with at_utc(22, 0, dt.date(2027, 6, 30)):
        assert clock.today() == dt.date(2027, 7, 1)


def test_no_module_reads_another_clock():
    """Every date and instant comes from stagebourse.clock (models' ``utcnow`` is clock.now)."""
    package = Path(clock.__file__).parent
    offenders = [
        f"{path.relative_to(package.parent)}:{number}"
        for path in package.rglob("*.py") if path.name != "clock.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\bdate\.today\b|\bdatetime\.now\b|\butcfromtimestamp\b", line)
    ]
    assert offenders == []
