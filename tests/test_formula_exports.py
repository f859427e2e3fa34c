"""Spreadsheet formula injection: text that Excel or LibreOffice would run as a formula is made
inert in the XLSX audit export exactly as in the CSV exports (a leading apostrophe). The file
is written, then read back with openpyxl, as a spreadsheet would open it."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from stagebourse.services.matching_report import Table, xlsx_bytes
from stagebourse.web.exports import csv_response

HOSTILE = ["=HYPERLINK(\"http://exemple.test\",\"clic\")", "+33 6 00 00 00 00", "-2+3",
           "@SUM(A1:A2)", "\tcaché", "\r=1+1", "=cmd|' /C calc'!A0"]
HARMLESS = ["Industrie", "3e", "a=b", " =espace d'abord", "12 %"]


@pytest.fixture
def workbook():
    table = Table(id="hostile", title="=titre piégé", header=["=entête", "Secteur"],
                  rows=[[value, "ok"] for value in HOSTILE + HARMLESS])
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes([table], "=audit")))
    return book["hostile"]


def test_no_cell_of_the_xlsx_export_is_a_formula(workbook):
    formulas = [cell.coordinate for row in workbook.iter_rows() for cell in row
                if cell.data_type == "f" or str(cell.value or "").startswith("=")]
    assert formulas == []


def test_hostile_text_is_prefixed_with_an_apostrophe_and_harmless_text_is_kept(workbook):
    values = [row[0].value for row in workbook.iter_rows(min_row=3)]
    # XML reads a carriage return back as a line feed; what matters is the apostrophe.
    assert values == [("'" + v).replace("\r", "\n") for v in HOSTILE] + HARMLESS
    assert workbook["A1"].value == "'=titre piégé"
    assert workbook["A2"].value == "'=entête"


def test_xlsx_and_csv_exports_neutralise_the_same_way(app, workbook):
    with app.test_request_context():
        response = csv_response("x.csv", ["valeur"], [[v] for v in HOSTILE + HARMLESS])
    text = response.get_data(as_text=True).lstrip("\ufeff")
    from_csv = [row[0] for row in csv.reader(io.StringIO(text, newline=""), delimiter=";")][1:]
    from_xlsx = [row[0].value for row in workbook.iter_rows(min_row=3)]
    assert [v.replace("\r", "\n") for v in from_csv] == from_xlsx


def test_numbers_stay_numbers():
    table = Table(id="nombres", title="Nombres", header=["n"], rows=[[-3], [2.5]])  # type: ignore[list-item]
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_bytes([table], "n")))["nombres"]
    assert [sheet["A3"].value, sheet["A4"].value] == [-3, 2.5]
    assert sheet["A3"].data_type == "n"
