"""The steering group's outbox pages: filter, CSV export, retry (journaled)."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import JournalEntry, OutboxMessage, OutboxState, utcnow
from tests.personas import login_as, page_text


def add_message(recipient: str, state: OutboxState, error: str | None = None) -> OutboxMessage:
    message = OutboxMessage(idempotency_key=f"k:{recipient}", recipient=recipient,
                            subject="Objet d'essai", body_text="texte", state=state,
                            last_error=error, attempts=3 if error else 0,
                            template="password_reset", reason="essai.",
                            sent_at=utcnow() if state == OutboxState.SENT else None)
    db.session.add(message)
    db.session.commit()
    return message


def test_steering_filters_outbox_by_state(client: FlaskClient, personas):
    add_message("envoye@atelier-test.fr", OutboxState.PENDING)
    add_message("refuse@atelier-test.fr", OutboxState.FAILED, "550 adresse inconnue")
    login_as(client, personas["steering"])
    page = page_text(client.get("/pilotage/courriels?state=failed"))
    assert "refuse@atelier-test.fr" in page
    assert "550 adresse inconnue" in page
    assert "envoye@atelier-test.fr" not in page
    page = page_text(client.get("/pilotage/courriels"))
    assert "envoye@atelier-test.fr" in page and "refuse@atelier-test.fr" in page


def test_steering_exports_the_filtered_outbox_as_csv(client: FlaskClient, personas):
    add_message("envoye@atelier-test.fr", OutboxState.SENT)
    add_message("refuse@atelier-test.fr", OutboxState.FAILED, "=550")
    login_as(client, personas["steering"])
    response = client.get("/pilotage/courriels?state=failed&format=csv")
    assert response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert "refuse@atelier-test.fr" in text
    assert "envoye@atelier-test.fr" not in text
    assert "'=550" in text  # formula injection made inert


def test_steering_retries_a_failed_message_and_it_is_journaled(client: FlaskClient, personas):
    message = add_message("refuse@atelier-test.fr", OutboxState.FAILED, "550")
    login_as(client, personas["steering"])
    response = client.post(f"/pilotage/courriels/{message.id}/relancer", follow_redirects=True)
    assert "remis dans la file" in page_text(response)
    db.session.expire_all()
    assert db.session.get(OutboxMessage, message.id).state == OutboxState.PENDING
    entry = db.session.scalar(select(JournalEntry).where(JournalEntry.action == "outbox.retry"))
    assert entry.actor_label == "pilotage@test.fr"


def test_retrying_a_message_that_is_not_failed_is_refused_clearly(client: FlaskClient, personas):
    message = add_message("envoye@atelier-test.fr", OutboxState.SENT)
    login_as(client, personas["steering"])
    response = client.post(f"/pilotage/courriels/{message.id}/relancer", follow_redirects=True)
    assert "n'est plus en échec" in page_text(response)
    db.session.expire_all()
    assert db.session.get(OutboxMessage, message.id).state == OutboxState.SENT


def test_retry_all_failed(client: FlaskClient, personas):
    add_message("a@atelier-test.fr", OutboxState.FAILED, "550")
    add_message("b@atelier-test.fr", OutboxState.FAILED, "550")
    login_as(client, personas["steering"])
    response = client.post("/pilotage/courriels/relancer-tout", follow_redirects=True)
    assert "2 message(s) remis" in page_text(response)


def test_outbox_pages_are_for_steering_only(client: FlaskClient, personas):
    login_as(client, personas["teacher"])
    assert client.get("/pilotage/courriels").status_code == 403
