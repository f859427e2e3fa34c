"""Reading CSV files that people upload: encoding, separator, header, size, clear refusals."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass

from flask_babel import gettext as _

from stagebourse.services import ServiceError


@dataclass
class CsvTable:
    header: list[str]  # normalised column names
    rows: list[tuple[int, dict[str, str]]]  # (line number in the file, values by column)
    delimiter: str


def normalise_header(name: str) -> str:
    """« Tuteur e-mail » → ``tuteur_e_mail``: accents, case and spaces do not matter."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) only; anything else is refused with what to do."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ServiceError(_(
            "Ce fichier n'est pas encodé en UTF-8 (il vient sans doute d'Excel en « CSV » "
            "simple). Enregistrez le fichier en UTF-8 : dans Excel, « Enregistrer sous » puis "
            "« CSV UTF-8 (délimité par des virgules) » ; dans LibreOffice, cochez « Éditer les "
            "paramètres du filtre » et choisissez « Unicode (UTF-8) »."
        )) from None
    if "\x00" in text:
        raise ServiceError(_(
            "Ce fichier n'est pas un fichier CSV texte (il contient des octets nuls). "
            "Enregistrez le fichier en UTF-8, au format CSV."
        ))
    return text


def read_csv(
    data: bytes,
    *,
    required: list[str],
    optional: list[str] = (),  # type: ignore[assignment]
    max_rows: int,
) -> CsvTable:
    """Decode, detect ';' or ',' and check the columns; ServiceError says what is wrong."""
    if not data.strip():
        raise ServiceError(_("Le fichier est vide. Choisissez le fichier CSV rempli."))
    text = decode(data)
    first_line = text.splitlines()[0] if text else ""
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        lines = list(reader)
    except csv.Error as error:
        raise ServiceError(_("Le fichier CSV est mal formé (%(error)s). Vérifiez les "
                             "guillemets.", error=error)) from None
    if not lines:
        raise ServiceError(_("Le fichier est vide. Choisissez le fichier CSV rempli."))
    header = [normalise_header(name) for name in lines[0]]
    missing = [name for name in required if name not in header]
    if missing:
        raise ServiceError(_(
            "Colonnes manquantes : %(columns)s. La première ligne doit contenir les noms de "
            "colonnes du modèle, séparés par « ; » ou « , » (téléchargez le modèle pour les "
            "voir).", columns=", ".join(missing)))
    body = [(number, line) for number, line in enumerate(lines[1:], start=2)
            if any(cell.strip() for cell in line)]
    if len(body) > max_rows:
        raise ServiceError(_(
            "Le fichier contient %(n)s lignes : le maximum est %(max)s par import. "
            "Découpez-le en plusieurs fichiers.", n=len(body), max=max_rows))
    if not body:
        raise ServiceError(_("Le fichier ne contient aucune ligne après les noms de colonnes."))
    known = set(required) | set(optional)
    rows = []
    for number, line in body:
        values = {name: (line[i].strip() if i < len(line) else "")
                  for i, name in enumerate(header) if name in known}
        rows.append((number, values))
    return CsvTable(header, rows, delimiter)


def normalise_name(name: str) -> str:
    """For matching structures by name: no accents, case, punctuation or legal form."""
    text = normalise_header(name).replace("_", " ")
    words = [w for w in text.split() if w not in {"sa", "sas", "sasu", "sarl", "eurl", "sci",
                                                    "snc", "scop", "la", "le", "les", "l"}]
    return " ".join(words)
