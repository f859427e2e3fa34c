"""The steering group serves a request to see or erase a pupil's data from one screen."""

from __future__ import annotations

import csv
import io
import json

from stagebourse.models import Party, Role
from tests.factories import make_user
from tests.personas import login_as, page_text
from tests.scenarios import GUARDIAN, HEAD, sent, sign_by_code


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


def test_the_export_holds_agreements_signatures_mails_and_journal(client, app):
    """The right of access covers every copy the erasure removes: the agreement and its
    versions, each signature, the mail sent to the family or naming the pupil, and the journal
    entries about the pupil's requests, placements and agreements."""
    agreement, _teacher = sent()
    sign_by_code(agreement, Party.PUPIL, "Inès Martin")
    pupil = agreement.assignment.pupil
    steering = make_user(Role.STEERING, "pilote.acces@metropole-test.fr")
    login_as(client, steering)
    raw = client.get(f"/pilotage/donnees-personnelles/{pupil.id}?format=csv")
    rows = list(csv.reader(io.StringIO(raw.get_data(as_text=True).lstrip("\ufeff")),
                           delimiter=";"))
    sections: dict[str, list[dict[str, object]]] = {}
    for section, _index, value in rows[1:]:
        if section != "élève":
            sections.setdefault(section, []).append(json.loads(value))
    [exported] = sections["agreements"]
    assert exported["content"]["pupil"]["last_name"] == "Martin"
    assert [v["number"] for v in sections["agreement_versions"]] == [1]
    assert {"party": "pupil", "signer_name": "Inès Martin"}.items() <= next(
        s for s in sections["signatures"] if s["party"] == "pupil").items()
    mails = sections["mails"]
    assert GUARDIAN in {m["to"] for m in mails}
    # Mail to the school and the host naming the pupil is theirs to see too.
    assert HEAD in {m["to"] for m in mails}
    assert all("Martin" in m["text"] or m["to"] == GUARDIAN for m in mails)
    actions = {e["action"] for e in sections["journal"]}
    assert {"agreement.draft", "agreement.send", "agreement.sign"} <= actions
    # JSON says the same.
    data = json.loads(client.get(f"/pilotage/donnees-personnelles/{pupil.id}?format=json")
                      .get_data(as_text=True))
    assert len(data["signatures"]) == 1 and len(data["mails"]) == len(mails)
