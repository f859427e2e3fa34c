"""Load the public reference data (communes, schools, sectors) from ``seed/``.

Each row is checked while loading; a bad row is reported with its line number and the rest
still loads. Loading is an upsert on the official code, so running it twice changes nothing.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.identifiers import is_valid_uai, normalise_uai
from stagebourse.models import Commune, Priority, School, SchoolKind, Sector
from stagebourse.services import journal
from stagebourse.services.journal import Event

SEED_DIR = Path(__file__).resolve().parents[2] / "seed"
_INSEE_RE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
_POSTCODE_RE = re.compile(r"^\d{5}$")
_SECTOR_CODE_RE = re.compile(r"^[a-z][a-z0-9-]{1,39}$")


class RowError(ValueError):
    pass


@dataclass
class ImportReport:
    name: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)

    def lines(self) -> list[str]:
        head = (
            f"{self.name} : {self.created} créé(s), {self.updated} mis à jour, "
            f"{self.unchanged} inchangé(s), {len(self.errors)} ligne(s) rejetée(s)"
        )
        return (
            [head]
            + [f"  ligne {line} : {message}" for line, message in self.errors]
            + [f"  ligne {line} (avertissement) : {message}" for line, message in self.warnings]
        )


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            # Line numbers as a spreadsheet shows them (the header is line 1).
            yield reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}


def _coordinate(row: dict[str, str], name: str, low: float, high: float) -> float:
    try:
        value = float(row[name])
    except (KeyError, ValueError):
        raise RowError(f"{name} « {row.get(name, '')} » n'est pas un nombre") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise RowError(f"{name} {value} hors de l'intervalle [{low}, {high}]")
    return value


def _insee(value: str) -> str:
    if not _INSEE_RE.match(value):
        raise RowError(f"code INSEE « {value} » invalide (5 caractères, ex. 59606)")
    return value


def _upsert(report: ImportReport, existing: Any, model: type, values: dict[str, Any]) -> None:
    if existing is None:
        db.session.add(model(**values))
        report.created += 1
        return
    changed = False
    for key, value in values.items():
        if getattr(existing, key) != value:
            setattr(existing, key, value)
            changed = True
    if changed:
        report.updated += 1
    else:
        report.unchanged += 1


def _load(
    path: Path, report: ImportReport, handle_row: Callable[[dict[str, str]], str | None]
) -> ImportReport:
    for line, row in _rows(path):
        try:
            with db.session.begin_nested():
                warning = handle_row(row)
        except RowError as error:
            report.errors.append((line, str(error)))
        else:
            if warning:
                report.warnings.append((line, warning))
    return report


def load_communes(path: Path = SEED_DIR / "cavm_communes.csv") -> ImportReport:
    report = ImportReport("Communes")

    def handle(row: dict[str, str]) -> None:
        code = _insee(row.get("code_insee", ""))
        name = row.get("nom", "")
        if not name:
            raise RowError("nom de commune manquant")
        postcodes = row.get("codes_postaux", "").split()
        if not postcodes or not all(_POSTCODE_RE.match(p) for p in postcodes):
            raise RowError(f"codes postaux « {row.get('codes_postaux', '')} » invalides")
        population = row.get("population_municipale") or None
        if population is not None and not population.isdigit():
            raise RowError(f"population « {population} » n'est pas un entier")
        values = {
            "code_insee": code,
            "name": name,
            "postcodes": " ".join(postcodes),
            "population": int(population) if population else None,
            "lat": _coordinate(row, "lat", -90, 90),
            "lon": _coordinate(row, "lon", -180, 180),
            "in_agglomeration": True,
        }
        _upsert(report, db.session.get(Commune, code), Commune, values)

    return _load(path, report, handle)


def _school_kind(value: str) -> SchoolKind:
    lowered = value.lower()
    if lowered.startswith("coll"):
        return SchoolKind.COLLEGE
    if lowered.startswith("lyc"):
        return SchoolKind.LYCEE
    raise RowError(f"type d'établissement « {value} » inconnu (attendu : collège ou lycée)")


def _priority(value: str) -> Priority | None:
    if not value:
        return None
    try:
        return Priority(value.upper())
    except ValueError:
        raise RowError(f"éducation prioritaire « {value} » invalide (REP, REP+ ou vide)") from None


def load_schools(path: Path = SEED_DIR / "cavm_schools.csv") -> ImportReport:
    report = ImportReport("Établissements")

    def handle(row: dict[str, str]) -> str | None:
        uai = normalise_uai(row.get("uai", ""))
        if not is_valid_uai(uai):
            raise RowError(
                f"UAI « {uai} » invalide : 7 chiffres puis la lettre de contrôle "
                "(vérifiez le code dans l'annuaire de l'éducation)"
            )
        name = row.get("nom", "")
        if not name:
            raise RowError("nom d'établissement manquant")
        code = _insee(row.get("code_insee", ""))
        status = row.get("statut", "public").lower()
        if status not in {"public", "privé", "prive"}:
            raise RowError(f"statut « {status} » invalide (public ou privé)")
        commune = db.session.get(Commune, code)
        warning = None
        if not row.get("lat") and not row.get("lon") and commune is not None:
            # Approximate is enough for travel estimates; say so rather than drop the school.
            row = {**row, "lat": str(commune.lat), "lon": str(commune.lon)}
            warning = f"coordonnées absentes : centre de {commune.name} utilisé"
        values = {
            "uai": uai,
            "kind": _school_kind(row.get("type", "")),
            "name": name,
            "former_name": row.get("ancien_nom") or None,
            "is_public": status == "public",
            "commune_code": code if commune is not None else None,
            "town": row.get("commune") or code,
            "priority": _priority(row.get("education_prioritaire_2022", "")),
            "qpv_situation": row.get("situation_qpv") or None,
            "lat": _coordinate(row, "lat", -90, 90),
            "lon": _coordinate(row, "lon", -180, 180),
        }
        existing = db.session.scalar(select(School).where(School.uai == uai))
        _upsert(report, existing, School, values)
        return warning

    return _load(path, report, handle)


def load_sectors(path: Path = SEED_DIR / "sectors.csv") -> ImportReport:
    report = ImportReport("Secteurs")
    position = 0

    def handle(row: dict[str, str]) -> None:
        nonlocal position
        code, label = row.get("code", ""), row.get("label", "")
        if not _SECTOR_CODE_RE.match(code):
            raise RowError(f"code de secteur « {code} » invalide (minuscules, chiffres, tirets)")
        if not label:
            raise RowError("libellé de secteur manquant")
        position += 1
        values = {"code": code, "label": label, "position": position}
        _upsert(report, db.session.get(Sector, code), Sector, values)

    return _load(path, report, handle)


def load_reference(seed_dir: Path = SEED_DIR) -> list[ImportReport]:
    """Communes first (schools point to them), then schools and sectors; one commit."""
    reports = [
        load_communes(seed_dir / "cavm_communes.csv"),
        load_schools(seed_dir / "cavm_schools.csv"),
        load_sectors(seed_dir / "sectors.csv"),
    ]
    changes = {r.name: [r.created, r.updated, len(r.errors)] for r in reports}
    if any(r.created or r.updated for r in reports):
        journal.record(None, Event.REFERENCE_LOADED, None, changes=changes)
    db.session.flush()
    return reports
