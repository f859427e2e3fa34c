"""The rules for minors in observation internships, without a request or a database."""

import pytest

from stagebourse.geo import haversine_km
from stagebourse.services.offer_rules import (
    Slot,
    check_safety_attested,
    check_schedule,
    check_seats_not_below_assigned,
    parse_day_ranges,
)

WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi")


def week(start: str, end: str, days=WEEKDAYS) -> list[Slot]:
    return [Slot(day, start, end) for day in days]


def test_a_six_hour_day_five_days_is_accepted_without_warning_at_15():
    check = check_schedule(week("09:00", "15:00"), min_age=15)
    assert check.ok and not check.warnings
    assert check.week_minutes == 30 * 60


def test_more_than_seven_hours_a_day_is_refused_with_the_reason():
    check = check_schedule([Slot("lundi", "08:00", "16:00")], min_age=14)
    assert not check.ok
    assert "7 h par jour" in check.errors[0] and "lundi" in check.errors[0]


def test_a_forty_hour_week_is_refused():
    slots = week("08:00", "12:00") + week("13:00", "17:00")  # 8 h a day: also over 7 h
    six_days = week("09:00", "15:40", days=(*WEEKDAYS, "samedi"))  # 6 h 40 × 6 = 40 h
    check = check_schedule(six_days, min_age=15)
    assert any("35 h par semaine" in e for e in check.errors)
    assert "40 h" in " ".join(check.errors)
    assert not check_schedule(slots, 15).ok


def test_thirty_two_hours_warns_for_under_15_only():
    slots = week("09:00", "15:24")  # 6 h 24 × 5 = 32 h
    assert check_schedule(slots, min_age=14).warnings
    assert check_schedule(slots, min_age=14).ok
    assert not check_schedule(slots, min_age=15).warnings


def test_night_hours_are_refused():
    late = check_schedule([Slot("mardi", "15:00", "21:00")], min_age=14)
    early = check_schedule([Slot("mardi", "05:30", "09:00")], min_age=14)
    for check in (late, early):
        assert not check.ok
        assert "20:00 et 06:00" in check.errors[0]


def test_overlapping_and_reversed_ranges_are_refused():
    assert "chevauchent" in " ".join(check_schedule(
        [Slot("lundi", "09:00", "12:00"), Slot("lundi", "11:00", "13:00")], 14).errors)
    assert "finit avant" in check_schedule([Slot("lundi", "12:00", "09:00")], 14).errors[0]


def test_an_empty_schedule_is_refused():
    assert not check_schedule([], 14).ok


def test_day_ranges_are_parsed_from_plain_text():
    slots = parse_day_ranges("jeudi", "9h00 - 12:00, 13:30-16:30")
    assert slots == [Slot("jeudi", "09:00", "12:00"), Slot("jeudi", "13:30", "16:30")]
    with pytest.raises(ValueError, match="plage horaire"):
        parse_day_ranges("jeudi", "le matin")


def test_safety_attestation_is_mandatory():
    assert "D. 331-9" in (check_safety_attested(False) or "")
    assert check_safety_attested(True) is None


def test_seats_cannot_go_below_assigned():
    message = check_seats_not_below_assigned("2027-W05", 1, 2)
    assert message and "2 élève(s)" in message
    assert check_seats_not_below_assigned("2027-W05", 2, 2) is None


def test_haversine_valenciennes_to_anzin_is_about_three_km():
    assert 2.0 < haversine_km(50.3575, 3.5233, 50.37599, 3.51118) < 3.0
    assert haversine_km(50.0, 3.0, 50.0, 3.0) == 0.0
