import datetime as dt

import pytest

from stagebourse.identifiers import (
    age_on,
    is_valid_siret,
    is_valid_uai,
    iso_week,
    parse_iso_week,
    seconde_default_weeks,
)


@pytest.mark.parametrize("uai", ["0590006L", "0594301E", "0590221V", "0590006l"])
def test_real_uai_codes_pass_the_check_letter(uai: str):
    assert is_valid_uai(uai)


@pytest.mark.parametrize("uai", ["0590006M", "059006L", "A590006L", "", "05900060"])
def test_bad_uai_codes_fail(uai: str):
    assert not is_valid_uai(uai)


def test_siret_luhn_and_la_poste_rule():
    assert is_valid_siret("732 829 320 00074")
    assert not is_valid_siret("73282932000075")
    # La Poste establishments (SIREN 356000000) are checked by digit sum, not Luhn.
    assert is_valid_siret("35600000049837")
    assert not is_valid_siret("35600000049838")
    assert not is_valid_siret("1234")


def test_iso_weeks():
    assert parse_iso_week("2027-W05") == (2027, 5)
    assert iso_week(dt.date(2027, 2, 1)) == "2027-W05"
    assert iso_week(dt.date(2027, 1, 1)) == "2026-W53"
    with pytest.raises(ValueError, match="n'est pas une semaine ISO"):
        parse_iso_week("2027-5")
    with pytest.raises(ValueError, match="n'a pas de semaine 53"):
        parse_iso_week("2027-W53")


def test_seconde_default_is_the_two_weeks_ending_on_the_last_friday_by_30_june():
    assert seconde_default_weeks(2024) == ["2024-W25", "2024-W26"]  # 17-28 June 2024
    assert seconde_default_weeks(2025) == ["2025-W25", "2025-W26"]  # 16-27 June 2025
    assert seconde_default_weeks(2027) == ["2027-W24", "2027-W25"]  # 30 June is a Wednesday
    assert seconde_default_weeks(2028) == ["2028-W25", "2028-W26"]  # 30 June is a Friday


def test_age_on_birthday():
    assert age_on(dt.date(2012, 3, 4), dt.date(2027, 3, 3)) == 14
    assert age_on(dt.date(2012, 3, 4), dt.date(2027, 3, 4)) == 15
