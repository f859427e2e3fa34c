"""Deliver the outbox: claim, send over SMTP, record the outcome.

How a message travels::

    pending --claim--> sending --SMTP ok--> sent
       ^                  |---temporary error (4xx, connection)--> pending (later, backoff)
       |                  |---permanent error (5xx) or too many attempts--> failed
       +-- steering "retry" (failed -> pending), or lease expired (sending -> pending again)

Several workers may run at once. A claim is one UPDATE that moves a batch from ``pending`` to
``sending`` and stamps it with a fresh token (``claimed_by``); every later transition is guarded
by that token and by the state, so a row can only leave ``sending`` through the worker that holds
it. On PostgreSQL the batch is chosen with ``FOR UPDATE SKIP LOCKED`` (workers never wait on each
other); on SQLite the single UPDATE statement takes the database write lock before it reads, so
two claims are serialised and cannot pick the same row.

A worker that dies between claiming and recording leaves rows in ``sending``: after the lease
(``MAIL_CLAIM_LEASE_SECONDS``) another worker takes them back. That is the only path that can
send a message twice (the SMTP server accepted it, the worker died before writing "sent"); the
Message-ID derived from the idempotency key lets mail software recognise the duplicate.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import random
import smtplib
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_mail import BadHeaderError, Connection, Message
from sqlalchemy import and_, func, or_, select, update

from stagebourse.extensions import db
from stagebourse.models import OutboxMessage, OutboxState, User, utcnow
from stagebourse.services import ServiceError, journal
from stagebourse.services.claims import claim_statement, claim_token
from stagebourse.services.journal import Event
from stagebourse.services.policy import Action, require
from stagebourse.transactions import side_write

log = logging.getLogger(__name__)

DEFAULTS: dict[str, Any] = {
    "MAIL_MAX_ATTEMPTS": 10,
    "MAIL_RETRY_BASE_SECONDS": 30,
    "MAIL_RETRY_MAX_SECONDS": 3600,
    "MAIL_CLAIM_LEASE_SECONDS": 300,
    "MAIL_BATCH_SIZE": 50,
}


def setting(name: str) -> Any:
    return current_app.config.get(name, DEFAULTS[name])


class TemporaryFailure(Exception):
    """The server or the network said "not now": try again later."""


class PermanentFailure(Exception):
    """The server refused for good (5xx): retrying would not help."""


# Building and sending ---------------------------------------------------------------------------


def message_id(key: str) -> str:
    """A stable Message-ID for an idempotency key: a resent message is recognisably the same."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:40]
    sender = current_app.config.get("MAIL_DEFAULT_SENDER") or ""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "stagebourse.invalid"
    return f"<{digest}@{domain}>"


def build_message(row: OutboxMessage) -> Message:
    # The reason the person receives it is in the footer of both bodies (queue_email).
    headers = {"Auto-Submitted": "auto-generated"}
    message = Message(
        subject=row.subject,
        recipients=[row.recipient],
        body=row.body_text,
        html=row.body_html,
        sender=current_app.config.get("MAIL_DEFAULT_SENDER"),
        reply_to=row.reply_to,
        extra_headers=headers,
    )
    message.msgId = message_id(row.idempotency_key)
    return message


class SmtpConnection(Connection):
    """Flask-Mail's connection, with a timeout (a hung server must not hang the worker) and the
    server read from the configuration at connection time."""

    def __enter__(self) -> SmtpConnection:
        config = current_app.config
        suppress = config.get("MAIL_SUPPRESS_SEND", current_app.testing)
        self.host = None if suppress else self.configure_host()
        self.num_emails = 0
        return self

    def __exit__(self, *exc: object) -> None:
        if self.host is not None:
            try:
                self.host.quit()
            except (smtplib.SMTPException, OSError):
                self.host.close()

    def configure_host(self) -> smtplib.SMTP:
        config = current_app.config
        timeout = config.get("MAIL_TIMEOUT", 10)
        host: smtplib.SMTP
        if config.get("MAIL_USE_SSL"):
            host = smtplib.SMTP_SSL(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=timeout)
        else:
            host = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=timeout)
        if config.get("MAIL_USE_TLS"):
            host.starttls()
        if config.get("MAIL_USERNAME") and config.get("MAIL_PASSWORD"):
            host.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        return host


