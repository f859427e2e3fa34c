"""Reading CSV files that people upload, for every import (offers, Charter signatories, class
rosters): encoding, separator, header names, size. One implementation of the file-level steps;
each importer keeps its own policy (is a Windows-1252 file accepted?), its own wording and its
own row checks.

The building blocks (``decode``, ``sniff_delimiter``, ``read_table``, ``check_row_limit``,
``normalise_header``) report problems the callers word themselves (``LegacyEncoding`` aside,
the refusals of unreadable files are the same for every import); ``read_csv`` is the complete
reader of the offer and signatories imports.

Every import is bounded before it is parsed (``read_upload``, ``check_size``): the body is read
in chunks and refused as soon as it passes ``IMPORT_MAX_BYTES``, and ``read_table`` stops at
the row limit instead of building every record first. A file the size of the request limit
(10 MB) was once read whole and parsed before being refused: up to two seconds of CPU and
hundreds of megabytes per request (benchmarks/imports.py).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from typing import IO

from flask import current_app
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from stagebourse.services import ServiceError

DELIMITERS = (";", ",", "\t")  # in order of preference when a header line has as many of each
_SNIFF_BYTES = 4096
_CHUNK_BYTES = 64 * 1024

# Defaults of the settings (config.py reads them from the environment).
DEFAULT_MAX_BYTES = 2 * 1024 * 1024
DEFAULT_MAX_ROWS = 1000


# Size --------------------------------------------------------------------------------------

def max_bytes() -> int:
    """``IMPORT_MAX_BYTES``: the largest file any import reads."""
    return int(current_app.config.get("IMPORT_MAX_BYTES") or DEFAULT_MAX_BYTES)


def max_rows(own_limit: int) -> int:
    """An importer's own row limit, never above ``IMPORT_MAX_ROWS`` (the files companies and
    schools send)."""
    return min(own_limit, int(current_app.config.get("IMPORT_MAX_ROWS") or DEFAULT_MAX_ROWS))


def format_size(size: int) -> str:
    """1048576 → « 1 Mo », 524288 → « 512 Ko » (decimal comma in French)."""
    if size >= 1024 * 1024:
        return str(_("%(n)s Mo", n=format_decimal(round(size / (1024 * 1024), 1))))
    return str(_("%(n)s Ko", n=format_decimal(max(1, round(size / 1024)))))


def too_large(limit: int) -> ServiceError:
    return ServiceError(_l(
        "Le fichier dépasse %(max)s, la taille maximale d'un import. Découpez-le en plusieurs "
        "fichiers plus petits et envoyez-les l'un après l'autre.", max=format_size(limit)))


def check_size(size: int, limit: int | None = None) -> None:
    """Refuse a body (or a declared Content-Length) above the limit, before reading it."""
    limit = max_bytes() if limit is None else limit
    if size > limit:
        raise too_large(limit)


def read_upload(stream: IO[bytes], limit: int | None = None) -> bytes:
    """Read an uploaded file in chunks, stopping at the first byte past the limit: a large
    file is never held whole in memory to find out that it is too large."""
    limit = max_bytes() if limit is None else limit
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = stream.read(min(_CHUNK_BYTES, limit + 1 - size))
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)



# Encoding ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class DecodedText:
    text: str
    legacy: bool  # True: not UTF-8, read as Windows-1252 (Excel's "CSV" on Windows) or Latin-1


def decode(data: bytes) -> DecodedText:
    """UTF-8 with or without BOM as is; any other 8-bit file read as Windows-1252 (else
    Latin-1) with ``legacy`` set, so that each import decides whether to accept it. A
    spreadsheet (.xlsx/.ods) or a UTF-16 file is refused with what to do."""
    if data.startswith(b"PK\x03\x04"):
        raise ServiceError(_l(
            "Ce fichier est un classeur Excel ou LibreOffice (.xlsx/.ods), pas un CSV. Dans "
            "votre tableur, choisissez « Enregistrer sous » puis « CSV UTF-8 »."))
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:_SNIFF_BYTES]:
        raise ServiceError(_l(
            "Ce fichier n'est pas un CSV lisible (encodage UTF-16 ou fichier tableur). Dans "
            "votre tableur, choisissez « Enregistrer sous » puis « CSV UTF-8 (délimité par des "
            "virgules) » ou « Texte CSV » avec le jeu de caractères « Unicode (UTF-8) »."))
    if b"\x00" in data:
        raise ServiceError(_l(
            "Ce fichier n'est pas un fichier CSV texte (il contient des octets nuls). "
            "Enregistrez le fichier en UTF-8, au format CSV."))
    try:
        return DecodedText(data.decode("utf-8-sig"), legacy=False)
    except UnicodeDecodeError:
        pass
    try:
        return DecodedText(data.decode("cp1252"), legacy=True)
    except UnicodeDecodeError:
        return DecodedText(data.decode("latin-1"), legacy=True)


def decode_utf8_only(data: bytes) -> str:
    """The offer and signatories imports' policy: a non-UTF-8 file is refused with advice."""
    decoded = decode(data)
    if decoded.legacy:
        raise ServiceError(_(
            "Ce fichier n'est pas encodé en UTF-8 (il vient sans doute d'Excel en « CSV » "
            "simple). Enregistrez le fichier en UTF-8 : dans Excel, « Enregistrer sous » puis "
            "« CSV UTF-8 (délimité par des virgules) » ; dans LibreOffice, cochez « Éditer les "
            "paramètres du filtre » et choisissez « Unicode (UTF-8) »."
        ))
    return decoded.text


