"""Factories for the outbox: queued messages and their states."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import OutboxMessage, OutboxState
from stagebourse.services.notifications import queue_email

RESET_CONTEXT = {"user": type("U", (), {"display_name": "Camille"})(),
                 "reset_url": "http://stagebourse.test/reset/abc", "minutes": 60}


def queue(n: int, prefix: str = "test") -> list[str]:
    """Queue ``n`` password-reset mails (keys ``prefix:i``) and commit; return the addresses."""
    addresses = [f"personne{i}@atelier-test.fr" for i in range(n)]
    for i, address in enumerate(addresses):
        queue_email(address, "password_reset", key=f"{prefix}:{i}",
                    reason="vous avez demandé à changer votre mot de passe.", **RESET_CONTEXT)
    db.session.commit()
    return addresses


def states() -> Counter[OutboxState]:
    return Counter(db.session.scalars(select(OutboxMessage.state)).all())
