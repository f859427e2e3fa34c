"""Matching rounds on the demo data: dry runs, publication, answers, second round, audit."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
from flask import Flask
from sqlalchemy import func, select

from stagebourse.extensions import db
from stagebourse.matching import instance_from_dict, result_from_dict, verify_result
from stagebourse.models import (
    AssignmentState,
    CampaignState,
    HostReason,
    JournalEntry,
    MatchingRun,
    Offer,
    OutboxMessage,
    Role,
    RunState,
    User,
)
from stagebourse.services import ServiceError, matching
from stagebourse.services.demo import DEMO_SIZE
from stagebourse.services.matching import RunOptions
from tests.scenarios import DAY, demo_campaign


def count(model: type) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def test_round_is_blind_pseudonymous_and_verified(app: Flask) -> None:
    steering, campaign = demo_campaign()
    run = matching.run_round(steering, campaign, RunOptions(seed=7))
    assert run.state == RunState.DONE and run.verified_ok
    assert campaign.state == CampaignState.MATCHED
    blind = matching.blindness(steering, run)
    assert blind["ok"] and not blind["protected_found"]
    doc = json.loads(run.instance_json)
    ids = [p["id"] for p in doc["pupils"]]
    assert ids == sorted(ids)
    # Pseudonyms are random strings, never the database ids.
    assert not set(ids) & {f"p{pid}" for pid in run.pseudonyms.values()}
    assert set(run.pseudonyms) == set(ids)
    assert "pseudonyms" not in run.result_json and str(next(iter(run.pseudonyms.values()))) \
        not in {a["pupil"] for a in json.loads(run.result_json)["assignments"]}
    # Every assignment row matches the result file, in state proposed.
    assert len(run.assignments) == run.placed_count
    assert {a.state for a in run.assignments} == {AssignmentState.PROPOSED}
    # The audit is stored with the three mechanisms.
    assert matching.run_audit(run)["mechanisms"] == ["optimal", "fcfs", "network-first"]


def test_round_one_needs_closed_requests(app: Flask) -> None:
    steering, campaign = demo_campaign()
    from stagebourse.services import campaigns

    campaigns.transition(steering, campaign, "reopen", today=DAY)
    with pytest.raises(ServiceError, match="Clôturez"):
        matching.run_round(steering, campaign, RunOptions(seed=1))


def test_steering_journey_on_the_demo_campaign(app: Flask) -> None:
    """The issue's "done when": dry runs, compare, publish, declines, second round, audit.

    On the full demo: the optimal mechanism's lead over first-come-first-served in wishes 1
    is a property of a campaign at scale, not of every small one."""
    steering, campaign = demo_campaign(size=DEMO_SIZE)
    first = matching.run_round(steering, campaign, RunOptions(seed=11))
    second = matching.run_round(steering, campaign, RunOptions(
        seed=12, rank_costs=(0, 50, 100, 150, 200), km_cost=30))
    compared = matching.compare_runs(steering, [first, second])
    assert [s.run.id for s in compared] == [first.id, second.id]
    assert compared[0].mean_rank != compared[1].mean_rank or \
        compared[0].mean_km != compared[1].mean_km

    opt = matching.summarize(first, "optimal")
    fcfs = matching.summarize(first, "fcfs")
    network = matching.summarize(first, "network-first")
    assert opt is not None and fcfs is not None and network is not None
    assert opt.placed >= fcfs.placed and opt.placed >= network.placed
    assert opt.mean_rank is not None and fcfs.mean_rank is not None
    assert opt.wish1_share >= fcfs.wish1_share  # type: ignore[operator]
    print(f"\ndemo figures (placed / wish 1 / mean rank): "
          f"optimal {opt.placed}/{opt.pupils} {opt.wish1_share:.3f} {opt.mean_rank:.3f}; "
          f"fcfs {fcfs.placed} {fcfs.wish1_share:.3f} {fcfs.mean_rank:.3f}; "
          f"network-first {network.placed} {network.wish1_share:.3f} {network.mean_rank:.3f}")

    matching.publish(steering, first)
    db.session.expire_all()
    assert first.state == RunState.PUBLISHED and second.state == RunState.DISCARDED
    assert campaign.state == CampaignState.PUBLISHED
    assert {a.state for a in first.assignments} == {AssignmentState.PUBLISHED}
    templates = set(db.session.scalars(select(OutboxMessage.template)))
    assert {"assignment_teacher", "assignment_company", "tutor_preparation",
            "teacher_preparation"} <= templates
    assert db.session.scalar(select(func.count()).select_from(JournalEntry).where(
        JournalEntry.action == "matching.published")) == 1

    # Answers: some pupils decline, companies decline one, others confirm.
    assignments = sorted(first.assignments, key=lambda a: a.id)
    company_user = {}
    for a in assignments[:6]:
        pupil_user = db.session.scalar(select(User).where(User.pupil_id == a.pupil_id))
        matching.answer_for_pupil(pupil_user, a, accept=False, today=DAY)
    member = User(role=Role.COMPANY, email="membre@structure-demo.fr", display_name="M",
                  company_id=assignments[6].offer.company_id)
    db.session.add(member)
    db.session.commit()
    company_user[member.company_id] = member
    matching.answer_for_company(member, assignments[6], accept=False, today=DAY,
                                reason=HostReason.ACCESSIBILITY)
    confirmed = assignments[7]
    pupil_user = db.session.scalar(select(User).where(User.pupil_id == confirmed.pupil_id))
    matching.answer_for_pupil(pupil_user, confirmed, accept=True, today=DAY)
    owner = User(role=Role.COMPANY, email="owner@structure-demo.fr", display_name="O",
                 company_id=confirmed.offer.company_id)
    db.session.add(owner)
    db.session.commit()
    matching.answer_for_company(owner, confirmed, accept=True, today=DAY)
    assert confirmed.state == AssignmentState.CONFIRMED
    with pytest.raises(ServiceError, match="plus de réponse"):
        matching.answer_for_pupil(pupil_user, confirmed, accept=False, today=DAY)

    # After the deadline, the second round: unconfirmed seats go back to the pool.
    after = campaign.confirmation_deadline + dt.timedelta(days=1)
    released = matching.release_unconfirmed(steering, campaign, today=after)
    assert released == len(assignments) - 8
    round2 = matching.run_round(steering, campaign, RunOptions(seed=13, round_number=2))
    assert round2.state == RunState.DONE and round2.verified_ok
    # Confirmed pupils keep their seat and are not in round 2; decliners are not re-placed.
    round2_pupils = set(round2.pseudonyms.values())
    assert confirmed.pupil_id not in round2_pupils
    assert not {a.pupil_id for a in assignments[:6]} & round2_pupils
    assert assignments[6].pupil_id in round2_pupils  # the company declined: placed again
    # The confirmed seat is not offered again.
    instance = json.loads(round2.instance_json)
    seats = {o["id"]: o["seats"] for o in instance["offers"]}
    offer_seats = {w.week: w.seats for w in db.session.get(Offer, confirmed.offer_id).weeks}
    assert seats.get(f"o{confirmed.offer_id}", {}).get(confirmed.week, 0) \
        <= offer_seats[confirmed.week] - 1
    matching.publish(steering, round2)
    assert round2.state == RunState.PUBLISHED and first.state == RunState.PUBLISHED
    assert confirmed.state == AssignmentState.CONFIRMED


def test_interrupted_publication_leaves_no_partial_state(app: Flask,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    steering, campaign = demo_campaign()
    run = matching.run_round(steering, campaign, RunOptions(seed=3))
    other = matching.run_round(steering, campaign, RunOptions(seed=4))
    db.session.commit()  # earlier requests
    journal_before = count(JournalEntry)

    def broken(actor: object, run: object) -> None:
        raise RuntimeError("the mail server caught fire")

    monkeypatch.setattr("stagebourse.services.preparation.queue_preparation", broken)
    with pytest.raises(RuntimeError):
        matching.publish(steering, run)
    db.session.expire_all()
    assert run.state == RunState.DONE and other.state == RunState.DONE
    assert campaign.state == CampaignState.MATCHED
    assert {a.state for a in run.assignments} == {AssignmentState.PROPOSED}
    assert count(OutboxMessage) == 0
    assert count(JournalEntry) == journal_before
    monkeypatch.undo()
    matching.publish(steering, run)  # and it can be published afterwards
    assert count(OutboxMessage) > 0


def test_published_run_reproduces_exactly_with_its_seed(app: Flask) -> None:
    steering, campaign = demo_campaign()
    run = matching.run_round(steering, campaign, RunOptions())  # seed drawn
    assert run.seed is not None
    matching.publish(steering, run)
    assert matching.reproduce(steering, run) is True
    assert run.reproduced_ok and "Identique" in run.reproduced_message
    # And an outsider's verifier accepts the stored files.
    instance = instance_from_dict(json.loads(run.instance_json))
    assert verify_result(instance, result_from_dict(json.loads(run.result_json))).ok


@pytest.mark.committing  # two threads, two connections
def test_concurrent_publication_has_exactly_one_winner(app: Flask) -> None:
    steering, campaign = demo_campaign()
    run = matching.run_round(steering, campaign, RunOptions(seed=5))
    run_id, steering_id = run.id, steering.id
    db.session.commit()  # the publishing threads have sessions of their own
    db.session.remove()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def publish() -> None:
        with app.app_context():
            try:
                actor = db.session.get(User, steering_id)
                target = db.session.get(MatchingRun, run_id)
                assert target is not None and target.state == RunState.DONE
                barrier.wait()
                matching.publish(actor, target)
                db.session.commit()  # each thread is a request: it commits at its end
                outcomes.append("won")
            except ServiceError:
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=publish) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["refused", "won"]
    assert db.session.scalar(select(func.count()).select_from(JournalEntry).where(
        JournalEntry.action == "matching.published")) == 1
    keys = list(db.session.scalars(select(OutboxMessage.idempotency_key)))
    assert len(keys) == len(set(keys))


def test_manual_change_needs_a_reason_and_obeys_the_engine(app: Flask) -> None:
    steering, campaign = demo_campaign()
    run = matching.run_round(steering, campaign, RunOptions(seed=21))
    assignment = run.assignments[0]
    with pytest.raises(ServiceError, match="raison"):
        matching.manual_assign(steering, run, assignment.pupil_id, assignment.offer_id,
                               assignment.week, "")
    # A week the pupil's school does not have is refused by the engine's rules.
    with pytest.raises(ServiceError, match="n'est pas une semaine de stage de l'élève"):
        matching.manual_assign(steering, run, assignment.pupil_id, assignment.offer_id,
                               "2030-W10", "Essai d'une semaine impossible")
    # A full offer-week is refused (its seats are taken by this run's proposals); another
    # one than the pupil's own, where the pupil's seat would be freed by the move.
    full = next(a for a in run.assignments
                if sum(1 for b in run.assignments if (b.offer_id, b.week) == (a.offer_id, a.week))
                == next(w.seats for w in a.offer.weeks if w.week == a.week)
                and (a.offer_id, a.week) != (assignment.offer_id, assignment.week))
    with pytest.raises(ServiceError, match="enfreint une règle de l'affectation : [a-z]"):
        matching.manual_assign(steering, run, assignment.pupil_id, full.offer_id, full.week,
                               "Rapprocher l'élève de son domicile")
    # Cancelling then moving back where it was is accepted and journaled.
    matching.cancel_assignment(steering, assignment, "La structure a fermé pour travaux")
    assert assignment.state == AssignmentState.CANCELLED
    moved = matching.manual_assign(steering, run, assignment.pupil_id, assignment.offer_id,
                                   assignment.week, "La structure a rouvert finalement")
    assert moved.state == AssignmentState.PROPOSED and moved.manual_reason
    actions = [e.action for e in matching.manual_changes(steering, run)]
    assert actions == ["matching.manual_cancel", "matching.manual_move"]


def test_small_groups_are_never_shown_exactly(app: Flask) -> None:
    from stagebourse.services.matching_report import audit_tables, xlsx_bytes

    app.config["AUDIT_MIN_CELL"] = 40  # the demo's schools have 20 to 60 pupils
    steering, campaign = demo_campaign()
    run = matching.run_round(steering, campaign, RunOptions(seed=2))
    audit = matching.run_audit(run)
    small = {(label, value): by["optimal"]["size"] for label, table in audit["labels"].items()
             for value, by in table.items() if by["optimal"]["size"] < 40}
    assert small
    tables = {t.id: t for t in audit_tables(steering, run)}
    for (label, value), size in small.items():
        rows = [r for r in tables[f"label-{label}"].rows if r[1] == "Bourse (optimal)"]
        assert any(r[2] == "secret" for r in rows)
        assert str(size) not in [r[2] for r in rows if r[0] == value]
    assert xlsx_bytes(list(tables.values()), "audit")[:2] == b"PK"


def test_answers_are_refused_after_the_confirmation_deadline(app: Flask) -> None:
    steering, campaign = demo_campaign()
    run = matching.run_round(steering, campaign, RunOptions(seed=8))
    matching.publish(steering, run)
    assignment = run.assignments[0]
    pupil_user = db.session.scalar(select(User).where(User.pupil_id == assignment.pupil_id))
    late = campaign.confirmation_deadline + dt.timedelta(days=1)
    with pytest.raises(ServiceError, match="date limite"):
        matching.answer_for_pupil(pupil_user, assignment, accept=True, today=late)
    other_pupil = db.session.scalar(select(User).where(
        User.pupil_id == run.assignments[1].pupil_id))
    with pytest.raises(ServiceError, match="pour cet élève"):
        matching.answer_for_pupil(other_pupil, assignment, accept=True, today=DAY)
    assert assignment.state == AssignmentState.PUBLISHED


def test_moving_a_published_assignment_asks_the_new_host_to_answer(app: Flask) -> None:
    steering, campaign = demo_campaign()
    run = matching.run_round(steering, campaign, RunOptions(seed=15))
    matching.publish(steering, run)
    assignment = run.assignments[0]
    member = User(role=Role.COMPANY, email="accueil@structure-demo.fr", display_name="A",
                  company_id=assignment.offer.company_id)
    db.session.add(member)
    db.session.commit()
    matching.answer_for_company(member, assignment, accept=True, today=DAY)
    matching.cancel_assignment(steering, assignment, "Erreur de saisie de la structure")
    moved = matching.manual_assign(steering, run, assignment.pupil_id, assignment.offer_id,
                                   assignment.week, "Erreur corrigée, même stage qu'avant")
    assert moved.state == AssignmentState.PUBLISHED and moved.company_confirmed_at is None
    keys = set(db.session.scalars(select(OutboxMessage.idempotency_key)))
    assert any(k.startswith(f"assignment:company:{moved.id}:{member.id}:moved:") for k in keys)


def test_manual_check_counts_seats_and_ranks_like_the_run(app: Flask) -> None:
    steering, campaign = demo_campaign()
    run = matching.run_round(steering, campaign, RunOptions(seed=16))
    taken: dict[tuple[int, str], int] = {}
    for a in run.assignments:
        taken[(a.offer_id, a.week)] = taken.get((a.offer_id, a.week), 0) + 1
    full = next(a for a in run.assignments
                if taken[(a.offer_id, a.week)]
                == next(w.seats for w in a.offer.weeks if w.week == a.week))
    with pytest.raises(ServiceError, match="n.a plus de place libre"):
        matching.check_manual(run, full.pupil_id, full.offer, full.week)
    # Without counting its own seat, the pupil's current place is accepted at the same rank.
    for a in run.assignments:
        rank, km, cost = matching.check_manual(run, a.pupil_id, a.offer, a.week, exclude=a.id)
        assert (rank, round(km, 3), round(cost, 2)) == (a.rank, round(a.distance_km, 3),
                                                        round(a.cost, 2))