# Separator, records, size --------------------------------------------------------------------

def sniff_delimiter(header_line: str) -> str | None:
    """The most frequent of ';', ',' and tab on the header line (';' first on a tie); None
    when there is none (a one-column file, or an unknown separator)."""
    counts = {sep: header_line.count(sep) for sep in DELIMITERS}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else None


class CsvSyntaxError(Exception):
    """A record the csv module cannot read (an unclosed quote...)."""

    def __init__(self, line: int, error: str) -> None:
        self.line, self.error = line, error
        super().__init__(f"line {line}: {error}")


@dataclass
class RawTable:
    delimiter: str
    header: list[str]  # the first record, as written
    # Records after the header with at least one non-blank cell: (record number counting the
    # header as 1, physical line where the record ends, cells).
    rows: list[tuple[int, int, list[str]]]
    empty: bool = False  # no record at all, not even a header


def read_table(text: str, delimiter: str, max_rows: int | None = None) -> RawTable:
    """Split decoded text into records; CsvSyntaxError names the line. With ``max_rows``,
    reading stops at the first non-blank record past the limit (TooManyRows, count None)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    rows: list[tuple[int, int, list[str]]] = []
    number = 1
    try:
        for cells in reader:
            if header is None:
                header = cells
                continue
            number += 1
            if any(cell.strip() for cell in cells):
                if max_rows is not None and len(rows) >= max_rows:
                    raise TooManyRows(None, max_rows)
                rows.append((number, reader.line_num, cells))
    except csv.Error as error:
        raise CsvSyntaxError(reader.line_num, str(error)) from None
    if header is None:
        return RawTable(delimiter, [], [], empty=True)
    return RawTable(delimiter, header, rows)


class TooManyRows(Exception):
    """``count`` is None when reading stopped at the limit without counting the rest."""

    def __init__(self, count: int | None, limit: int) -> None:
        self.count, self.limit = count, limit
        super().__init__(f"{count if count is not None else 'more'} rows > {limit}")


def check_row_limit(count: int, limit: int) -> None:
    """Refuse a file at once rather than build a preview nobody can read."""
    if count > limit:
        raise TooManyRows(count, limit)


# Header names ------------------------------------------------------------------------------

def normalise_header(name: str) -> str:
    """« Tuteur e-mail » → ``tuteur_e_mail``: accents, case and spaces do not matter."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def compact_key(text: str) -> str:
    """« Date de naissance » → ``datedenaissance``: letters and digits only, no accents."""
    return normalise_header(text).replace("_", "")


def normalise_name(name: str) -> str:
    """For matching structures by name: no accents, case, punctuation or legal form."""
    text = normalise_header(name).replace("_", " ")
    words = [w for w in text.split() if w not in {"sa", "sas", "sasu", "sarl", "eurl", "sci",
                                                    "snc", "scop", "la", "le", "les", "l"}]
    return " ".join(words)


# The reader of the offer and signatories imports ---------------------------------------------

@dataclass
class CsvTable:
    header: list[str]  # normalised column names
    rows: list[tuple[int, dict[str, str]]]  # (line number in the file, values by column)
    delimiter: str


def read_csv(
    data: bytes,
    *,
    required: list[str],
    optional: list[str] = (),  # type: ignore[assignment]
    max_rows: int,
) -> CsvTable:
    """Check the size, decode (UTF-8 only), detect the separator and check the columns;
    ServiceError says what is wrong. Reading stops at ``max_rows``."""
    check_size(len(data))
    if not data.strip():
        raise ServiceError(_("Le fichier est vide. Choisissez le fichier CSV rempli."))
    text = decode_utf8_only(data)
    first_line = text.split("\n", 1)[0].rstrip("\r")
    # One column (a signatories list with names only) is read as such.
    delimiter = sniff_delimiter(first_line) or ";"
    try:
        table = read_table(text, delimiter, max_rows)
    except CsvSyntaxError as error:
        raise ServiceError(_("Le fichier CSV est mal formé (%(error)s). Vérifiez les "
                             "guillemets.", error=error.error)) from None
    except TooManyRows as error:
        raise ServiceError(_l(
            "Le fichier contient plus de %(max)s lignes : le maximum est %(max)s par import. "
            "Découpez-le en plusieurs fichiers.", max=error.limit)) from None
    if table.empty:
        raise ServiceError(_("Le fichier est vide. Choisissez le fichier CSV rempli."))
    header = [normalise_header(name) for name in table.header]
    missing = [name for name in required if name not in header]
    if missing:
        raise ServiceError(_(
            "Colonnes manquantes : %(columns)s. La première ligne doit contenir les noms de "
            "colonnes du modèle, séparés par « ; » ou « , » (téléchargez le modèle pour les "
            "voir).", columns=", ".join(missing)))
    if not table.rows:
        raise ServiceError(_("Le fichier ne contient aucune ligne après les noms de colonnes."))
    known = set(required) | set(optional)
    rows = []
    for number, _line, cells in table.rows:
        values = {name: (cells[i].strip() if i < len(cells) else "")
                  for i, name in enumerate(header) if name in known}
        rows.append((number, values))
    return CsvTable(header, rows, delimiter)
