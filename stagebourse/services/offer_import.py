"""CSV import of offers for structures with many sites.

Two steps: ``preview_import`` checks every row and writes nothing; ``run_import`` writes the
whole file when it is valid, or only its valid rows when the user asks so. The uploaded file
is kept between the two steps in the instance folder under a random name, inside a folder per
structure, so that one structure can never confirm another's file; for an hour at most, within
a quota per structure. Only a validated structure may import, and the file is bounded in bytes
and rows before it is parsed (services/csv_input.py). Rows are matched on the
structure's own ``reference`` (Offer.external_ref): importing the same file twice updates the
offers, it never duplicates them.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import Commune, Company, CompanyState, Offer, Sector, User
from stagebourse.services import ServiceError, csv_input, journal
from stagebourse.services.csv_input import normalise_name, read_csv
from stagebourse.services.files import make_private_dir, private_files_dir, write_private
from stagebourse.services.journal import Event
from stagebourse.services.offer_rules import DAYS, Slot, format_day_ranges, parse_day_ranges
from stagebourse.services.offers import (
    OfferInput,
    TutorInput,
    check_offer,
    offer_levels,
    offerable_weeks,
    save_offer,
)
from stagebourse.services.policy import Action, require

MAX_ROWS = 500
REQUIRED = ["reference", "titre", "secteur", "description", "adresse", "commune", "niveaux",
            "attestation_securite", "tuteur_nom", "tuteur_fonction", "tuteur_email", "semaines"]
OPTIONAL = ["age_min", "accessible", *DAYS, "latitude", "longitude"]
COLUMNS = REQUIRED[:7] + ["age_min", "accessible", *DAYS] + REQUIRED[7:] + ["latitude",
                                                                            "longitude"]
# Which column to point at for each rule of services.offers.check_offer.
FIELD_COLUMNS = {
    "title": "titre", "sector": "secteur", "description": "description", "address": "adresse",
    "commune": "commune", "levels": "niveaux", "min_age": "age_min", "schedule": "lundi…samedi",
    "safety_attested": "attestation_securite", "tutor": "tuteur_email", "seats": "semaines",
    "lat": "latitude", "external_ref": "reference",
}
YES = {"oui", "o", "yes", "y", "1", "vrai", "true", "x"}
NO = {"non", "n", "no", "0", "faux", "false", ""}
_TOKEN_RE = re.compile(r"^[0-9a-f]{32}$")


@dataclass
class RowError:
    line: int
    column: str
    message: str


@dataclass
class ImportPreview:
    token: str
    total: int
    valid: list[tuple[int, OfferInput, int | None]]  # (line, data, id of the offer it updates)
    errors: list[RowError] = field(default_factory=list)

    @property
    def error_lines(self) -> list[int]:
        return sorted({e.line for e in self.errors})


@dataclass
class ImportResult:
    created: int
    updated: int
    skipped: int


def template_rows() -> tuple[list[str], list[list[str]]]:
    weeks = [w for group in offerable_weeks() for w, _label in group.weeks][:2]
    sector = db.session.scalar(select(Sector.code).order_by(Sector.position).limit(1)) or ""
    example = {
        "reference": "SITE-001", "titre": "Découverte d'un atelier de maintenance",
        "secteur": sector,
        "description": "L'élève suit un technicien, découvre les outils de diagnostic et "
                       "participe à la préparation des interventions.",
        "adresse": "12 rue de Famars", "commune": "59606", "niveaux": "3e,2de", "age_min": "14",
        "accessible": "oui", "lundi": "09:00-12:00 13:30-16:30", "mardi": "09:00-12:00 13:30-16:30",
        "mercredi": "09:00-12:00", "jeudi": "09:00-12:00 13:30-16:30",
        "vendredi": "09:00-12:00 13:30-16:00", "samedi": "", "attestation_securite": "oui",
        "tuteur_nom": "Camille Martin", "tuteur_fonction": "Technicienne de maintenance",
        "tuteur_email": "camille.martin@exemple.fr",
        "semaines": " ".join(f"{w}:2" for w in weeks) or "2027-W05:2",
        "latitude": "", "longitude": "",
    }
    return COLUMNS, [[example[c] for c in COLUMNS]]


def export_rows(offers: list[Offer]) -> tuple[list[str], list[list[object]]]:
    """The structure's offers in the import format (plus id and state, ignored on import):
    export, edit in a spreadsheet, import again."""
    rows: list[list[object]] = []
    for offer in offers:
        values = {
            "reference": offer.external_ref or "", "titre": offer.title,
            "secteur": offer.sector_code, "description": offer.description,
            "adresse": offer.address, "commune": offer.commune_code or "",
            "niveaux": ",".join(offer_levels(offer)),
            "age_min": offer.min_age, "accessible": "oui" if offer.accessible else "non",
            "attestation_securite": "oui" if offer.safety_attested else "non",
            "tuteur_nom": offer.tutor.full_name if offer.tutor else "",
            "tuteur_fonction": offer.tutor.job_title if offer.tutor else "",
            "tuteur_email": offer.tutor.email if offer.tutor else "",
            "semaines": " ".join(f"{w.week}:{w.seats}" for w in offer.weeks),
            "latitude": offer.lat, "longitude": offer.lon,
        }
        for day in DAYS:
            values[day] = format_day_ranges(offer.schedule, day)
        rows.append([values[c] for c in COLUMNS] + [offer.id, offer.state.value])
    return [*COLUMNS, "id", "etat"], rows


# Keeping the file between preview and confirmation ----------------------------------------
#
# A staged file lives at most ``IMPORT_STAGED_MAX_AGE_SECONDS`` (an hour), in a 0600 file of
# its structure's 0700 folder; a structure's staged files never exceed
# ``IMPORT_STAGED_QUOTA_BYTES`` (a new preview drops its oldest ones). The worker and
# ``stagebourse purge`` remove expired files even when nobody imports again.

STAGED_SUFFIX = ".csv"


def _folder(company: Company) -> Path:
    return private_files_dir("offer_imports", str(company.id))


def staged_max_age() -> int:
    return int(current_app.config.get("IMPORT_STAGED_MAX_AGE_SECONDS") or 3600)


def staged_quota() -> int:
    return int(current_app.config.get("IMPORT_STAGED_QUOTA_BYTES") or 4 * 1024 * 1024)


def _staged(folder: Path) -> list[tuple[float, int, Path]]:
    """(modified, size, path) of a folder's staged files, oldest first."""
    found = []
    for path in folder.glob(f"*{STAGED_SUFFIX}"):
        try:
            stat = path.stat()
        except FileNotFoundError:  # removed meanwhile by a confirmation or the worker
            continue
        found.append((stat.st_mtime, stat.st_size, path))
    return sorted(found)


