"""A manual move of a confirmed placement voids what it replaces: the old agreement (signed
or not) is voided, its parties are told, a new agreement is drafted for the new placement,
and the internship can never start on the old one."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import (
    Agreement,
    AgreementState,
    Assignment,
    AssignmentState,
    OutboxMessage,
    Party,
    Role,
    User,
)
from stagebourse.services import ServiceError, agreements, matching
from stagebourse.services.matching import RunOptions
from tests.factories import make_user
from tests.scenarios import DAY, demo_campaign, sign_by_code

pytestmark = pytest.mark.database


def confirm(assignment: Assignment) -> None:
    pupil_user = db.session.scalar(select(User).where(User.pupil_id == assignment.pupil_id))
    member = User(role=Role.COMPANY, email=f"accueil{assignment.id}@structure-demo.fr",
                  display_name="Accueil", company_id=assignment.offer.company_id)
    db.session.add(member)
    db.session.flush()
    matching.answer_for_pupil(pupil_user, assignment, accept=True, today=DAY)
    matching.answer_for_company(member, assignment, accept=True, today=DAY)
    assert assignment.state == AssignmentState.CONFIRMED


def another_place(run, assignment: Assignment):  # noqa: ANN001, ANN201
    """An offer and week the engine accepts for this pupil, other than the current one, or
    None."""
    for offer_id in sorted({a.offer_id for a in run.assignments} - {assignment.offer_id}):
        offer = db.session.get(type(assignment.offer), offer_id)
        for week in sorted({w.week for w in offer.weeks}):
            try:
                matching.check_manual(run, assignment.pupil_id, offer, week, exclude=assignment.id)
            except ServiceError:
                continue
            return offer, week
    return None


def test_moving_a_signed_placement_voids_its_agreement_and_drafts_a_new_one(app: Flask) -> None:
    steering, campaign = demo_campaign()
    run = matching.run_round(steering, campaign, RunOptions(seed=31, allow_unranked=True))
    matching.publish(steering, run)
    # The first pupil (by id) for whom the engine accepts another place: which pupils have one
    # depends on the round's draw.
    assignment, (offer, week) = next(
        (a, place) for a in sorted(run.assignments, key=lambda a: a.id)
        if (place := another_place(run, a)) is not None)
    teacher = make_user(Role.TEACHER, "prof.deplacement@college-test.fr",
                        school_id=assignment.pupil.school_id,
                        validated_at=dt.datetime.now(dt.UTC))
    agreements.save_settings(teacher, campaign, {
        "head_name": "Mme Demo Principale", "head_title": "Principale",
        "signatory_email": "ce.deplacement@college-test.fr", "insurer": "MAIF"})
    assignment.pupil.guardian_email = "famille.deplacement@famille-test.fr"
    confirm(assignment)
    old = agreements.agreement_of(assignment)
    assert old is not None
    agreements.send_for_signature(teacher, old)
    db.session.commit()
    for party in (Party.SCHOOL, Party.HOST, Party.PUPIL):
        sign_by_code(old, party)
    sign_by_code(old, Party.GUARDIAN, name="Parent Démo")
    assert old.state == AgreementState.SIGNED
    addresses = {agreements.party_email(old, p) for p in Party} - {None}
    old_host = old.content["host"]["name"]

    matching.manual_assign(steering, run, assignment.pupil_id, offer.id, week,
                           "La structure a fermé ; la famille et la nouvelle structure sont "
                           "d'accord")
    db.session.commit()
    db.session.expire_all()

    old = db.session.get(Agreement, old.id)
    assert old.state == AgreementState.VOIDED and "déplacée" in old.voided_reason
    told = set(db.session.scalars(select(OutboxMessage.recipient).where(
        OutboxMessage.template == "agreement_cancelled")))
    assert told == addresses
    # A new agreement, for the new placement, beside the voided one.
    new = agreements.agreement_of(assignment)
    assert new is not None and new.id != old.id and new.state == AgreementState.DRAFT
    assert new.content["internship"]["week"] == week
    assert new.content["host"]["name"] == offer.company.name
    assert old.content["host"]["name"] == old_host
    assert agreements.draft(steering, assignment).id == new.id
    assert assignment.state == AssignmentState.CONFIRMED
    # The internship cannot start: the signed agreement was the old placement's.
    with pytest.raises(ServiceError, match="convention n'est pas signée"):
        agreements.complete_internship(teacher, assignment)
    assert assignment.state == AssignmentState.CONFIRMED


def test_cancelling_a_placement_tells_the_parties_of_its_sent_agreement(app: Flask) -> None:
    steering, campaign = demo_campaign()
    run = matching.run_round(steering, campaign, RunOptions(seed=32))
    matching.publish(steering, run)
    assignment = sorted(run.assignments, key=lambda a: a.id)[0]
    teacher = make_user(Role.TEACHER, "prof.annulation@college-test.fr",
                        school_id=assignment.pupil.school_id,
                        validated_at=dt.datetime.now(dt.UTC))
    agreements.save_settings(teacher, campaign, {
        "head_name": "Mme Demo Principale", "head_title": "Principale",
        "signatory_email": "ce.annulation@college-test.fr", "insurer": "MAIF"})
    confirm(assignment)
    agreement = agreements.agreement_of(assignment)
    agreements.send_for_signature(teacher, agreement)
    matching.cancel_assignment(steering, assignment, "La structure ferme définitivement")
    db.session.commit()
    assert agreement.state == AgreementState.VOIDED
    assert "ce.annulation@college-test.fr" in set(db.session.scalars(
        select(OutboxMessage.recipient).where(OutboxMessage.template == "agreement_cancelled")))
