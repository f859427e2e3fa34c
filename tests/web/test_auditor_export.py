"""The auditor's files of a round (docs/privacy.md, "The auditor's files"): the steering group
sees the re-identification risk first, the files keep only what verifying needs and still
verify, they are called pseudonymised personal data, and each download is journaled with its
recipient and purpose."""

from __future__ import annotations

import io
import json
import math
import zipfile
from pathlib import Path
from types import SimpleNamespace

from click.testing import CliRunner
from sqlalchemy import func, select

from stagebourse import matching as engine
from stagebourse.cli.matching import matching as matching_cli
from stagebourse.extensions import db
from stagebourse.models import JournalEntry, Role
from stagebourse.services import matching
from stagebourse.services.journal import Event
from stagebourse.services.matching import RunOptions
from tests.factories import make_user
from tests.personas import login_as, page_text
from tests.scenarios import demo_campaign


def pupil(pid: str, age: int, lat: float = 50.35, accessible: bool = False,
          wishes: tuple[str, ...] = ("sector:sante",)) -> dict[str, object]:
    return {"id": pid, "level": "3e", "age": age, "weeks": ["2027-W05"], "lat": lat,
            "lon": 3.52, "max_km": 10, "needs_accessible": accessible, "wishes": list(wishes)}


def test_the_risk_counts_the_records_alone_of_their_kind():
    document = {"pupils": [
        pupil("a", 14), pupil("b", 14),  # twins on everything: neither is unique
        pupil("c", 15),  # alone with 15
        pupil("d", 14, accessible=True),  # the only one needing an accessible place
        pupil("e", 14, wishes=("sector:btp",)),  # same person as a and b, other wish
    ]}
    risk = matching.reidentification_risk(document)
    assert (risk.records, risk.unique, risk.accessible, risk.unique_accessible) == (5, 3, 1, 1)
    # Without the wishes, e joins a and b: only c and d stand alone.
    assert risk.unique_demographic == 2
    assert risk.unique_share == 3 / 5


def test_a_travel_limit_falling_between_two_offers_is_rounded_and_still_verifies(tmp_path):
    offers = [{"id": f"o{k}", "sector": "sante", "lat": 50.35 + km / 111.2, "lon": 3.52,
               "levels": ["3e"], "min_age": 14, "accessible": True, "seats": {"2027-W05": 1}}
              for k, km in enumerate((4, 20))]
    document = {"format": "stagebourse-instance/1", "params": {
        "rank_costs": [0, 100, 220, 360, 520], "allow_unranked": False, "unranked_cost": 1000,
        "km_cost": 10, "unassigned_cost": 100000, "seed": 5},
        "pupils": [pupil("p1", 15) | {"max_km": 12.5}, pupil("p2", 13)], "offers": offers}
    instance = engine.instance_from_dict(document)
    result = engine.result_to_dict(engine.run_mechanism(instance, "optimal", seed=5),
                                   engine.instance_sha256(instance))
    run = SimpleNamespace(id=1, instance_json=json.dumps(document), instance_sha256="round",
                          result_json=json.dumps(result))
    exported, exported_result = matching.minimised_documents(run)
    by_id = {p["id"]: p for p in exported["pupils"]}
    # Offers at 4 and 20 km: any limit from 4 to just under 20 reaches the same one.
    assert by_id["p1"]["max_km"] == 5 and by_id["p1"]["age"] == 14
    assert by_id["p2"]["age"] == 13  # under every minimum age: one below the smallest
    (tmp_path / "i.json").write_text(json.dumps(exported))
    (tmp_path / "r.json").write_text(json.dumps(exported_result))
    verified = CliRunner().invoke(matching_cli, ["verify", str(tmp_path / "i.json"),
                                                 str(tmp_path / "r.json")])
    assert verified.exit_code == 0, verified.output


def model_km(a: dict, b: dict) -> float:
    """The matcher's distance as docs/matching.md defines it: haversine on a 6371 km sphere,
    rounded to the metre."""
    p1, p2 = math.radians(a["lat"]), math.radians(b["lat"])
    h = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(b["lon"] - a["lon"]) / 2) ** 2)
    return round(2 * 6371.0 * math.asin(math.sqrt(min(max(h, 0.0), 1.0))) * 1000) / 1000


