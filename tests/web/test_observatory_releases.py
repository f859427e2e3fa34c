"""The observatory serves frozen releases only: an adversary who diffs downloads around one new
answer learns nothing, the steering group sees no live figure on any page, and the public page
needs no sign-in."""

from __future__ import annotations

import re

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient

from stagebourse.extensions import db
from stagebourse.models import ObservatoryRelease, Respondent, SchoolKind, User
from stagebourse.services import questionnaires
from tests.factories import add_responses
from tests.personas import login_as, page_text
from tests.scenarios import AFTER, emailed_code, finished_campaign

pytestmark = pytest.mark.database


def _campaign_with_answers(answers: int = 35):  # noqa: ANN202
    """A finished campaign whose pupils hold codes, with ``answers`` answers already in."""
    done = finished_campaign(by_email=2, on_paper=0)
    questionnaires.invite(None, done.campaign, AFTER)
    add_responses(done.campaign, answers - 12, {"matched_wish": "yes", "remarks": ["none"]})
    add_responses(done.campaign, 12, {"matched_wish": "no", "remarks": ["origin"]},
                  school_kind=SchoolKind.LYCEE)
    db.session.commit()
    return done


def _answer_once(client: FlaskClient, done) -> None:  # noqa: ANN001
    """One more pupil answers, through the public answer page: a girl, a disability remark,
    refused, did not get her wish (the answer the issue's adversary recovered)."""
    code = emailed_code(done.by_email[0].guardian_email)
    thanks = client.post("/questionnaire/reponses", data={
        "code": code, "matched_wish": "no", "gender": "F", "remarks": ["disability"],
        "treatment": ["refused"]})
    assert thanks.status_code == 200
    db.session.commit()


def _release(client: FlaskClient, campaign_id: int) -> ObservatoryRelease:
    closed = client.post(f"/pilotage/observatoire/campagnes/{campaign_id}/cloturer",
                         follow_redirects=True)
    assert "Questionnaire des élèves clôturé" in page_text(closed)
    refused = client.post(f"/pilotage/observatoire/campagnes/{campaign_id}/publier",
                          follow_redirects=True)
    assert "Cochez la case de confirmation" in page_text(refused)
    published = client.post(f"/pilotage/observatoire/campagnes/{campaign_id}/publier",
                            data={"confirm": "y"}, follow_redirects=True)
    assert "Chiffres publiés" in page_text(published)
    release = db.session.query(ObservatoryRelease).one()
    return release


def test_two_downloads_around_one_new_answer_are_identical(client: FlaskClient,
                                                           personas: dict[str, User]):
    done = _campaign_with_answers()
    login_as(client, personas["steering"])
    release = _release(client, done.campaign.id)
    export = f"/pilotage/observatoire/publications/{release.id}/export.csv"
    before = [client.get(url).get_data() for url in (
        export, f"/pilotage/observatoire/publications/{release.id}", "/observatoire")]
    assert b"<svg" in before[1] and before[0].count(b"\n") > 50

    _answer_once(client, done)

    after = [client.get(url).get_data() for url in (
        export, f"/pilotage/observatoire/publications/{release.id}", "/observatoire")]
    assert after == before


def _steering_get_routes(app: Flask, ids: dict[str, int]) -> tuple[list[str], list[str]]:
    """Every GET route of the steering blueprint, its arguments filled from ``ids``; and the
    rules that could not be filled (they need an object of another kind)."""
    urls, skipped = [], []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if not rule.endpoint.startswith("steering.") or "GET" not in (rule.methods or ()):
                continue
            if set(rule.arguments) <= set(ids):
                urls.append(url_for(rule.endpoint, **{a: ids[a] for a in rule.arguments}))
            else:
                skipped.append(rule.rule)
    return urls, skipped


def _without_tokens(body: bytes) -> bytes:
    """Per-render values that are not figures: CSRF tokens."""
    return re.sub(rb'name="csrf_token" type="hidden" value="[^"]+"', b"", body)


def test_a_steering_user_gets_no_live_figure_from_any_route(app: Flask, client: FlaskClient,
                                                            personas: dict[str, User]):
    """The adversary of the issue: crawl every steering page and export, let one pupil answer,
    crawl again, and diff. Before a release nothing may differ (35 and 36 answers are in the
    same band)."""
    done = _campaign_with_answers()
    pupil_questionnaire = questionnaires.current_questionnaire(done.campaign, Respondent.PUPIL)
    urls, _skipped = _steering_get_routes(app, {
        "campaign_id": done.campaign.id, "questionnaire_id": pupil_questionnaire.id,
        "year": done.campaign.year})
    assert any("/observatoire" in url for url in urls) and len(urls) > 15
    login_as(client, personas["steering"])

    def crawl() -> dict[str, tuple[int, bytes]]:
        pages = {}
        for url in urls:
            response = client.get(url)
            pages[url] = (response.status_code, _without_tokens(response.get_data()))
        return pages

    before = crawl()
    assert "20 à 49" in before["/pilotage/observatoire"][1].decode()
    _answer_once(client, done)
    login_as(client, personas["steering"])
    after = crawl()
    changed = [url for url in urls if before[url] != after[url]]
    assert changed == []
    # The live pages of old are gone.
    for old in (f"/pilotage/observatoire/campagnes/{done.campaign.id}",
                f"/pilotage/observatoire/campagnes/{done.campaign.id}/export.csv"):
        assert client.get(old).status_code == 404


def test_the_public_page_needs_no_sign_in_and_shows_only_published_cells(
        client: FlaskClient, personas: dict[str, User]):
    empty = client.get("/observatoire")
    assert empty.status_code == 200 and "Aucun chiffre n'est encore publié" in page_text(empty)
    assert "/observatoire" in client.get("/").get_data(as_text=True)
    done = _campaign_with_answers()
    login_as(client, personas["steering"])
    _release(client, done.campaign.id)
    public = client.application.test_client()  # nobody signed in
    page = public.get("/observatoire")
    assert page.status_code == 200
    text = page_text(page)
    assert done.campaign.name in text and "secret" in text
    assert "par éducation prioritaire (REP, REP+)" in text
    assert "Audit de l'affectation" in text
    body = page.get_data(as_text=True)
    assert "<svg" in body and "<table" in body
    assert "style=" not in body and "<script" not in body
    # No count under 11 in any table of answers (the summary's invitations are not answers),
    # but the structural zeros: a 3e campaign has no lycée pupil, and everybody knows it.
    cells = re.findall(r"<td>(\d+)</td>", body[body.index('class="observatory-table"'):])
    assert cells and all(int(value) >= 11 or value == "0" for value in cells)
    assert "0" not in re.findall(r"<td>(\d+)</td>", body[body.index(
        'class="observatory-table"'):body.index("lycée")])
