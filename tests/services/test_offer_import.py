"""CSV import of offers: preview with precise errors, nothing written until confirmed."""

import pytest
from sqlalchemy import func, select

from stagebourse.extensions import db
from stagebourse.models import Offer, Role
from stagebourse.services import ServiceError
from stagebourse.services.offer_import import MAX_ROWS, preview_import, run_import
from stagebourse.services.offer_search import OfferFilters, search_offers
from tests.factories import first_school, make_campaign, make_company, make_pupil_user, make_user
from tests.offer_csv import offer_row, offers_csv


@pytest.fixture
def company(app):
    make_campaign([first_school()])
    return make_company()


def fifty_rows_two_broken() -> list[dict[str, str]]:
    rows = [offer_row(n) for n in range(1, 51)]
    rows[9]["secteur"] = "astronautique"  # file line 11
    rows[29]["lundi"] = "14:00-21:00"  # file line 31: night
    return rows


def offer_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Offer))


def test_fifty_offers_with_two_broken_rows_are_reported_precisely_and_nothing_is_written(company):
    preview = preview_import(company, offers_csv(fifty_rows_two_broken()).encode())
    assert preview.total == 50 and len(preview.valid) == 48
    assert [(e.line, e.column) for e in preview.errors] == [(11, "secteur"),
                                                           (31, "lundi…samedi")]
    assert "astronautique" in preview.errors[0].message
    assert "20:00 et 06:00" in preview.errors[1].message
    assert offer_count() == 0
    member = make_user(Role.COMPANY, "membre@atelier-test.fr", company=company)
    with pytest.raises(ServiceError, match="2 erreur"):
        run_import(member, company, preview.token, only_valid=False)
    assert offer_count() == 0


def test_valid_rows_import_then_reimport_creates_no_duplicate(company):
    member = make_user(Role.COMPANY, "membre@atelier-test.fr", company=company)
    rows = fifty_rows_two_broken()
    preview = preview_import(company, offers_csv(rows).encode())
    result = run_import(member, company, preview.token, only_valid=True)
    assert (result.created, result.updated, result.skipped) == (48, 0, 2)
    assert offer_count() == 48
    assert len(company.tutors) == 2  # the factory's tutor and the one of the file, once
    rows[9]["secteur"] = "industrie"
    rows[29]["lundi"] = "09:00-12:00"
    again = preview_import(company, offers_csv(rows).encode())
    assert again.errors == []
    result = run_import(member, company, again.token, only_valid=False)
    assert (result.created, result.updated) == (2, 48)
    assert offer_count() == 50
    pupil = make_pupil_user()
    found = search_offers(pupil, OfferFilters(sector="industrie", radius_km=10))
    assert found.total == 50 and found.sort == "distance"
    assert (len(found.hits), found.pages) == (20, 3)
    last = search_offers(pupil, OfferFilters(sector="industrie", page=3))
    assert len(last.hits) == 10
    distances = [h.distance_km for h in search_offers(pupil, OfferFilters(), paginate=False).hits]
    assert distances == sorted(distances)


def test_wrong_encoding_is_refused_with_what_to_do(company):
    data = offers_csv([offer_row(1)]).encode("cp1252")
    with pytest.raises(ServiceError, match="(?i)enregistrez le fichier en UTF-8"):
        preview_import(company, data)


def test_comma_separator_and_utf8_bom_are_accepted(company):
    data = ("\ufeff" + offers_csv([offer_row(1), offer_row(2)], delimiter=",")).encode()
    preview = preview_import(company, data)
    assert preview.errors == [] and len(preview.valid) == 2


def test_missing_columns_and_too_many_rows_are_refused_clearly(company):
    columns = ["reference", "titre"]
    with pytest.raises(ServiceError, match="Colonnes manquantes : secteur"):
        preview_import(company, offers_csv([offer_row(1)], columns=columns).encode())
    rows = [offer_row(n) for n in range(MAX_ROWS + 1)]
    with pytest.raises(ServiceError, match=f"maximum est {MAX_ROWS}"):
        preview_import(company, offers_csv(rows).encode())


def test_duplicate_reference_in_the_file_is_an_error_of_the_second_line(company):
    preview = preview_import(company, offers_csv([offer_row(1), offer_row(1)]).encode())
    assert [(e.line, e.column) for e in preview.errors] == [(3, "reference")]


def test_a_file_cannot_be_confirmed_by_another_structure(company):
    preview = preview_import(company, offers_csv([offer_row(1)]).encode())
    other = make_company(siret="35600000000048", name="Autre")
    member = make_user(Role.COMPANY, "autre@atelier-test.fr", company=other)
    with pytest.raises(ServiceError, match="plus disponible"):
        run_import(member, other, preview.token, only_valid=False)
