"""A host's decisions: declining a blind proposal with a reason, asking the steering group to
withdraw a confirmed placement, and the steering group's answer."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import (
    AgreementState,
    Assignment,
    AssignmentState,
    DeclinedBy,
    HostReason,
    JournalEntry,
    OfferWeek,
    OutboxMessage,
    WithdrawalState,
)
from stagebourse.services import ServiceError, agreements, matching
from tests.scenarios import (
    HOST_MEMBER,
    ROUND_STEERING,
    ROUND_TEACHER,
    PublishedRound,
    published_round,
)

pytestmark = pytest.mark.database


@pytest.fixture
def world(app: Flask) -> PublishedRound:
    return published_round()


def seats(assignment: Assignment) -> int:
    return db.session.scalar(select(OfferWeek.seats).where(
        OfferWeek.offer_id == assignment.offer_id, OfferWeek.week == assignment.week))


def mails(template: str) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.template == template).order_by(OutboxMessage.id)))


def journaled(action: str) -> list[JournalEntry]:
    return list(db.session.scalars(select(JournalEntry).where(JournalEntry.action == action)))


def confirmed(world: PublishedRound, assignment: Assignment) -> Assignment:
    matching.answer_for_pupil(assignment.pupil.user, assignment, True)
    matching.answer_for_company(world.member, assignment, True)
    assert assignment.state == AssignmentState.CONFIRMED
    return assignment


def test_a_decline_needs_a_reason_from_the_list_and_a_text_for_other(world):
    assignment = world.run.assignments[0]
    for reason in (None, "", "pas envie"):
        with pytest.raises(ServiceError, match="raison dans la liste"):
            matching.decline_proposal(world.member, assignment, reason)
    with pytest.raises(ServiceError, match="Expliquez la raison"):
        matching.decline_proposal(world.member, assignment, HostReason.OTHER, "  court ")
    with pytest.raises(ServiceError, match="raison dans la liste"):
        matching.answer_for_company(world.member, assignment, False)
    assert assignment.state == AssignmentState.PUBLISHED


@pytest.mark.parametrize(("reason", "withdrawn"), [
    (HostReason.SEAT_GONE, True), (HostReason.TUTOR_UNAVAILABLE, True),
    (HostReason.ACCESSIBILITY, False), (HostReason.OTHER, False)])
def test_a_decline_withdraws_the_seat_or_keeps_it_by_its_reason(world, reason, withdrawn):
    assignment = world.run.assignments[0]
    before = seats(assignment)
    matching.answer_for_company(world.member, assignment, False, reason=reason,
                                note="Notre atelier ferme pour travaux cette semaine.")
    assert (assignment.state, assignment.declined_by) == (AssignmentState.DECLINED,
                                                          DeclinedBy.COMPANY)
    assert assignment.host_reason == reason
    assert seats(assignment) == before - (1 if withdrawn else 0)
    [entry] = journaled("assignment.host_declined")
    assert entry.details["reason"] == reason.value
    assert entry.details["seat_withdrawn"] is withdrawn


def test_pupil_teacher_and_steering_are_told_and_only_steering_reads_the_reason(world):
    assignment = world.run.assignments[0]
    pupil = assignment.pupil
    note = "Le tuteur part en formation imprévue toute la semaine."
    matching.decline_proposal(world.member, assignment, HostReason.OTHER, note)
    [family] = mails("host_declined_pupil")
    assert family.recipient == pupil.guardian_email
    assert "priorité" in family.body_text and "professeur" in family.body_text
    assert "ne connaissait ni son nom" in family.body_text
    [teacher] = mails("host_declined_teacher")
    assert teacher.recipient == ROUND_TEACHER and pupil.last_name in teacher.body_text
    [steering] = mails("host_declined_steering")
    assert steering.recipient == ROUND_STEERING
    assert note in steering.body_text and "autre raison" in steering.body_text
    for message in (family, teacher):
        assert note not in message.body_text and "autre raison" not in message.body_text


def test_a_host_cannot_decline_once_both_sides_confirmed(world):
    assignment = confirmed(world, world.run.assignments[0])
    with pytest.raises(ServiceError, match="n'attend plus de réponse"):
        matching.decline_proposal(world.member, assignment, HostReason.SEAT_GONE)


def test_host_proposals_are_blind_until_the_reveal(world):
    first, *others = world.run.assignments
    confirmed(world, first)
    proposals = {p.id: p for p in matching.host_proposals(world.member, world.member.company)}
    assert proposals[first.id].pupil is not None
    assert proposals[first.id].pupil.last_name == first.pupil.last_name
    for other in others:
        seen = proposals[other.id]
        assert seen.pupil is None
        assert seen.age_on_first_day == 15 and seen.level.value == "3e"
    assert {p.needs_accessible for p in proposals.values()} == {True, False}


def test_a_withdrawal_request_only_after_the_reveal_and_one_at_a_time(world):
    assignment = world.run.assignments[0]
    with pytest.raises(ServiceError, match="confirmé des deux côtés"):
        matching.request_withdrawal(world.member, assignment, HostReason.SEAT_GONE)
    confirmed(world, assignment)
    request = matching.request_withdrawal(world.member, assignment, HostReason.TUTOR_UNAVAILABLE)
    assert request.state == WithdrawalState.PENDING
    with pytest.raises(ServiceError, match="attend déjà"):
        matching.request_withdrawal(world.member, assignment, HostReason.SEAT_GONE)
    assert [m.recipient for m in mails("withdrawal_requested")] == [ROUND_STEERING]
    assert len(journaled("assignment.withdrawal_requested")) == 1
    assert matching.withdrawal_counts(world.steering)[WithdrawalState.PENDING] == 1


def test_refusing_a_withdrawal_needs_a_note_and_the_placement_stands(world):
    assignment = confirmed(world, world.run.assignments[0])
    request = matching.request_withdrawal(world.member, assignment, HostReason.OTHER,
                                          "Réorganisation du service en cours.")
    with pytest.raises(ServiceError, match="pourquoi le stage est maintenu"):
        matching.decide_withdrawal(world.steering, request, False, "")
    matching.decide_withdrawal(world.steering, request, False,
                               "L'élève est attendu : voyez avec le tuteur suppléant.")
    assert request.state == WithdrawalState.REFUSED and request.decided_at is not None
    assert assignment.state == AssignmentState.CONFIRMED
    assert agreements.agreement_of(assignment).state != AgreementState.VOIDED
    [told] = mails("withdrawal_decided")
    assert told.recipient == HOST_MEMBER and "maintenu" in told.body_text
    assert mails("host_declined_pupil") == []
    with pytest.raises(ServiceError, match="déjà été tranchée"):
        matching.decide_withdrawal(world.steering, request, True)
    # Decided, the host may ask again.
    matching.request_withdrawal(world.member, assignment, HostReason.SEAT_GONE)


def test_accepting_a_withdrawal_cancels_voids_and_tells_everyone(world):
    assignment = confirmed(world, world.run.assignments[0])
    agreement = agreements.agreement_of(assignment)
    before = seats(assignment)
    request = matching.request_withdrawal(world.member, assignment, HostReason.SEAT_GONE)
    matching.decide_withdrawal(world.steering, request, True)
    assert (assignment.state, assignment.declined_by) == (AssignmentState.CANCELLED,
                                                          DeclinedBy.WITHDRAWN)
    assert agreement.state == AgreementState.VOIDED
    assert seats(assignment) == before - 1
    [family] = mails("host_declined_pupil")
    assert family.recipient == assignment.pupil.guardian_email and "priorité" in family.body_text
    assert [m.recipient for m in mails("host_declined_teacher")] == [ROUND_TEACHER]
    [told] = mails("withdrawal_decided")
    assert told.recipient == HOST_MEMBER and "accepte" in told.body_text
    assert len(journaled("assignment.withdrawal_accepted")) == 1
    assert [r.id for r in matching.withdrawal_requests(world.steering)] == [request.id]
