"""Retention: pupils anonymised 12 months after their campaign, idle accounts after 24."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from stagebourse.extensions import db
from stagebourse.models import (
    JournalEntry,
    OutboxMessage,
    OutboxState,
    Pupil,
    Request,
    Role,
    User,
    Wish,
)
from stagebourse.services import ServiceError, retention
from tests.factories import first_school, make_campaign, make_pupil_user, make_user

# make_campaign: deadline 10 Jan 2027, weeks 2027-W05 and W06 → closes Friday 12 Feb 2027.
CLOSED = dt.date(2027, 2, 12)


@pytest.fixture
def pupil_with_request(app):
    campaign = make_campaign([first_school()])
    user = make_pupil_user(guardian_email="parent@exemple.fr")
    request = Request(campaign=campaign, pupil=user.pupil)
    request.wishes.append(Wish(rank=1, sector_code="sante"))
    db.session.add(request)
    db.session.commit()
    return user.pupil


def test_campaign_closes_after_its_last_internship_week(pupil_with_request):
    assert list(retention.campaign_closing_dates().values()) == [CLOSED]


def test_nothing_is_due_before_twelve_months(pupil_with_request):
    plan = retention.plan_purge(CLOSED + dt.timedelta(days=364))
    assert plan.pupil_ids == []


def test_dry_run_changes_nothing_and_apply_anonymises(pupil_with_request):
    pupil_id = pupil_with_request.id
    plan = retention.plan_purge(CLOSED + dt.timedelta(days=366))
    assert plan.pupil_ids == [pupil_id]
    retention.purge(plan, apply=False)
    assert db.session.get(Pupil, pupil_id).last_name == "Essai"
    retention.purge(plan, apply=True)
    db.session.expire_all()
    pupil = db.session.get(Pupil, pupil_id)
    assert (pupil.first_name, pupil.last_name) == ("—", "—")
    assert pupil.birth_date == dt.date(2012, 1, 1)
    assert pupil.guardian_email is None and pupil.gender is None and pupil.qpv_resident is None
    assert db.session.scalar(select(User).where(User.pupil_id == pupil_id)) is None
    # The statistics keep their anonymous rows.
    assert db.session.scalar(select(func.count()).select_from(Wish)) == 1
    assert db.session.scalar(select(JournalEntry.action).where(
        JournalEntry.action == "retention.purged")) is not None
    # Already anonymised: not planned again.
    assert retention.plan_purge(CLOSED + dt.timedelta(days=400)).pupil_ids == []


def test_idle_staff_accounts_are_stripped_after_24_months(app):
    old = make_user(Role.TEACHER, "ancien@college-test.fr", school=first_school())
    old.created_at = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    recent = make_user(Role.STEERING, "actif@pilotage-test.fr")
    recent.last_login_at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    db.session.commit()
    plan = retention.purge(retention.plan_purge(dt.date(2026, 6, 1)), apply=True)
    assert plan.account_ids == [old.id]
    db.session.expire_all()
    assert old.email == f"compte-supprime-{old.id}@invalid.invalid"
    assert not old.is_active and old.password_hash is None
    assert recent.is_active and recent.email == "actif@pilotage-test.fr"


def test_sent_mail_older_than_a_year_is_deleted(app):
    sent = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    db.session.add_all([
        OutboxMessage(idempotency_key="old", recipient="a@exemple.fr", subject="s",
                      body_text="t", state=OutboxState.SENT, sent_at=sent),
        OutboxMessage(idempotency_key="new", recipient="b@exemple.fr", subject="s",
                      body_text="t", state=OutboxState.PENDING),
    ])
    db.session.commit()
    plan = retention.purge(retention.plan_purge(dt.date(2026, 6, 1)), apply=True)
    assert plan.old_mail == 1
    assert db.session.scalars(select(OutboxMessage.idempotency_key)).all() == ["new"]


def test_subject_export_and_erasure(app, pupil_with_request):
    steering = make_user(Role.STEERING, "pilotage@test.fr")
    data = retention.subject_export(steering, pupil_with_request)
    assert data["pupil"]["last_name"] == "Essai"
    assert data["pupil"]["guardian_email"] == "parent@exemple.fr"
    assert data["wishes"] == [{"request": data["wishes"][0]["request"], "rank": 1,
                               "sector": "sante", "offer": None}]
    with pytest.raises(ServiceError, match="motif"):
        retention.erase_pupil(steering, pupil_with_request, "  ")
    retention.erase_pupil(steering, pupil_with_request, "Demande du responsable, 28/11/2026")
    assert pupil_with_request.last_name == "—"
    with pytest.raises(ServiceError, match="déjà effacées"):
        retention.erase_pupil(steering, pupil_with_request, "encore")
    assert retention.find_pupils(steering, "Essai") == []