def store_upload(company: Company, data: bytes, now: float | None = None) -> str:
    folder = make_private_dir(_folder(company))
    now = time.time() if now is None else now
    quota = staged_quota()
    if len(data) > quota:  # only if an operator set the quota below IMPORT_MAX_BYTES
        raise csv_input.too_large(quota)
    kept = []
    for modified, size, path in _staged(folder):
        if modified < now - staged_max_age():
            path.unlink(missing_ok=True)
        else:
            kept.append((size, path))
    total = sum(size for size, _path in kept) + len(data)
    for size, path in kept:  # oldest first
        if total <= quota:
            break
        path.unlink(missing_ok=True)
        total -= size
    token = secrets.token_hex(16)
    write_private(folder / f"{token}{STAGED_SUFFIX}", data)
    return token


def load_upload(company: Company, token: str) -> bytes:
    path = _folder(company) / f"{token}{STAGED_SUFFIX}"
    if not _TOKEN_RE.match(token or "") or not path.is_file() \
            or path.stat().st_mtime < time.time() - staged_max_age():
        raise ServiceError(_l("Ce fichier n'est plus disponible (import déjà fait ou aperçu "
                              "de plus d'une heure). Envoyez-le de nouveau."))
    return path.read_bytes()


def discard_upload(company: Company, token: str) -> None:
    if _TOKEN_RE.match(token or ""):
        (_folder(company) / f"{token}{STAGED_SUFFIX}").unlink(missing_ok=True)


