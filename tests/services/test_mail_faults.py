"""Mail under faults, with real processes: ``stagebourse worker`` subprocesses, a real SMTP
server on loopback, the test database (SQLite or PostgreSQL).

- SMTP down while a round is published: nothing is lost or given up, and once the server is
  back every message arrives exactly once.
- A worker killed (SIGKILL) in the middle of a batch: another worker takes its rows back after
  the lease; nothing is lost, and the only message that can arrive twice is the one whose SMTP
  transaction was in flight at the kill, with the same Message-ID both times.
"""

from __future__ import annotations

import signal
from collections import Counter
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import OutboxMessage, OutboxState
from stagebourse.services import matching
from stagebourse.services.matching import RunOptions
from stagebourse.services.outbox import message_id
from tests.factories import queue
from tests.scenarios import demo_campaign
from tests.smtp_server import LoopbackSmtp
from tests.worker_process import WorkerProcess, wait_for

pytestmark = pytest.mark.database

StartWorker = Callable[..., WorkerProcess]

# An outage of hours squeezed into seconds: retries every 0.5-3 s instead of 30 s to 1 h, so
# the attempt limit is raised accordingly (it is tested on its own in test_outbox_delivery).
FAST_RETRIES = {"MAIL_RETRY_BASE_SECONDS": 1, "MAIL_RETRY_MAX_SECONDS": 2,
                "MAIL_MAX_ATTEMPTS": 1000}


def outbox_rows() -> list[Any]:
    """Every outbox row as plain columns, read fresh (the worker changes them underneath)."""
    rows = db.session.execute(select(
        OutboxMessage.id, OutboxMessage.idempotency_key, OutboxMessage.recipient,
        OutboxMessage.state, OutboxMessage.attempts, OutboxMessage.last_error,
        OutboxMessage.next_attempt_at, OutboxMessage.created_at, OutboxMessage.claimed_by,
    ).order_by(OutboxMessage.id)).all()
    # End the read transaction: on SQLite an open one would hold back the worker's writes.
    db.session.rollback()
    return list(rows)


def all_sent() -> bool:
    return all(row.state == OutboxState.SENT for row in outbox_rows())


def received_ids(smtp_server: LoopbackSmtp) -> Counter[str]:
    return Counter(str(m["Message-ID"]) for m in smtp_server.messages)


def test_smtp_down_during_a_publication_loses_nothing_and_sends_each_mail_once(
        app: Flask, smtp_server_down: LoopbackSmtp, start_worker: StartWorker) -> None:
    steering, campaign = demo_campaign()
    run = matching.run_round(steering, campaign, RunOptions(seed=7))
    db.session.commit()  # as the command would: the worker is another process
    # The worker is running, nothing listens on the SMTP port, and the round is published.
    # Small batches: after each failed one, the worker has to come back for the rest.
    worker = start_worker(smtp_server_down.port, MAIL_BATCH_SIZE=10, **FAST_RETRIES)
    matching.publish(steering, run)
    db.session.commit()  # as the request would
    published = {row.idempotency_key for row in outbox_rows()}
    assert len(published) > 10  # teachers, companies, tutors
    seen: list[list[Any]] = []

    def retried_and_waiting_or_given_up() -> bool:
        seen.append(outbox_rows())
        if any(row.state in (OutboxState.FAILED, OutboxState.SENT) for row in seen[-1]):
            return True  # wrong, and shown below
        return all(row.state == OutboxState.PENDING and row.attempts >= 2 for row in seen[-1])

    assert wait_for(retried_and_waiting_or_given_up, 120), worker.output
    assert worker.running, worker.output
    waiting = seen[-1]
    assert {row.idempotency_key for row in waiting} >= published
    for row in waiting:
        # Waiting, not given up: tried again, the error recorded, a later attempt scheduled.
        assert row.state == OutboxState.PENDING, (row, worker.output)
        assert row.attempts >= 2
        assert "injoignable" in row.last_error
        assert row.next_attempt_at > row.created_at
    assert smtp_server_down.raw == []

    # The server comes back on the same port; the same worker carries on.
    smtp_server_down.start()
    assert wait_for(all_sent, 180), worker.output
    assert worker.stop() == 0, worker.output
    rows = outbox_rows()
    assert {row.idempotency_key for row in rows} >= published
    assert received_ids(smtp_server_down) == Counter(
        {message_id(row.idempotency_key): 1 for row in rows})
    assert Counter(rcpt for _, rcpts in smtp_server_down.envelopes for rcpt in rcpts) == \
        Counter(row.recipient for row in rows)
    tries = sorted(row.attempts for row in waiting)
    print(f"\n{len(published)} messages from the publication; SMTP down: each tried "
          f"{tries[0]} to {tries[-1]} times, none failed; back up: {len(rows)} sent, "
          f"each received once")


def _same_message(first: EmailMessage, second: EmailMessage) -> None:
    assert first["Message-ID"] == second["Message-ID"]
    assert first["To"] == second["To"] and first["Subject"] == second["Subject"]
    first_text, second_text = first.get_body(("plain",)), second.get_body(("plain",))
    assert first_text is not None and second_text is not None
    assert first_text.get_content() == second_text.get_content()


def test_a_worker_killed_mid_batch_loses_nothing_and_resends_at_most_the_message_in_flight(
        app: Flask, smtp_server: LoopbackSmtp, start_worker: StartWorker) -> None:
    total, replied = 30, 5
    queue(total, prefix="kill")
    # The server answers the first messages, then keeps the next one but holds its "250": the
    # worker is inside an SMTP transaction the server has already accepted when it is killed.
    smtp_server.hold_after = replied
    first = start_worker(smtp_server.port, MAIL_BATCH_SIZE=50, MAIL_TIMEOUT=300)
    assert wait_for(lambda: len(smtp_server.raw) > replied, 120), first.output
    assert first.kill() == -signal.SIGKILL, first.output

    rows = outbox_rows()
    by_state = Counter(row.state for row in rows)
    assert by_state == Counter({OutboxState.SENT: replied, OutboxState.SENDING: total - replied})
    assert len({row.claimed_by for row in rows if row.state == OutboxState.SENDING}) == 1
    # Delivered but never recorded: the one message in flight at the kill.
    delivered = received_ids(smtp_server)
    assert sum(delivered.values()) == replied + 1
    in_flight = [row for row in rows if row.state == OutboxState.SENDING
                 and message_id(row.idempotency_key) in delivered]
    assert len(in_flight) == 1
    in_flight_id = message_id(in_flight[0].idempotency_key)

    # A second worker, with a short lease, takes the dead worker's rows back; the server is fast.
    smtp_server.release()
    second = start_worker(smtp_server.port, MAIL_CLAIM_LEASE_SECONDS=1)
    assert wait_for(all_sent, 120), second.output
    assert second.stop() == 0, second.output

    rows = outbox_rows()
    expected = {message_id(row.idempotency_key) for row in rows}
    received = received_ids(smtp_server)
    assert len(rows) == total
    assert set(received) == expected  # every message arrived, nothing else did
    twice = {mid: n for mid, n in received.items() if n > 1}
    assert set(twice) <= {in_flight_id} and all(n == 2 for n in twice.values()), twice
    copies = [m for m in smtp_server.messages if str(m["Message-ID"]) in twice]
    if copies:
        _same_message(*copies)
    print(f"\nkilled after {replied} recorded and 1 in flight; {total - replied} taken back; "
          f"received {sum(received.values())} for {total} messages "
          f"({len(twice)} received twice, same Message-ID)")
