"""The steering pages of rounds after the first: the feasibility preview on the round form,
the host decisions in the round audit, the observatory and on a host's page."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from stagebourse.extensions import db
from stagebourse.models import Role
from stagebourse.services import matching
from stagebourse.services.matching import RunOptions
from tests.factories import make_user
from tests.personas import page_text
from tests.scenarios import round_with_host_decisions, wishes_one_sector
from tests.web.route_map import sign_in


def test_the_round_form_says_why_a_round_would_place_nobody(client: FlaskClient,
                                                             app: Flask) -> None:
    steering, campaign = wishes_one_sector()
    matching.publish(steering, matching.run_round(steering, campaign, RunOptions(seed=1)))
    member = make_user(Role.STEERING, "pilote.apercu@metropole-test.fr")
    db.session.commit()
    sign_in(client, member)
    page = page_text(client.get(f"/pilotage/campagnes/{campaign.id}/tours"))
    assert "Avant de lancer le tour 2" in page
    assert "0 élève(s) sur 4 ont au moins une place possible" in page
    assert "ce tour ne placerait aucun élève" in page
    assert "4 élève(s) : aucun de leurs vœux (offre ou secteur) ne nomme une place" in page
    assert "4 élève(s) auraient au moins une place possible" in page
    # A run says it too, on its audit page.
    run = matching.run_round(steering, campaign, RunOptions(seed=2, round_number=2))
    db.session.commit()
    audit = page_text(client.get(f"/pilotage/tours/{run.id}"))
    assert "Élèves sans aucune place possible" in audit
    assert "4 élève(s) : aucun de leurs vœux (offre ou secteur) ne nomme une place" in audit
    page = page_text(client.get(f"/pilotage/campagnes/{campaign.id}/tours"))
    # The form offers round 2 only; round 1 is published.
    select = page[page.index('name="round_number"'):]
    select = select[:select.index("</select>")]
    assert 'value="2"' in select and 'value="1"' not in select


def test_host_decisions_on_the_audit_the_observatory_and_the_host_page(client: FlaskClient,
                                                                      app: Flask) -> None:
    _steering, campaign, run, proposals = round_with_host_decisions()
    company = proposals[0].offer.company
    app.config["HOST_REFUSAL_ALERT"] = 1
    member = make_user(Role.STEERING, "pilote.decisions@metropole-test.fr")
    db.session.commit()
    sign_in(client, member)
    audit = page_text(client.get(f"/pilotage/tours/{run.id}"))
    assert "Décisions des structures sur les propositions de ce tour" in audit
    assert "masqué" in audit
    csv = client.get(f"/pilotage/tours/{run.id}/decisions-structures.csv?dimension=gender")
    assert csv.status_code == 200 and "Refusées avant la levée de l'anonymat" in csv.text
    assert client.get(f"/pilotage/tours/{run.id}/decisions-structures.csv?dimension=nope"
                      ).status_code == 404
    observatory = page_text(client.get(
        f"/pilotage/observatoire/campagnes/{campaign.id}/refus-avant-apres"))
    assert "Refus avant et après que le nom de l'élève est connu" in observatory
    assert client.get(f"/pilotage/observatoire/campagnes/{campaign.id}/"
                      "refus-avant-apres.csv?dimension=qpv").status_code == 200
    every = client.get(f"/pilotage/observatoire/campagnes/{campaign.id}/refus-avant-apres.csv")
    assert "Résidence en QPV" in every.text and "Genre" in every.text
    host = page_text(client.get(f"/pilotage/structures/{company.id}"))
    assert "Décisions sur les propositions" in host
    if any(a.declined_by or a.withdrawal_requests for a in proposals
           if a.offer.company_id == company.id):
        assert "À examiner" in host
    host_csv = client.get(f"/pilotage/structures/{company.id}/decisions.csv")
    assert host_csv.status_code == 200 and campaign.name in host_csv.text
