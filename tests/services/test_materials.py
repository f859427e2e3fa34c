"""Sensitisation materials: the shipped texts, the loader, versions, safe Markdown."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import Audience, JournalEntry, Material, Role
from stagebourse.services import ServiceError
from stagebourse.services.materials import (
    MATERIALS_DIR,
    create_material,
    current_materials,
    edit_material,
    load_materials,
    parse_material_file,
    render_markdown,
)
from tests.factories import make_user

pytestmark = pytest.mark.database


def test_shipped_materials_cover_every_audience_and_topic(app: Flask):
    report = load_materials()
    assert report.errors == []
    slugs = {m.slug: m for m in current_materials()}
    assert {m.audience for m in slugs.values()} == set(Audience)
    for slug in ("tuteur-mecanismes-discrimination", "tuteur-stereotypes-genre-metiers",
                 "tuteur-regles-accueil-mineur", "tuteur-accueillir-eleve-quartier-prioritaire",
                 "tuteur-signaler-discrimination", "eleve-preparer-son-stage",
                 "professeur-preparer-les-eleves"):
        assert slug in slugs
    reporting = slugs["tuteur-signaler-discrimination"].body_md
    for name in ("39 28", "defenseurdesdroits.fr", "Pôle Anti-Discrimination du Parquet de "
                 "Valenciennes", "SOS Racisme", "CIDFF", "AJAR", "Fédération des Centres Sociaux"):
        assert name in reporting
    rules = " ".join(slugs["tuteur-regles-accueil-mineur"].body_md.split())
    assert "D. 331-1 à D. 331-15" in rules and "L. 3162-1" in rules
    # The same limits as the offer rules: 7 h a day, 35 h a week, nothing 20:00-06:00.
    assert "pas plus de 7 heures de présence par jour ni 35 heures par semaine" in rules
    assert "aucune présence avant 6 heures ni après 20 heures" in rules
    assert "à vérifier par l'établissement" in rules


def test_loading_twice_changes_nothing(app: Flask):
    first = load_materials()
    second = load_materials()
    assert len(first.created) == 7
    assert second.created == [] and second.new_versions == []
    assert len(second.unchanged) == 7
    assert db.session.query(Material).count() == 7


def test_a_changed_file_becomes_a_new_version_and_the_old_one_is_kept(app: Flask,
                                                                        tmp_path: Path):
    shutil.copy(MATERIALS_DIR / "eleve-preparer-son-stage.md", tmp_path)
    load_materials(tmp_path)
    path = tmp_path / "eleve-preparer-son-stage.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nUne phrase de plus.\n",
                    encoding="utf-8")
    report = load_materials(tmp_path)
    assert report.new_versions == ["eleve-preparer-son-stage"]
    versions = db.session.scalars(select(Material).order_by(Material.version)).all()
    assert [(m.version, m.is_current) for m in versions] == [(1, False), (2, True)]
    assert "Une phrase de plus." in versions[1].body_md


def test_a_file_without_front_matter_is_reported_and_others_still_load(app: Flask,
                                                                        tmp_path: Path):
    (tmp_path / "casse.md").write_text("# Pas d'en-tête\n", encoding="utf-8")
    shutil.copy(MATERIALS_DIR / "eleve-preparer-son-stage.md", tmp_path)
    report = load_materials(tmp_path)
    assert report.created == ["eleve-preparer-son-stage"]
    assert report.errors[0][0] == "casse.md"
    assert "en-tête manquant" in report.errors[0][1]


def test_front_matter_with_unknown_audience_is_refused(tmp_path: Path):
    path = tmp_path / "x.md"
    path.write_text("---\nslug: essai\ntitle: Essai\naudience: parents\n---\nTexte\n",
                    encoding="utf-8")
    with pytest.raises(ValueError, match="audience « parents » inconnue"):
        parse_material_file(path)


def test_markdown_is_rendered_without_raw_html_scripts_or_styles():
    html = render_markdown(
        '## Titre\n\n<script>alert(1)</script>\n\n<p style="color:red">x</p>\n\n'
        "[piège](javascript:alert(1)) [ok](https://www.defenseurdesdroits.fr)\n")
    assert "<h2>Titre</h2>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'style="' not in html
    assert 'href="javascript:' not in html
    assert 'href="https://www.defenseurdesdroits.fr"' in html
    assert "<h3>Titre</h3>" in render_markdown("## Titre", heading_offset=1)


def test_editing_a_material_creates_a_journaled_version(app: Flask):
    steering = make_user(Role.STEERING, "pilotage@test.fr")
    create_material(steering, {"slug": "essai", "title": "Essai", "audience": "tutor",
                               "body_md": "Premier texte."})
    saved, created = edit_material(steering, "essai", {"title": "Essai", "audience": "tutor",
                                                       "body_md": "Second texte."})
    assert created and saved.version == 2
    _, created = edit_material(steering, "essai", {"title": "Essai", "audience": "tutor",
                                                   "body_md": "Second texte."})
    assert not created
    actions = db.session.scalars(select(JournalEntry.action).where(
        JournalEntry.action.like("material.%")).order_by(JournalEntry.id)).all()
    assert actions == ["material.create", "material.edit"]


def test_creating_a_material_with_a_taken_slug_is_refused(app: Flask):
    steering = make_user(Role.STEERING, "pilotage@test.fr")
    data = {"slug": "essai", "title": "Essai", "audience": "pupil", "body_md": "Texte."}
    create_material(steering, data)
    with pytest.raises(ServiceError, match="déjà l'identifiant"):
        create_material(steering, data)


def test_seed_materials_command_reports_in_french(app: Flask):
    result = app.test_cli_runner().invoke(args=["seed", "materials"])
    assert result.exit_code == 0, result.output
    assert "Supports : 7 créé(s)" in result.output