def finished_run():  # noqa: ANN201
    steering, campaign = demo_campaign()
    run = matching.run_round(steering, campaign, RunOptions(seed=11))
    db.session.commit()
    return steering, run


def test_the_exported_files_keep_classes_of_age_and_distance_only_and_still_verify(
        app, tmp_path: Path):
    steering, run = finished_run()
    stored = json.loads(run.instance_json)
    data = matching.download_instance(steering, run, "Mme Auditrice, université",
                                      "Vérifier l'optimalité")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path)
    instance_path = tmp_path / f"run-{run.id}-instance.json"
    result_path = tmp_path / f"run-{run.id}-result.json"
    assert names == {instance_path.name, result_path.name, "LISEZMOI.txt"}
    exported = json.loads(instance_path.read_text())
    thresholds = {o["min_age"] for o in stored["offers"]}
    # Every age is now one of the offers' thresholds or one below the smallest, and every
    # comparison the rules make ("at least this old?") gives the same answer as before.
    by_id = {p["id"]: p for p in stored["pupils"]}
    for record in exported["pupils"]:
        assert record["age"] in thresholds | {min(thresholds) - 1}
        for threshold in thresholds:
            assert (record["age"] >= threshold) == (by_id[record["id"]]["age"] >= threshold)
        # The travel limit is rounded, and the same offers are within reach.
        original = by_id[record["id"]]
        for offer in stored["offers"]:
            km = model_km(original, offer)
            assert (km <= record["max_km"]) == (km <= original["max_km"])
    assert len({p["age"] for p in exported["pupils"]}) <= len(
        {p["age"] for p in stored["pupils"]})
    verified = CliRunner().invoke(matching_cli, ["verify", str(instance_path),
                                                 str(result_path)], catch_exceptions=False)
    assert verified.exit_code == 0, verified.output
    result = json.loads(result_path.read_text())
    assert result["round_instance_sha256"] == run.instance_sha256
    notice = (tmp_path / "LISEZMOI.txt").read_text()
    assert "PSEUDONYMISÉES, PAS ANONYMES" in notice and "Mme Auditrice" in notice
    (entry,) = db.session.scalars(select(JournalEntry).where(
        JournalEntry.action == Event.MATCHING_INSTANCE_DOWNLOADED)).all()
    assert entry.details["recipient"] == "Mme Auditrice, université"
    assert entry.details["purpose"] == "Vérifier l'optimalité"
    assert entry.details["records"] == len(exported["pupils"])


def test_the_download_page_shows_the_risk_and_requires_recipient_and_purpose(client, app):
    _steering, run = finished_run()
    member = make_user(Role.STEERING, "pilote@metropole-test.fr")
    login_as(client, member)
    audit = page_text(client.get(f"/pilotage/tours/{run.id}"))
    assert "Fichiers pour un auditeur (données pseudonymisées)" in audit
    page = client.get(f"/pilotage/tours/{run.id}/instance")
    text = page_text(page)
    assert "données personnelles pseudonymisées, pas des données anonymes" in text
    assert "Risque de ré-identification" in text and "Fiches uniques" in text
    journaled = select(func.count()).select_from(JournalEntry).where(
        JournalEntry.action == Event.MATCHING_INSTANCE_DOWNLOADED)
    refused = client.post(f"/pilotage/tours/{run.id}/instance",
                          data={"recipient": "M. Contrôleur", "purpose": ""})
    assert refused.status_code == 400
    assert "Indiquez pour quoi faire" in page_text(refused)
    assert "M. Contrôleur" in refused.get_data(as_text=True)  # what was typed is kept
    assert db.session.scalar(journaled) == 0
    download = client.post(f"/pilotage/tours/{run.id}/instance", data={
        "recipient": "M. Contrôleur", "purpose": "Rapport annuel"})
    assert download.status_code == 200 and download.mimetype == "application/zip"
    assert zipfile.ZipFile(io.BytesIO(download.data)).namelist()
    assert db.session.scalar(journaled) == 1
