"""Reminders to the parties who have not signed, on set days before the internship."""

from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import select

from stagebourse import clock
from stagebourse.extensions import db
from stagebourse.models import (
    Agreement,
    AgreementState,
)
from stagebourse.services import journal
from stagebourse.services.agreements.links import _send_links
from stagebourse.services.journal import Event

DEFAULT_REMINDER_DAYS = (21, 14, 7, 3)


def reminder_days() -> tuple[int, ...]:
    return tuple(current_app.config.get("AGREEMENT_REMINDER_DAYS", DEFAULT_REMINDER_DAYS))


def send_reminders(today: dt.date | None = None) -> int:
    """Remind each party that has not signed yet, at set days before the internship.

    The outbox key names the agreement, version, party and reminder slot: running this twice on
    the same day (or every day) never queues the same reminder twice.
    """
    today = today or clock.today()
    queued = 0
    for agreement in db.session.scalars(select(Agreement).where(
            Agreement.state == AgreementState.TO_SIGN, Agreement.first_day > today)).all():
        days_left = (agreement.first_day - today).days
        due = [slot for slot in reminder_days() if days_left <= slot]
        if not due:
            continue
        slot = min(due)
        queued += _send_links(agreement, kind="reminder", key_suffix=f":d{slot}")
        db.session.flush()
    if queued:
        journal.record(None, Event.AGREEMENT_REMIND, None, mails=queued, today=today.isoformat())
    db.session.flush()
    return queued

