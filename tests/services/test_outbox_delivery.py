"""The outbox worker against a real SMTP server on loopback (aiosmtpd): no mock anywhere."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pytest
from flask import Flask
from sqlalchemy import select, update

from stagebourse.extensions import db
from stagebourse.models import JournalEntry, OutboxMessage, OutboxState, Role, utcnow
from stagebourse.services.notifications import queue_email
from stagebourse.services.outbox import backoff_seconds, deliver_due, message_id, retry_failed
from tests.factories import RESET_CONTEXT, make_user, outbox_states, queue
from tests.smtp_server import LoopbackSmtp

# Claims and delivery outcomes are side writes, on connections of their own.
pytestmark = [pytest.mark.database, pytest.mark.committing]


def make_all_due() -> None:
    """Jump past every backoff delay (instead of sleeping)."""
    db.session.execute(update(OutboxMessage).values(next_attempt_at=utcnow()))
    db.session.commit()


def test_worker_delivers_both_bodies_with_sender_reply_to_and_footer(
        app: Flask, smtp_server: LoopbackSmtp):
    queue(1)
    report = deliver_due("test")
    assert report.sent == 1
    [message] = smtp_server.messages
    assert message["To"] == "personne0@atelier-test.fr"
    assert message["Subject"] == "Réinitialisation de votre mot de passe"
    assert "ne-pas-repondre@stagebourse.fr" in message["From"]
    assert message["Reply-To"] == "pilotage@stagebourse.fr"
    assert message["Message-ID"] == message_id("test:0")
    assert message["Auto-Submitted"] == "auto-generated"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "http://stagebourse.test/reset/abc" in text
    assert 'href="http://stagebourse.test/reset/abc"' in html
    reason = "Vous recevez ce message parce que vous avez demandé à changer votre mot de passe."
    assert reason in text
    assert reason in html
    row = db.session.scalar(select(OutboxMessage))
    assert row.state == OutboxState.SENT
    assert row.sent_at is not None
    assert row.attempts == 1
    assert row.claimed_by is None


def test_a_second_pass_sends_nothing_again(app: Flask, smtp_server: LoopbackSmtp):
    queue(3)
    assert deliver_due("test").sent == 3
    assert deliver_due("test").handled == 0
    assert len(smtp_server.messages) == 3


def test_message_id_is_stable_per_idempotency_key(app: Flask):
    assert message_id("a") == message_id("a")
    assert message_id("a") != message_id("b")
    assert message_id("a").endswith("@stagebourse.fr>")


def test_smtp_down_for_a_while_then_back_delivers_each_message_exactly_once(
        app: Flask, smtp_server: LoopbackSmtp):
    addresses = queue(12)
    app.config["MAIL_BATCH_SIZE"] = 5
    # The server accepts 3 messages then answers 421 (closing): the rest of the batch waits.
    smtp_server.fail_after = 3
    first = deliver_due("test")
    assert first.sent == 3
    assert first.retried >= 1 and first.released >= 1
    assert outbox_states() == Counter({OutboxState.SENT: 3, OutboxState.PENDING: 9})
    # Now it is gone altogether (connection refused) for several rounds.
    smtp_server.stop()
    for _ in range(3):
        make_all_due()
        report = deliver_due("test")
        assert report.sent == 0
        assert report.retried > 0
    assert outbox_states()[OutboxState.FAILED] == 0
    pending = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.state == OutboxState.PENDING)).all()
    tried = [row for row in pending if "injoignable" in (row.last_error or "")]
    assert tried and all(row.next_attempt_at > utcnow() for row in tried)
    # Back again.
    smtp_server.fail_after = None
    smtp_server.start()
    make_all_due()
    deliver_due("test")
    assert outbox_states() == Counter({OutboxState.SENT: 12})
    received = Counter(str(m["To"]) for m in smtp_server.messages)
    assert received == Counter(addresses)
    assert len({m["Message-ID"] for m in smtp_server.messages}) == 12


def test_permanently_refused_recipient_fails_fast_and_others_are_delivered(
        app: Flask, smtp_server: LoopbackSmtp):
    addresses = queue(4)
    smtp_server.refuse(addresses[1])
    report = deliver_due("test")
    assert report.sent == 3
    assert report.failed == 1
    refused = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.recipient == addresses[1]))
    assert refused.state == OutboxState.FAILED
    assert refused.attempts == 1
    assert "550" in refused.last_error
    assert smtp_server.received_by(addresses[1]) == []
    for address in (addresses[0], addresses[2], addresses[3]):
        assert len(smtp_server.received_by(address)) == 1


def test_temporarily_refused_recipient_is_retried_then_delivered(
        app: Flask, smtp_server: LoopbackSmtp):
    [address] = queue(1)
    smtp_server.refuse(address, "450 4.2.0 Boîte pleine, réessayez")
    assert deliver_due("test").retried == 1
    row = db.session.scalar(select(OutboxMessage))
    assert row.state == OutboxState.PENDING
    assert "450" in row.last_error
    smtp_server.refused.clear()
    make_all_due()
    assert deliver_due("test").sent == 1
    assert len(smtp_server.received_by(address)) == 1


def test_a_refused_sender_is_our_configuration_so_messages_wait_instead_of_failing(
        app: Flask, smtp_server: LoopbackSmtp):
    queue(3)
    smtp_server.refused_senders.add("ne-pas-repondre@stagebourse.fr")
    report = deliver_due("test")
    assert report.failed == 0 and report.sent == 0
    assert outbox_states() == Counter({OutboxState.PENDING: 3})
    row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.last_error.is_not(None)))
    assert "MAIL_DEFAULT_SENDER" in row.last_error
    smtp_server.refused_senders.clear()
    make_all_due()
    assert deliver_due("test").sent == 3


def test_gives_up_after_max_attempts_into_failed(app: Flask, smtp_server: LoopbackSmtp):
    app.config["MAIL_MAX_ATTEMPTS"] = 3
    queue(1)
    smtp_server.stop()
    for _ in range(3):
        make_all_due()
        deliver_due("test")
    row = db.session.scalar(select(OutboxMessage))
    assert row.state == OutboxState.FAILED
    assert row.attempts == 3


def test_rollback_of_the_causing_transaction_queues_nothing(
        app: Flask, smtp_server: LoopbackSmtp):
    queue_email("personne@atelier-test.fr", "password_reset", key="rolled-back",
                reason="test.", **RESET_CONTEXT)
    db.session.rollback()
    assert db.session.scalar(select(OutboxMessage)) is None
    assert deliver_due("test").handled == 0
    assert smtp_server.messages == []


def test_queuing_the_same_key_twice_keeps_one_message(app: Flask):
    queue(2, prefix="same")
    queue(2, prefix="same")
    assert outbox_states() == Counter({OutboxState.PENDING: 2})


def test_a_message_stuck_in_sending_is_taken_back_after_the_lease(
        app: Flask, smtp_server: LoopbackSmtp):
    queue(1)
    stale = utcnow() - dt.timedelta(hours=1)
    db.session.execute(update(OutboxMessage).values(
        state=OutboxState.SENDING, claimed_by="dead-worker:1", claimed_at=stale, attempts=1))
    db.session.commit()
    assert deliver_due("test").sent == 1
    row = db.session.scalar(select(OutboxMessage))
    assert row.state == OutboxState.SENT and row.attempts == 2


def test_a_message_being_sent_by_a_live_worker_is_left_alone(
        app: Flask, smtp_server: LoopbackSmtp):
    queue(1)
    db.session.execute(update(OutboxMessage).values(
        state=OutboxState.SENDING, claimed_by="live-worker:1", claimed_at=utcnow()))
    db.session.commit()
    assert deliver_due("test").handled == 0
    assert smtp_server.messages == []


@pytest.mark.committing  # two threads, two connections
def test_two_workers_at_once_never_send_a_message_twice(app: Flask, smtp_server: LoopbackSmtp):
    """Runs on both backends: FOR UPDATE SKIP LOCKED on PostgreSQL, the atomic claim on SQLite."""
    addresses = queue(120)
    app.config["MAIL_BATCH_SIZE"] = 7
    reports = {}
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def work(name: str) -> None:
        try:
            with app.app_context():
                start.wait()
                reports[name] = deliver_due(name)
                db.session.remove()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    # Whatever one worker left (it may stop early when its claim came back empty), drain it.
    cleanup = deliver_due("cleanup")
    received = Counter(str(m["To"]) for m in smtp_server.messages)
    assert received == Counter(addresses)
    assert outbox_states() == Counter({OutboxState.SENT: 120})
    assert sum(r.sent for r in reports.values()) + cleanup.sent == 120


def test_backoff_doubles_up_to_the_cap_with_jitter(app: Flask):
    app.config.update(MAIL_RETRY_BASE_SECONDS=30, MAIL_RETRY_MAX_SECONDS=3600)
    low = [backoff_seconds(n, rng=lambda: 0.0) for n in range(1, 10)]
    high = [backoff_seconds(n, rng=lambda: 0.999) for n in range(1, 10)]
    assert low[:4] == [15, 30, 60, 120]
    assert low[-1] == 1800  # capped at 3600, halved by the lowest jitter
    assert all(h > lo for h, lo in zip(high, low, strict=True))


def test_steering_retry_puts_failed_messages_back_and_journals_it(
        app: Flask, smtp_server: LoopbackSmtp):
    [address] = queue(1)
    smtp_server.refuse(address)
    deliver_due("test")
    steering = make_user(Role.STEERING, "pilotage@test.fr")
    smtp_server.refused.clear()
    assert retry_failed(steering) == 1
    db.session.commit()  # as the request would, before the worker claims
    row = db.session.scalar(select(OutboxMessage))
    assert row.state == OutboxState.PENDING and row.attempts == 0
    entry = db.session.scalar(select(JournalEntry).where(JournalEntry.action == "outbox.retry"))
    assert entry.actor_label == "pilotage@test.fr"
    assert deliver_due("test").sent == 1
    assert len(smtp_server.received_by(address)) == 1


def test_worker_once_command_sends_and_reports_in_french(app: Flask, smtp_server: LoopbackSmtp):
    queue(2)
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "Envoyés : 2" in result.output
    assert len(smtp_server.messages) == 2


def test_a_slow_batch_keeps_its_lease_so_no_other_worker_takes_it_back(
        app: Flask, smtp_server: LoopbackSmtp, monkeypatch: pytest.MonkeyPatch):
    """With a lease shorter than the batch takes, the worker renews it as it goes."""
    from stagebourse.services import outbox

    queue(6)
    app.config.update(MAIL_CLAIM_LEASE_SECONDS=0)  # renew before every message
    renewals: list[int] = []
    original = outbox._renew

    def spy(token: str) -> set[int]:
        held = original(token)
        renewals.append(len(held))
        return held

    monkeypatch.setattr(outbox, "_renew", spy)
    report = outbox.deliver_batch("slow", limit=6)
    assert report.sent == 6
    assert renewals == [6, 5, 4, 3, 2, 1]
    assert len(smtp_server.raw) == 6
