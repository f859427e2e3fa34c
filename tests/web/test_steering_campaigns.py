"""The steering group drives a campaign from the browser's point of view (test client)."""

from __future__ import annotations

import datetime as dt

from stagebourse.extensions import db
from stagebourse.models import Campaign, CampaignState
from tests.factories import first_school
from tests.personas import login_as, page_text


def create(client, **overrides):
    deadline = (dt.date.today() + dt.timedelta(days=20)).isoformat()
    data = {"year": "2027", "level": "3e", "name": "Stages de 3e 2026-2027",
            "requests_deadline": deadline, **overrides}
    return client.post("/pilotage/campagnes/nouvelle", data=data)


def test_create_set_weeks_open_and_export(client, personas):
    login_as(client, personas["steering"])
    response = create(client)
    assert response.status_code == 302
    campaign = db.session.query(Campaign).one()
    school = first_school()
    response = client.post(f"/pilotage/campagnes/{campaign.id}/semaines",
                           data={f"week-{school.id}-1": "2027-w05"}, follow_redirects=True)
    assert "Semaines enregistrées" in page_text(response)
    assert "26/01 – 30/01/2027" not in page_text(response)  # W05 2027 starts 1 Feb
    assert "01/02 – 05/02/2027" in page_text(response)
    response = client.post(f"/pilotage/campagnes/{campaign.id}/open", follow_redirects=True)
    assert "La campagne est maintenant : ouverte aux vœux" in page_text(response)
    db.session.refresh(campaign)
    assert campaign.state == CampaignState.OPEN
    csv = client.get("/pilotage/campagnes?format=csv")
    assert csv.mimetype == "text/csv"
    assert "Stages de 3e 2026-2027;2027;3e;ouverte aux vœux" in csv.get_data(as_text=True)


def test_bad_week_is_shown_next_to_its_field_and_the_input_is_kept(client, personas):
    login_as(client, personas["steering"])
    create(client)
    campaign = db.session.query(Campaign).one()
    school = first_school()
    response = client.post(f"/pilotage/campagnes/{campaign.id}/semaines",
                           data={f"week-{school.id}-1": "semaine 5",
                                 f"week-{school.id}-2": "2027-W06"})
    page = page_text(response)
    assert response.status_code == 200
    assert "« SEMAINE 5 » n'est pas une semaine ISO" in page
    assert 'value="2027-W06"' in page


def test_invalid_form_keeps_input_and_duplicate_campaign_is_refused(client, personas):
    login_as(client, personas["steering"])
    response = create(client, requests_deadline="")
    assert "Indiquez une date" in page_text(response)
    assert 'value="Stages de 3e 2026-2027"' in page_text(response)
    create(client)
    response = create(client, name="Encore")
    assert "existe déjà pour 2027" in page_text(response)


def test_refused_transition_says_why(client, personas):
    login_as(client, personas["steering"])
    create(client)
    campaign = db.session.query(Campaign).one()
    response = client.post(f"/pilotage/campagnes/{campaign.id}/open", follow_redirects=True)
    assert "Indiquez d'abord les semaines" in page_text(response)
    response = client.post(f"/pilotage/campagnes/{campaign.id}/finish", follow_redirects=True)
    assert "Impossible : la campagne est à l'état « brouillon »" in page_text(response)


def test_unknown_campaign_is_404_and_other_roles_are_403(client, personas):
    login_as(client, personas["steering"])
    assert client.get("/pilotage/campagnes/999").status_code == 404
    client.post("/deconnexion")
    login_as(client, personas["teacher"])
    assert client.get("/pilotage/campagnes").status_code == 403
