"""Erasing a pupil, at the family's request or by the retention purge, leaves their name and
birth date nowhere: not in any column of any table, not in any private file.

The search does not trust a list of places: it reads every text, JSON and binary column of every
table the schema declares (a column added later is searched too) and every file under the
private files folder. The pupil lives a full life first: wishes, a round, a confirmed
placement, an agreement signed by code and on paper (a scan), a document kept beside it, mail
sent, pending and failed, the return questionnaire.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import current_app
from sqlalchemy import select

from stagebourse import clock
from stagebourse.extensions import db
from stagebourse.identifiers import week_monday
from stagebourse.models import (
    Agreement,
    AgreementState,
    AssignmentState,
    Base,
    MatchingRun,
    OutboxMessage,
    OutboxState,
    Party,
    Pupil,
    QuestionnaireInvitee,
    Role,
    Tutor,
)
from stagebourse.services import (
    agreements,
    campaigns,
    erasure,
    matching,
    questionnaires,
    requests,
    retention,
)
from stagebourse.services.matching import RunOptions
from tests.factories import (
    ANZIN,
    UPCOMING_CAMPAIGN,
    UPCOMING_WEEK,
    first_school,
    make_agreement_settings,
    make_campaign,
    make_company,
    make_offer,
    make_pupil_user,
    make_teacher,
    make_user,
    scan_pdf,
)
from tests.scenarios import sign_by_code

FIRST, LAST = "Zélinda", "Quennevaux"
BORN = dt.date(2011, 2, 3)
GUARDIAN_NAME = "Marcelin Quennevaux"
GUARDIAN = "famille.quennevaux@parents-test.fr"
# How the person is written: the names, and the birth date in the usual spellings.
NEEDLES = (FIRST, LAST, "2011-02-03", "03/02/2011", "3 février 2011", GUARDIAN)
OTHER = ("Anatolie", "Vermandoise")


@dataclass
class Life:
    pupil_id: int
    other_id: int
    run_id: int
    agreement_id: int
    audit_json: str | None
    instance_sha256: str | None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def traces_in_database() -> list[str]:
    """Every (table.column: needle) where a needle is found, any case, in any text-like column
    of any table."""
    found = []
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns
                   if isinstance(c.type, sa.String | sa.Text | sa.JSON | sa.LargeBinary)]
        if not columns:
            continue
        for row in db.session.execute(select(*columns)):
            for column, value in zip(columns, row, strict=True):
                text = _text(value).lower()
                found += [f"{table.name}.{column.name}: {needle}" for needle in NEEDLES
                          if needle.lower() in text]
    return sorted(set(found))


def traces_in_files() -> list[str]:
    root = Path(current_app.config["PRIVATE_FILES_DIR"])
    found = []
    for path in root.rglob("*") if root.exists() else []:
        if path.is_file():
            text = path.read_bytes().decode("utf-8", "replace").lower()
            found += [f"{path.name}: {n}" for n in NEEDLES if n.lower() in text]
    return found


def live_a_full_life() -> Life:
    school = first_school()
    campaign = make_campaign([school], **UPCOMING_CAMPAIGN)
    steering = make_user(Role.STEERING, "pilote.effacement@metropole-test.fr")
    company = make_company()
    for index in range(2):
        make_offer(company, title=f"Officine {index + 1}", sector_code="sante", accessible=True,
                   seats={UPCOMING_WEEK: 1}, lat=school.lat + 0.002 * index, lon=school.lon)
    pupil = make_pupil_user(school, code="EFFA-0001-TEST", first_name=FIRST, last_name=LAST,
                            class_name="3-Glycine", birth_date=BORN, home_commune_code=ANZIN,
                            needs_accessible=True, max_travel_km=12.0,
                            guardian_email=GUARDIAN)
    other = make_pupil_user(school, code="EFFA-0002-TEST", first_name=OTHER[0],
                            last_name=OTHER[1], class_name="3-Glycine",
                            birth_date=dt.date(2011, 6, 7),
                            guardian_email="famille.vermandoise@parents-test.fr")
    for user in (pupil, other):
        requests.add_wish(user, user.pupil, sector_code="sante")
        requests.confirm_request(user, user.pupil)
    campaigns.transition(steering, campaign, "close")
    run = matching.run_round(steering, campaign, RunOptions(seed=3))
    matching.publish(steering, run)
    assignment = next(a for a in run.assignments if a.pupil_id == pupil.pupil.id)
    assignment.state = AssignmentState.CONFIRMED
    assignment.pupil_confirmed_at = assignment.company_confirmed_at = clock.now()
    # Free text written by staff about the pupil.
    assignment.manual_reason = f"{FIRST} {LAST} change d'établissement le 03/02/2011 ?"
    make_agreement_settings(campaign, school, signatory_email="direction@college-test.fr")
    teacher = make_teacher("prof.effacement@college-test.fr", school)
    db.session.flush()

    agreements.draft_missing(None)
    agreement = agreements.agreement_of(assignment)
    assert agreement is not None
    agreements.send_for_signature(teacher, agreement)
    for party in (Party.SCHOOL, Party.HOST, Party.PUPIL):
        sign_by_code(agreement, party)
    # A real PDF (the only kind a scan may be), whose bytes carry the names as a scanner's
    # text layer would.
    scan = scan_pdf() + (f"% Convention signée par {GUARDIAN_NAME} pour {FIRST} {LAST}, "
                         "née le 3 février 2011\n").encode()
    agreements.record_paper_signature(teacher, agreement, Party.GUARDIAN, GUARDIAN_NAME, scan)
    assert agreement.state == AgreementState.SIGNED
    # A document kept beside the scans, named after the agreement like them.
    folder = Path(current_app.config["PRIVATE_FILES_DIR"]) / "agreements"
    (folder / f"{agreement.id}-signee.pdf").write_bytes(
        b"%PDF-1.4\n" + f"{FIRST} {LAST} 03/02/2011".encode())

    # Mail in every state: the first sent, the next failed, the rest pending.
    mails = list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    assert any(FIRST in m.body_text for m in mails)
    mails[0].state, mails[0].sent_at = OutboxState.SENT, clock.now()
    mails[1].state, mails[1].last_error = OutboxState.FAILED, f"550 unknown user {GUARDIAN}"

    # After the internship: the return questionnaire.
    questionnaires.invite(steering, campaign,
                          today=week_monday(UPCOMING_WEEK) + dt.timedelta(days=7))
    assert db.session.scalar(select(QuestionnaireInvitee).where(
        QuestionnaireInvitee.pupil_id == pupil.pupil.id)) is not None
    db.session.commit()

    assert traces_in_database() and traces_in_files(), "the life left traces to erase"
    run_row = db.session.get(MatchingRun, run.id)
    assert run_row is not None and pupil.pupil.id in run_row.pseudonyms.values()
    return Life(pupil.pupil.id, other.pupil.id, run.id, agreement.id, run_row.audit_json,
                run_row.instance_sha256)


def check_nothing_left(life: Life, other_kept: bool) -> None:
    db.session.expire_all()
    assert traces_in_database() == []
    assert traces_in_files() == []
    pupil = db.session.get(Pupil, life.pupil_id)
    assert pupil is not None and pupil.needs_accessible is False
    assert pupil.home_commune_code is None and pupil.max_travel_km is None
    # The round: the pupil is out of its pseudonym map, the others stay, and what the audit
    # computed is untouched.
    run = db.session.get(MatchingRun, life.run_id)
    assert run is not None
    assert life.pupil_id not in run.pseudonyms.values()
    assert (life.other_id in run.pseudonyms.values()) is other_kept
    assert (run.audit_json, run.instance_sha256) == (life.audit_json, life.instance_sha256)
    # The agreement stays for the statistics (signed in time…), without the person.
    agreement = db.session.get(Agreement, life.agreement_id)
    assert agreement is not None and agreement.state == AgreementState.SIGNED
    assert agreement.content["pupil"]["first_name"] == "—"
    assert agreement.content["pupil"]["birth_date"] == "2011-01-01"
    assert agreement.content["host"]["name"] == "Atelier Test"


def test_the_steering_erasure_reaches_every_copy(app):
    life = live_a_full_life()
    steering = db.session.scalar(select(Pupil).where(Pupil.id == life.pupil_id))
    actor = make_user(Role.STEERING, "pilote.droits@metropole-test.fr")
    assert steering is not None
    # The reason, kept in the journal, is typed by a person who may well name the pupil.
    retention.erase_pupil(actor, steering, f"Demande du père de {FIRST} {LAST} ({GUARDIAN}), "
                                           "reçue le 2 mars")
    db.session.commit()
    check_nothing_left(life, other_kept=True)
    # Only that pupil: the other pupil of the round keeps everything.
    other = db.session.get(Pupil, life.other_id)
    assert other is not None and (other.first_name, other.last_name) == OTHER
    assert "famille.vermandoise@parents-test.fr" in db.session.scalars(
        select(OutboxMessage.recipient)).all()


@pytest.mark.parametrize("like_limit", [erasure.LIKE_LIMIT, 0], ids=["by-like", "by-reading"])
def test_the_purge_three_years_later_reaches_every_copy(app, monkeypatch, like_limit):
    """Both ways of finding the rows: the database's LIKE (few people), or reading every row
    once (a purge of hundreds)."""
    monkeypatch.setattr(erasure, "LIKE_LIMIT", like_limit)
    life = live_a_full_life()
    tutor_names = {t.full_name for t in db.session.scalars(select(Tutor))}
    later = clock.now() + dt.timedelta(days=3 * 365)
    monkeypatch.setattr(clock, "now", lambda: later)
    plan = retention.plan_purge()
    assert set(plan.pupil_ids) == {life.pupil_id, life.other_id}
    assert plan.tutor_ids, "the host's tutor has had no internship for two years"
    retention.purge(plan, apply=True)
    db.session.commit()
    check_nothing_left(life, other_kept=False)
    # Mail older than its retention is gone, whatever its state; tutors are stripped.
    assert db.session.scalar(select(sa.func.count()).select_from(OutboxMessage)) == 0
    db.session.expire_all()
    for tutor in db.session.scalars(select(Tutor).where(Tutor.id.in_(plan.tutor_ids))):
        assert tutor.full_name == "—" and tutor.email.endswith("@invalid.invalid")
    for name in tutor_names:
        assert name not in json.dumps(
            [a.content for a in db.session.scalars(select(Agreement))], ensure_ascii=False)


@pytest.mark.parametrize("state", [OutboxState.PENDING, OutboxState.FAILED])
def test_mail_that_could_not_go_within_30_days_is_purged(app, state):
    message = OutboxMessage(idempotency_key=f"test:{state.value}", recipient="x@exemple-test.fr",
                            subject="Essai", body_text="Essai", state=state,
                            created_at=clock.now() - dt.timedelta(days=31))
    recent = OutboxMessage(idempotency_key=f"test:{state.value}:recent",
                           recipient="y@exemple-test.fr", subject="Essai", body_text="Essai",
                           state=state, created_at=clock.now() - dt.timedelta(days=29))
    db.session.add_all([message, recent])
    db.session.commit()
    plan = retention.purge(retention.plan_purge(), apply=True)
    assert plan.old_mail == 1
    assert [m.idempotency_key for m in db.session.scalars(select(OutboxMessage))] == [
        recent.idempotency_key]