def purge_staged_uploads(now: float | None = None, *, apply: bool = True) -> int:
    """Remove every structure's staged files older than the maximum age (and the folders
    left empty); the number of files removed (or to remove, without ``apply``)."""
    root = private_files_dir("offer_imports")
    if not root.is_dir():
        return 0
    limit = (time.time() if now is None else now) - staged_max_age()
    removed = 0
    for folder in root.iterdir():
        if not folder.is_dir():
            continue
        for modified, _size, path in _staged(folder):
            if modified < limit:
                removed += 1
                if apply:
                    path.unlink(missing_ok=True)
        if apply and not any(folder.iterdir()):
            try:
                folder.rmdir()
            except OSError:  # a preview stored a file meanwhile: the folder stays
                pass
    return removed


# Parsing a row ----------------------------------------------------------------------------

def _bool(value: str) -> bool | None:
    text = value.strip().lower()
    if text in YES:
        return True
    if text in NO:
        return False
    return None


class _Lookups:
    def __init__(self) -> None:
        self.sectors: dict[str, str] = {}
        for sector in db.session.scalars(select(Sector)):
            self.sectors[sector.code.lower()] = sector.code
            self.sectors[normalise_name(sector.label)] = sector.code
        self.communes: dict[str, str] = {}
        for commune in db.session.scalars(select(Commune)):
            self.communes[commune.code_insee] = commune.code_insee
            self.communes.setdefault(normalise_name(commune.name), commune.code_insee)


def _parse_row(line: int, row: dict[str, str], lookups: _Lookups,
               errors: list[RowError]) -> OfferInput | None:
    before = len(errors)

    def err(column: str, message: str) -> None:
        errors.append(RowError(line, column, message))

    sector = lookups.sectors.get(row["secteur"].strip().lower()) or lookups.sectors.get(
        normalise_name(row["secteur"]))
    if sector is None:
        err("secteur", _("« %(value)s » n'est pas un secteur connu : écrivez le code ou le "
                         "libellé d'un secteur de la liste (voir le modèle).",
                         value=row["secteur"]))
    commune = lookups.communes.get(row["commune"].strip()) or lookups.communes.get(
        normalise_name(row["commune"]))
    if commune is None:
        err("commune", _("« %(value)s » n'est pas une commune de l'agglomération : écrivez "
                         "son code INSEE (ex. 59606) ou son nom exact.", value=row["commune"]))
    levels = {part.strip().lower() for part in re.split(r"[,;/ ]+", row["niveaux"]) if part}
    unknown = levels - {"3e", "2de"}
    if unknown or not levels:
        err("niveaux", _("Écrivez 3e, 2de, ou « 3e,2de » pour les deux niveaux."))
    min_age = 14
    if row.get("age_min", "").strip():
        try:
            min_age = int(row["age_min"])
        except ValueError:
            err("age_min", _("« %(value)s » n'est pas un nombre : écrivez un âge entre 13 et "
                             "18, ou laissez vide (14 ans).", value=row["age_min"]))
    accessible = _bool(row.get("accessible", ""))
    if accessible is None:
        err("accessible", _("Écrivez oui ou non."))
    attested = _bool(row["attestation_securite"])
    if attested is None:
        err("attestation_securite", _("Écrivez oui pour attester qu'aucune machine ni "
                                      "produit dangereux ne sera utilisé."))
    schedule: list[Slot] = []
    for day in DAYS:
        if row.get(day, "").strip():
            try:
                schedule.extend(parse_day_ranges(day, row[day]))
            except ValueError as error:
                err(day, f"{error}.")
    seats: dict[str, int] = {}
    for part in re.split(r"[\s,;]+", row["semaines"].strip()):
        if not part:
            continue
        match = re.fullmatch(r"(\d{4}-W\d{2}):(\d{1,3})", part)
        if not match:
            err("semaines", _("« %(value)s » : écrivez chaque semaine sous la forme "
                              "AAAA-Wss:places, séparées par des espaces (ex. 2027-W05:2 "
                              "2027-W06:1).", value=part))
            continue
        seats[match.group(1)] = int(match.group(2))
    lat = lon = None
    if row.get("latitude", "").strip() or row.get("longitude", "").strip():
        try:
            lat = float(row.get("latitude", "").replace(",", "."))
            lon = float(row.get("longitude", "").replace(",", "."))
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ValueError
        except ValueError:
            err("latitude", _("Coordonnées invalides : laissez latitude et longitude vides "
                              "(le centre de la commune sera utilisé) ou écrivez deux nombres "
                              "décimaux (ex. 50.357 et 3.523)."))
            lat = lon = None
    if len(errors) > before:
        return None
    return OfferInput(
        title=row["titre"], sector_code=sector or "", description=row["description"],
        address=row["adresse"], commune_code=commune, for_3e="3e" in levels,
        for_2de="2de" in levels, min_age=min_age, accessible=bool(accessible),
        schedule=schedule, safety_attested=bool(attested), seats=seats, lat=lat, lon=lon,
        new_tutor=TutorInput(row["tuteur_nom"], row["tuteur_fonction"], row["tuteur_email"]),
        external_ref=row["reference"].strip(), publish=True,
    )


