"""Reminding teachers, before the wishes deadline, of their pupils who still lack the guardian
consent the round requires (under 15 on the first internship day).

Run by the worker's periodic loop (and safe to run any number of times): each teacher gets
one reminder per campaign, whatever the day it runs in the window; the outbox key says so.
"""

from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from stagebourse import clock
from stagebourse.extensions import db
from stagebourse.models import (
    Campaign,
    CampaignState,
    OutboxMessage,
    Pupil,
    Request,
    RequestState,
    Role,
    User,
)
from stagebourse.services import journal
from stagebourse.services.journal import Event
from stagebourse.services.notifications import public_url, queue_email
from stagebourse.services.pupils import consent_missing

DEFAULT_REMINDER_DAYS = 10


def reminder_days() -> int:
    return int(current_app.config.get("CONSENT_REMINDER_DAYS", DEFAULT_REMINDER_DAYS))


def pupils_missing_consent(campaign: Campaign) -> dict[int, list[Pupil]]:
    """Pupils taking part (a request in progress or confirmed) whose consent is missing, by
    school id, in name order."""
    requests = db.session.scalars(
        select(Request).where(Request.campaign_id == campaign.id,
                              Request.state.in_([RequestState.DRAFT, RequestState.CONFIRMED]))
        .options(selectinload(Request.pupil)))
    by_school: dict[int, list[Pupil]] = {}
    for request in requests:
        pupil = request.pupil
        if consent_missing(pupil, campaign):
            by_school.setdefault(pupil.school_id, []).append(pupil)
    for pupils in by_school.values():
        pupils.sort(key=lambda p: (p.class_name, p.last_name, p.first_name, p.id))
    return by_school


def send_consent_reminders(today: dt.date | None = None) -> int:
    """Queue, from ``CONSENT_REMINDER_DAYS`` before the wishes deadline until the deadline,
    one reminder per teacher of a school with pupils lacking consent. Returns how many are
    new. Flushes; the caller commits (the worker's unit of work)."""
    today = today or clock.today()
    days = reminder_days()
    queued = 0
    campaigns = db.session.scalars(
        select(Campaign).where(Campaign.state == CampaignState.OPEN)).all()
    for campaign in campaigns:
        deadline = campaign.requests_deadline
        if not deadline - dt.timedelta(days=days) <= today <= deadline:
            continue
        missing = pupils_missing_consent(campaign)
        if not missing:
            continue
        teachers = db.session.scalars(
            select(User).where(User.role == Role.TEACHER, User.school_id.in_(list(missing)),
                               User.is_active.is_(True), User.validated_at.is_not(None),
                               User.email.is_not(None))
            .order_by(User.id)).all()
        for teacher in teachers:
            assert teacher.email is not None and teacher.school_id is not None
            key = f"consent:remind:{campaign.id}:{teacher.id}"
            if db.session.scalar(select(OutboxMessage.id).where(
                    OutboxMessage.idempotency_key == key)) is not None:
                continue  # once per campaign and teacher
            pupils = missing[teacher.school_id]
            queue_email(
                teacher.email, "consent_reminder", key=key,
                reason=("vous êtes professeur référent d'un établissement inscrit à la bourse "
                        "de stages de Valenciennes Métropole."),
                teacher=teacher, campaign=campaign, pupils=pupils, deadline=deadline,
                link=public_url("teacher.home"))
            queued += 1
    if queued:
        journal.record(None, Event.PUPIL_CONSENT_REMINDED, None, reminders=queued,
                       day=today.isoformat())
    db.session.flush()
    return queued
