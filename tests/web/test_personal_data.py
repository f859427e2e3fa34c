"""The steering group serves a request to see or erase a pupil's data from one screen."""

from __future__ import annotations

import json

from tests.personas import login_as, page_text


def test_find_export_and_erase_a_pupil(client, personas):
    pupil = personas["pupil"].pupil
    login_as(client, personas["steering"])
    page = page_text(client.get("/pilotage/donnees-personnelles?q=essai"))
    assert "Essai Lina" in page
    exported = client.get(f"/pilotage/donnees-personnelles/{pupil.id}?format=json")
    assert exported.mimetype == "application/json"
    assert json.loads(exported.get_data(as_text=True))["pupil"]["first_name"] == "Lina"
    csv = client.get(f"/pilotage/donnees-personnelles/{pupil.id}?format=csv")
    assert "first_name;Lina" in csv.get_data(as_text=True)
    response = client.post(f"/pilotage/donnees-personnelles/{pupil.id}/effacer",
                           data={"reason": ""}, follow_redirects=True)
    assert "Indiquez le motif" in page_text(response)
    response = client.post(f"/pilotage/donnees-personnelles/{pupil.id}/effacer",
                           data={"reason": "Demande du responsable", "confirm": "1"},
                           follow_redirects=True)
    assert "ont été effacées" in page_text(response)
    assert "Lina" not in page_text(client.get(f"/pilotage/donnees-personnelles/{pupil.id}"))


def test_purge_command_is_a_dry_run_unless_told(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["purge", "--today", "2030-01-01"])
    assert result.exit_code == 0, result.output
    assert "Simulation" in result.output