def max_rows() -> int:
    """``MAX_ROWS``, or ``IMPORT_MAX_ROWS`` when the operator set it lower."""
    return csv_input.max_rows(MAX_ROWS)


NOT_VALIDATED = _l(
    "L'import d'offres par fichier CSV est réservé aux structures validées par le groupe de "
    "pilotage, et la vôtre ne l'est pas (encore). En attendant la validation, créez vos "
    "offres une à une avec « Nouvelle offre ».")


def check_may_import(company: Company) -> None:
    """A structure may send a file only once validated: a self-registered structure, still
    pending, would otherwise make the server read and keep files for anyone (issue 17)."""
    if company.state != CompanyState.VALIDATED:
        raise ServiceError(NOT_VALIDATED)


def preview_import(company: Company, data: bytes, token: str | None = None) -> ImportPreview:
    """Check every row; write nothing but the staged file. ServiceError for file-level
    problems, and for a structure not validated (before the file is even read)."""
    check_may_import(company)
    table = read_csv(data, required=REQUIRED, optional=OPTIONAL, max_rows=max_rows())
    if token is None:
        token = store_upload(company, data)
    preview = ImportPreview(token, len(table.rows), [])
    lookups = _Lookups()
    existing = {o.external_ref: o for o in db.session.scalars(
        select(Offer).where(Offer.company_id == company.id, Offer.external_ref.is_not(None)))}
    seen: dict[str, int] = {}
    for line, row in table.rows:
        reference = row["reference"].strip()
        if not reference:
            preview.errors.append(RowError(line, "reference", _(
                "Donnez à chaque offre une référence unique (ex. SITE-001) : elle évite les "
                "doublons si vous importez de nouveau le fichier.")))
            continue
        if len(reference) > 100:
            preview.errors.append(RowError(line, "reference", _(
                "Référence trop longue : 100 caractères au plus.")))
            continue
        if reference in seen:
            preview.errors.append(RowError(line, "reference", _(
                "La référence « %(ref)s » est déjà utilisée ligne %(line)s : chaque ligne doit "
                "avoir la sienne.", ref=reference, line=seen[reference])))
            continue
        seen[reference] = line
        data_row = _parse_row(line, row, lookups, preview.errors)
        if data_row is None:
            continue
        offer = existing.get(reference)
        problems = check_offer(company, data_row, offer)
        for key, message in problems.items():
            preview.errors.append(RowError(line, FIELD_COLUMNS.get(key, key), message))
        if not problems:
            preview.valid.append((line, data_row, offer.id if offer else None))
    return preview


def run_import(actor: User, company: Company, token: str, only_valid: bool) -> ImportResult:
    require(actor, Action.COMPANY_OFFERS, company)
    check_may_import(company)
    data = load_upload(company, token)
    preview = preview_import(company, data, token)
    if preview.errors and not only_valid:
        raise ServiceError(_l("Le fichier contient encore %(n)s erreur(s) : corrigez-les et "
                              "envoyez-le de nouveau, ou choisissez d'importer seulement les "
                              "lignes valides.", n=len(preview.errors)))
    if not preview.valid:
        raise ServiceError(_l("Aucune ligne valide à importer."))
    created = updated = 0
    for _line, row, offer_id in preview.valid:
        offer = db.session.get(Offer, offer_id) if offer_id else None
        save_offer(actor, company, row, offer, source="csv")
        if offer is None:
            created += 1
        else:
            updated += 1
        db.session.flush()
    result = ImportResult(created, updated, len(preview.error_lines))
    journal.record(actor, Event.OFFER_CSV_IMPORTED, company, created=created, updated=updated,
                   skipped_lines=preview.error_lines)
    db.session.flush()
    discard_upload(company, token)
    return result