def _classify(error: BaseException) -> Exception:
    """Map an SMTP or network error to temporary (retry) or permanent (give up).

    Only what concerns this one message is permanent (its recipient refused for good, a
    message that cannot be encoded). A refused sender or failed authentication is our
    configuration: every message would fail the same way, so they wait and retry while the
    operator fixes it.
    """
    if isinstance(error, BadHeaderError | UnicodeError):
        return PermanentFailure(f"message impossible à envoyer tel quel : {error!r}")
    if isinstance(error, smtplib.SMTPSenderRefused | smtplib.SMTPAuthenticationError):
        return TemporaryFailure(
            f"le serveur SMTP refuse l'expéditeur ou l'authentification (vérifiez "
            f"MAIL_DEFAULT_SENDER, MAIL_USERNAME, MAIL_PASSWORD) : {error.smtp_code} "
            f"{error.smtp_error!r}")
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        detail = "; ".join(f"{code} {msg!r}" for code, msg in error.recipients.values())
        if codes and all(500 <= code < 600 for code in codes):
            return PermanentFailure(f"destinataire refusé : {detail}")
        return TemporaryFailure(f"destinataire refusé temporairement : {detail}")
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return TemporaryFailure(f"connexion SMTP perdue : {error}")
    if isinstance(error, smtplib.SMTPResponseException):
        text = f"{error.smtp_code} {error.smtp_error!r}"
        if 500 <= error.smtp_code < 600:
            return PermanentFailure(f"refus du serveur SMTP : {text}")
        return TemporaryFailure(f"erreur temporaire du serveur SMTP : {text}")
    if isinstance(error, OSError | smtplib.SMTPException):
        return TemporaryFailure(f"serveur SMTP injoignable : {error!r}")
    return TemporaryFailure(f"erreur inattendue : {error!r}")


# Claiming ---------------------------------------------------------------------------------------


def _claimable(now: dt.datetime) -> Any:
    lease = dt.timedelta(seconds=setting("MAIL_CLAIM_LEASE_SECONDS"))
    return or_(
        and_(OutboxMessage.state == OutboxState.PENDING, OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.state == OutboxState.SENDING, OutboxMessage.claimed_at < now - lease),
    )


def claim_batch(worker_id: str, limit: int | None = None) -> tuple[str, list[OutboxMessage]]:
    """Move up to ``limit`` due messages to ``sending`` under a fresh token, committed at once
    (:func:`~stagebourse.transactions.side_write`): other workers must see the claim.

    Returns the token and the claimed rows. Safe with any number of concurrent workers.
    """
    limit = limit or setting("MAIL_BATCH_SIZE")
    now = utcnow()
    token = claim_token(worker_id)
    with side_write() as session:
        session.execute(claim_statement(
            OutboxMessage, claimable=_claimable(now),
            order_by=(OutboxMessage.next_attempt_at, OutboxMessage.id), limit=limit,
            values={"state": OutboxState.SENDING, "claimed_by": token, "claimed_at": now,
                    "attempts": OutboxMessage.attempts + 1},
            dialect=session.get_bind().dialect.name))
    # Read back fresh: the caller's session may still hold these rows as an earlier claim
    # left them.
    rows = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.claimed_by == token, OutboxMessage.state == OutboxState.SENDING)
        .order_by(OutboxMessage.id)
        .execution_options(populate_existing=True)
    ).all()
    return token, list(rows)


def _transition(row_id: int, token: str, **values: Any) -> bool:
    """Leave ``sending`` only if we still hold the claim, committed at once (the outcome of a
    delivery stands whatever happens next). True if the row moved."""
    with side_write() as session:
        result = session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == row_id,
                OutboxMessage.claimed_by == token,
                OutboxMessage.state == OutboxState.SENDING,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    moved: bool = getattr(result, "rowcount", 0) == 1
    if not moved:
        log.warning("outbox %s: claim %s lost before its outcome was recorded", row_id, token)
    return moved


def backoff_seconds(attempts: int, rng: Callable[[], float] = random.random) -> float:
    """Exponential backoff with jitter: base·2^(n-1), capped, times a factor in [0.5, 1.5)."""
    base = setting("MAIL_RETRY_BASE_SECONDS")
    cap = setting("MAIL_RETRY_MAX_SECONDS")
    delay: float = min(cap, base * 2 ** max(attempts - 1, 0))
    return delay * (0.5 + rng())


def _record_failure(row: OutboxMessage, token: str, failure: Exception) -> str:
    now = utcnow()
    give_up = isinstance(failure, PermanentFailure) or row.attempts >= setting("MAIL_MAX_ATTEMPTS")
    if give_up:
        _transition(row.id, token, state=OutboxState.FAILED, last_error=str(failure)[:2000],
                    claimed_by=None, claimed_at=None)
        log.warning("outbox %s failed for good after %s attempt(s): %s", row.id, row.attempts,
                    failure)
        return "failed"
    delay = dt.timedelta(seconds=backoff_seconds(row.attempts))
    _transition(row.id, token, state=OutboxState.PENDING, next_attempt_at=now + delay,
                last_error=str(failure)[:2000], claimed_by=None, claimed_at=None)
    return "retry"


