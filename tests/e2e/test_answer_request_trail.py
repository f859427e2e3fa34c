"""What a proxy between a pupil's browser and the service sees while the pupil answers: the two
form posts, and nothing else — no stylesheet revalidated, no icon fetched, no Referer naming the
answer page."""

from __future__ import annotations

import logging

from stagebourse.extensions import db
from stagebourse.services import questionnaires
from tests.scenarios import AFTER, emailed_code, finished_campaign


def test_answering_sends_no_asset_request_and_no_referrer(page, live_server, app, caplog):
    done = finished_campaign(by_email=1, on_paper=0)
    questionnaires.invite(None, done.campaign, AFTER)
    db.session.commit()  # as the command does
    code = emailed_code(done.by_email[0].guardian_email)

    page.goto(live_server + "/questionnaire")  # a first visit fetches the stylesheets once
    seen = []
    page.on("request", lambda request: seen.append(request))
    # The server's access log (what a proxy would log), from here on: it drops the lines of
    # the answer pages themselves, so anything left is another request.
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        page.get_by_label("Code de questionnaire").fill(code)
        page.get_by_role("button", name="Commencer").click()
        page.get_by_role("button", name="Envoyer mes réponses").click()
        assert "Merci pour tes réponses" in page.get_by_role("heading", level=1).inner_text()
        page.reload()  # even a reload of the thanks page asks the server for no asset
    reached_the_server = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert reached_the_server == []
    # The browser asked for the two posts (and the reload); its stylesheets came from its cache.
    assert {r.url.removeprefix(live_server) for r in seen if r.resource_type == "document"} \
        == {"/questionnaire", "/questionnaire/reponses"}
    for request in seen:
        assert not request.all_headers().get("referer"), request.url
