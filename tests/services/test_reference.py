"""Reference data: validated row by row, bad rows reported with their line, idempotent."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import func, select

from stagebourse.extensions import db
from stagebourse.models import Commune, School, Sector
from stagebourse.services.reference import SEED_DIR, load_reference, load_schools


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_reference_data_loads_all_communes_schools_and_sectors(app):
    assert count(Commune) == 35
    assert count(School) == 23
    assert 15 <= count(Sector) <= 25
    total = db.session.scalar(select(func.sum(Commune.population)))
    assert total == 191_885  # INSEE municipal population of the agglomeration
    renamed = db.session.scalar(select(School).where(School.uai == "0593680E"))
    assert renamed.name == "Joséphine Baker" and renamed.former_name == "Chasse Royale"
    assert renamed.priority.value == "REP+"


def test_school_without_coordinates_gets_its_commune_centre_and_a_warning(app):
    lavoisier = db.session.scalar(select(School).where(School.uai == "0594644C"))
    saint_saulve = db.session.get(Commune, "59544")
    assert (lavoisier.lat, lavoisier.lon) == (saint_saulve.lat, saint_saulve.lon)
    report = load_schools()
    assert report.warnings == [(11, "coordonnées absentes : centre de Saint-Saulve utilisé")]


def test_running_it_twice_changes_nothing(app):
    reports = load_reference()
    assert [(r.created, r.updated, r.errors) for r in reports] == [(0, 0, [])] * 3
    assert [r.unchanged for r in reports] == [35, 23, count(Sector)]


def test_bad_rows_are_reported_with_their_line_and_the_rest_loads(app, tmp_path: Path):
    seed = tmp_path / "seed"
    shutil.copytree(SEED_DIR, seed)
    path = seed / "cavm_schools.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0]
    bad_uai = "0590006M,collège,Mauvais UAI,,public,59014,Anzin,REP,,50.37,3.50,test"
    bad_lat = "0590157A,collège,Mauvaise latitude,,public,59157,Onnaing,REP,,north,3.59,test"
    new_ok = "0594408W,collège,Germinal,,public,59491,Raismes,REP+,,50.389,3.486,test"
    path.write_text("\n".join([header, bad_uai, bad_lat, new_ok]) + "\n", encoding="utf-8")
    db.session.execute(School.__table__.delete())
    report = load_schools(path)
    assert [line for line, _ in report.errors] == [2, 3]
    assert "UAI « 0590006M » invalide" in report.errors[0][1]
    assert "lat « north » n'est pas un nombre" in report.errors[1][1]
    assert report.created == 1
    germinal = db.session.scalar(select(School).where(School.uai == "0594408W"))
    # Raismes is outside the agglomeration: the school loads, with no commune link.
    assert germinal.commune_code is None and germinal.town == "Raismes"


def test_bad_commune_row_is_reported(app, tmp_path: Path):
    from stagebourse.services.reference import load_communes

    path = tmp_path / "communes.csv"
    path.write_text(
        "code_insee,nom,codes_postaux,siren_commune,population_municipale,lat,lon\n"
        "5960,Valenciennes,59300,x,42000,50.35,3.52\n"
        "59606,Valenciennes,5930,x,42000,50.35,3.52\n"
        "59606,Valenciennes,59300,x,42000,95,3.52\n",
        encoding="utf-8",
    )
    report = load_communes(path)
    assert [line for line, _ in report.errors] == [2, 3, 4]
    assert "code INSEE « 5960 » invalide" in report.errors[0][1]
    assert "codes postaux" in report.errors[1][1]
    assert "hors de l'intervalle" in report.errors[2][1]