def _renew(token: str) -> set[int]:
    """Extend the lease of every row we still hold; return their ids. A slow server must not
    let another worker take back (and send again) messages still waiting in our batch."""
    with side_write() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.claimed_by == token, OutboxMessage.state == OutboxState.SENDING)
            .values(claimed_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    return set(db.session.scalars(select(OutboxMessage.id).where(
        OutboxMessage.claimed_by == token, OutboxMessage.state == OutboxState.SENDING)).all())


def _release(row: OutboxMessage, token: str) -> None:
    """Give a claimed row back untouched: it was never tried (the connection broke before)."""
    _transition(row.id, token, state=OutboxState.PENDING, attempts=OutboxMessage.attempts - 1,
                claimed_by=None, claimed_at=None)


# The worker's unit of work ----------------------------------------------------------------------


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    released: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed + self.released

    def add(self, other: DeliveryReport) -> None:
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed
        self.released += other.released
        self.errors.extend(other.errors)


def deliver_batch(worker_id: str = "worker", limit: int | None = None) -> DeliveryReport:
    """Claim one batch and deliver it over a single SMTP connection."""
    report = DeliveryReport()
    token, rows = claim_batch(worker_id, limit)
    if not rows:
        return report
    pending = list(rows)
    renew_every = setting("MAIL_CLAIM_LEASE_SECONDS") / 3
    renewed = time.monotonic()
    try:
        with SmtpConnection(current_app.extensions["mail"]) as connection:
            while pending:
                if time.monotonic() - renewed > renew_every:
                    held = _renew(token)
                    renewed = time.monotonic()
                    pending = [other for other in pending if other.id in held]
                    if not pending:
                        break
                row = pending.pop(0)
                try:
                    connection.send(build_message(row))
                except Exception as error:  # noqa: BLE001 - every failure is recorded on the row
                    failure = _classify(error)
                    outcome = _record_failure(row, token, failure)
                    report.errors.append(f"{row.id}: {failure}")
                    if outcome == "failed":
                        report.failed += 1
                    else:
                        report.retried += 1
                    if _connection_broken(error):
                        # The remaining rows were never tried: back to the queue, no penalty.
                        for other in pending:
                            _release(other, token)
                            report.released += 1
                        pending = []
                    continue
                if _transition(row.id, token, state=OutboxState.SENT, sent_at=utcnow(),
                               last_error=None, claimed_by=None, claimed_at=None):
                    report.sent += 1
    except Exception as error:  # noqa: BLE001 - cannot connect: every claimed row waits
        # A failure to connect says nothing about the messages themselves: always retry.
        failure = TemporaryFailure(str(_classify(error)))
        report.errors.append(str(failure))
        for row in pending:
            outcome = _record_failure(row, token, failure)
            if outcome == "failed":
                report.failed += 1
            else:
                report.retried += 1
    for row in rows:
        db.session.expire(row)  # their outcomes were written apart: read them afresh
    return report


def _connection_broken(error: BaseException) -> bool:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return False
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code in (421,)  # "service not available, closing channel"
    return isinstance(error, smtplib.SMTPServerDisconnected | OSError | socket.timeout)


def deliver_due(worker_id: str = "worker", max_batches: int | None = None) -> DeliveryReport:
    """Deliver batches until nothing is due (``worker --once``)."""
    total = DeliveryReport()
    batches = 0
    while max_batches is None or batches < max_batches:
        report = deliver_batch(worker_id)
        batches += 1
        total.add(report)
        if report.handled == 0 or report.sent == 0 and report.released + report.retried > 0:
            # Nothing due, or the server is down: stop hammering, the backoff decides.
            break
    return total


# Steering ---------------------------------------------------------------------------------------


def retry_failed(actor: User, message_ids: list[int] | None = None) -> int:
    """Put failed messages back in the queue now, with a fresh attempt count. Journaled."""
    require(actor, Action.STEER_OUTBOX)
    query = select(OutboxMessage).where(OutboxMessage.state == OutboxState.FAILED)
    if message_ids is not None:
        query = query.where(OutboxMessage.id.in_(message_ids))
    rows = db.session.scalars(query).all()
    if message_ids is not None and len(rows) != len(set(message_ids)):
        raise ServiceError(
            _l("Ce message n'est plus en échec (il a peut-être déjà été relancé). "
               "Rechargez la liste.")
        )
    now = utcnow()
    for row in rows:
        journal.record(actor, Event.OUTBOX_RETRY, row, recipient=row.recipient,
                       attempts=row.attempts, last_error=row.last_error)
        row.state = OutboxState.PENDING
        row.attempts = 0
        row.next_attempt_at = now
        row.claimed_by = None
        row.claimed_at = None
    db.session.flush()
    return len(rows)


def list_messages(actor: User, state: OutboxState | None = None, search: str | None = None,
                  limit: int | None = 500) -> list[OutboxMessage]:
    """The outbox as the steering group sees it, newest first (read-only)."""
    require(actor, Action.STEER_OUTBOX)
    query = select(OutboxMessage).order_by(OutboxMessage.created_at.desc(),
                                           OutboxMessage.id.desc())
    if state is not None:
        query = query.where(OutboxMessage.state == state)
    if search:
        pattern = f"%{search.strip().lower()}%"
        query = query.where(or_(OutboxMessage.recipient.ilike(pattern),
                                OutboxMessage.subject.ilike(pattern)))
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query).all())


def count_by_state() -> dict[OutboxState, int]:
    rows = db.session.execute(
        select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
    ).all()
    counts = {state: 0 for state in OutboxState}
    counts.update({state: count for state, count in rows})
    return counts
