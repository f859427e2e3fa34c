"""The shared reader of uploaded CSV files: encodings, separators, header names."""

import pytest

from stagebourse.services import ServiceError
from stagebourse.services.csv_input import (
    TooManyRows,
    check_row_limit,
    compact_key,
    decode,
    normalise_header,
    read_table,
    sniff_delimiter,
)


def test_utf8_with_or_without_bom_is_read_as_is():
    assert decode("nom;prénom\n".encode()).text == "nom;prénom\n"
    assert decode("\ufeffnom;prénom\n".encode()).legacy is False
    assert decode("\ufeffnom;prénom\n".encode()).text == "nom;prénom\n"


def test_windows_1252_is_decoded_and_flagged_as_legacy():
    decoded = decode("Lefèvre;Noé\n".encode("cp1252"))
    assert (decoded.text, decoded.legacy) == ("Lefèvre;Noé\n", True)


@pytest.mark.parametrize("data, expected", [
    ("nom;prenom\n".encode("utf-16"), "UTF-16"),
    (b"PK\x03\x04\x14\x00\x06\x00", ".xlsx/.ods"),
    (b"nom;prenom\n" + b"x" * 5000 + b"\x00", "octets nuls"),
])
def test_spreadsheets_utf16_and_binary_files_are_refused(data, expected):
    with pytest.raises(ServiceError, match=expected.replace(".", r"\.")):
        decode(data)


def test_separator_is_the_most_frequent_of_semicolon_comma_and_tab():
    assert sniff_delimiter("nom;prenom;classe") == ";"
    assert sniff_delimiter("nom,prenom,classe") == ","
    assert sniff_delimiter("nom\tprenom\tclasse") == "\t"
    assert sniff_delimiter("nom;prenom,classe") == ";"
    assert sniff_delimiter("nom|prenom") is None


def test_records_skip_blank_lines_and_keep_their_line_numbers():
    table = read_table("a;b\n1;2\n\n;\n3;4\n", ";")
    assert table.header == ["a", "b"]
    assert [(number, line, cells) for number, line, cells in table.rows] == [
        (2, 2, ["1", "2"]), (5, 5, ["3", "4"])]


def test_row_limit_reports_count_and_limit():
    check_row_limit(10, 10)
    with pytest.raises(TooManyRows) as caught:
        check_row_limit(11, 10)
    assert (caught.value.count, caught.value.limit) == (11, 10)


def test_header_names_ignore_accents_case_and_punctuation():
    assert normalise_header(" Tuteur E-mail ") == "tuteur_e_mail"
    assert compact_key("Date de naissance") == "datedenaissance"
    assert compact_key("Prénom") == "prenom"
