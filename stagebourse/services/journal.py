"""Journal entries: who did what to what."""

from __future__ import annotations

from typing import Any

from stagebourse.extensions import db
from stagebourse.models import JournalEntry, User


def actor_label(actor: User | None) -> str:
    if actor is None:
        return "système"
    if actor.email:
        return actor.email
    return f"{actor.role.value} #{actor.id}"


def record(
    actor: User | None,
    action: str,
    subject: Any = None,
    **details: Any,
) -> JournalEntry:
    """Add a journal entry to the current transaction (the caller commits)."""
    entry = JournalEntry(
        actor_id=actor.id if actor is not None else None,
        actor_label=actor_label(actor),
        action=action,
        subject_type=type(subject).__name__ if subject is not None else None,
        subject_id=str(subject.id) if subject is not None and hasattr(subject, "id") else None,
        details=details,
    )
    db.session.add(entry)
    return entry
