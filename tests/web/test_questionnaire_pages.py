"""The anonymous answer pages, the teacher's class sheet, the steering pages and the
observatory, through the test client."""

from __future__ import annotations

import html

from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import QuestionnaireInvitation, Respondent
from stagebourse.services import questionnaires
from tests.personas import login_as, page_text
from tests.scenarios import AFTER, emailed_code, finished_campaign, responses

HELP = ("Défenseur des droits", "3928", "defenseurdesdroits.fr",
        "Pôle Anti-Discrimination du Parquet de Valenciennes", "CIDFF Nord Valenciennes",
        "professeur référent")


def invited(**kwargs):  # noqa: ANN003, ANN201
    done = finished_campaign(**kwargs)
    questionnaires.invite(None, done.campaign, AFTER)
    return done


def test_a_pupil_answers_with_a_code_and_sees_where_to_get_help(client):
    done = invited()
    code = emailed_code(done.by_email[0].guardian_email)
    page = client.get("/questionnaire")
    assert "Set-Cookie" not in page.headers
    opened = client.post("/questionnaire", data={"code": code.lower().replace("-", "")})
    assert opened.status_code == 200 and "Set-Cookie" not in opened.headers
    assert "Ton stage correspondait-il" in page_text(opened)
    assert "N'écris aucun nom" in page_text(opened)
    thanks = client.post("/questionnaire/reponses", data={
        "code": code, "matched_wish": "yes", "remarks": ["origin", "neighbourhood"],
        "comment": "Rien à ajouter"})
    assert thanks.status_code == 200 and "Set-Cookie" not in thanks.headers
    text = page_text(thanks)
    for words in HELP:
        assert words in text
    (response,) = responses()
    assert response.answers["remarks"] == ["origin", "neighbourhood"]
    assert client.get_cookie("session") is None


def test_no_help_block_without_a_report(client):
    done = invited()
    thanks = client.post("/questionnaire/reponses", data={
        "code": emailed_code(done.by_email[0].guardian_email), "remarks": "none"})
    assert "Pôle Anti-Discrimination" not in page_text(thanks)
    assert "Où trouver de l'aide" in page_text(thanks)


def test_a_used_code_and_a_made_up_code_get_the_same_page(client):
    done = invited()
    code = emailed_code(done.by_email[0].guardian_email)
    client.post("/questionnaire/reponses", data={"code": code})
    used = client.post("/questionnaire", data={"code": code})
    made_up = client.post("/questionnaire", data={"code": "ZZZZ-ZZZZ-ZZZZ"})
    assert used.status_code == made_up.status_code == 400
    assert (page_text(used).replace(code, "CODE")
            == page_text(made_up).replace("ZZZZ-ZZZZ-ZZZZ", "CODE"))
    assert "Un code ne sert qu'une fois" in page_text(made_up)
    again = client.post("/questionnaire/reponses", data={"code": code, "matched_wish": "no"})
    assert again.status_code == 400 and len(responses()) == 1


def test_the_help_page_is_public(client):
    text = page_text(client.get("/questionnaire/aide", follow_redirects=True))
    for words in HELP:
        assert words in text


def test_the_teacher_prints_nameless_slips_with_codes_and_qr_and_reprints_the_unused(
        client, personas):
    done = invited(by_email=1, on_paper=2)
    login_as(client, personas["teacher"])
    listing = client.get("/professeur/questionnaires")
    assert "Classe 3B" in page_text(listing)
    sheet = client.post(f"/professeur/questionnaires/{done.campaign.id}/3B")
    assert sheet.status_code == 200
    body = sheet.get_data(as_text=True)
    assert body.count('class="slip"') == 2 and "data:image/svg+xml" in body
    for pupil in done.on_paper:  # whoever holds the sheet learns nobody's code
        assert pupil.first_name not in body and pupil.last_name not in body
    assert db.session.scalar(select(QuestionnaireInvitation).limit(1)) is not None
    again = client.post(f"/professeur/questionnaires/{done.campaign.id}/3B",
                        follow_redirects=True)
    assert "déjà été imprimés" in page_text(again)
    assert "Réimprimer les codes non utilisés de la classe 3B" in page_text(
        client.get("/professeur/questionnaires"))
    reprint = client.post(f"/professeur/questionnaires/{done.campaign.id}/3B/reimprimer")
    assert reprint.status_code == 200
    text = reprint.get_data(as_text=True)
    assert text.count('class="slip"') == 2 and "ne fonctionnent plus" in page_text(reprint)
    for pupil in done.on_paper:
        assert pupil.first_name not in text and pupil.last_name not in text


def test_steering_invites_and_edits_the_questionnaire(client, personas):
    done = finished_campaign(by_email=2, on_paper=1)
    # create_campaign makes them with the campaign; the factory builds the campaign directly.
    questionnaires.ensure_questionnaires(None, done.campaign)
    login_as(client, personas["steering"])
    page = client.get(f"/pilotage/campagnes/{done.campaign.id}/questionnaires")
    assert "Envoyer les codes des stages terminés" in page_text(page)
    # The internship week (2027) is in the future for the real clock: refused, explained.
    refused = client.post(f"/pilotage/campagnes/{done.campaign.id}/questionnaires/inviter",
                          follow_redirects=True)
    assert "après la semaine de stage" in page_text(refused)
    pupil_q = questionnaires.current_questionnaire(done.campaign,
                                                   Respondent.PUPIL)
    bad = client.post(f"/pilotage/questionnaires/{pupil_q.id}", data={"document": '{"x": 1'})
    assert "pas du JSON valide" in page_text(bad)
    assert '{"x": 1' in html.unescape(bad.get_data(as_text=True))  # what was typed is kept
    good = questionnaires.questionnaire_json(pupil_q).replace("Ton stage :", "Ton stage, ")
    saved = client.post(f"/pilotage/questionnaires/{pupil_q.id}", data={"document": good},
                        follow_redirects=True)
    assert "Questionnaire enregistré" in page_text(saved)


def test_steering_reminders_button(client, personas):
    done = invited(by_email=2, on_paper=0)
    login_as(client, personas["steering"])
    result = client.post(f"/pilotage/campagnes/{done.campaign.id}/questionnaires/rappels",
                         data={"days": "1"}, follow_redirects=True)
    assert "rappel(s) mis en file" in page_text(result)


def test_the_answer_page_works_without_javascript_and_labels_every_input(client):
    done = invited()
    body = client.post("/questionnaire", data={
        "code": emailed_code(done.by_email[0].guardian_email)}).get_data(as_text=True)
    assert "<script" not in body and "style=" not in body
    assert body.count("<fieldset") >= 5 and body.count("<legend>") >= 5
