"""Rounds that finish the job: any number of rounds, each after the last published one; a
round after the confirmation deadline offers the seats that were freed; the round form's
preview counts the pupils with a feasible seat and says why the others have none."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from sqlalchemy import select

from stagebourse import clock
from stagebourse.extensions import db
from stagebourse.models import AssignmentState, DeclinedBy, JournalEntry, OfferWeek
from stagebourse.services import ServiceError, matching
from stagebourse.services.matching import RunOptions
from tests.scenarios import wishes_one_sector

pytestmark = pytest.mark.database


def test_a_round_that_can_place_nobody_says_why_before_it_runs(app: Flask) -> None:
    steering, campaign = wishes_one_sector()
    first = matching.run_round(steering, campaign, RunOptions(seed=1))
    assert (first.placed_count, first.pupil_count) == (1, 5)
    matching.publish(steering, first)

    # The case: with the default settings, round 2 places 0 of 4.
    preview = matching.preview(steering, campaign, RunOptions(round_number=2))
    assert (preview.pupils, preview.feasible, preview.seats) == (4, 0, 4)
    assert preview.reasons == [("wish", 4)]
    assert preview.feasible_outside_wishes == 4
    second = matching.run_round(steering, campaign, RunOptions(seed=2, round_number=2))
    assert (second.placed_count, second.pupil_count) == (0, 4)
    assert second.stats["no_feasible_seat"] == {"wish": 4}
    # The preview is the engine's count: allowing offers outside the wishes places them.
    wider = matching.run_round(steering, campaign, RunOptions(seed=3, round_number=2,
                                                              allow_unranked=True))
    assert wider.placed_count == 4
    assert matching.preview(steering, campaign, RunOptions(
        round_number=2, allow_unranked=True)).feasible == 4


def test_the_preview_names_the_missing_seats_and_writes_nothing(app: Flask) -> None:
    steering, campaign = wishes_one_sector(pupils=2)
    for week in db.session.scalars(select(OfferWeek).where(
            OfferWeek.campaign_id == campaign.id)):
        week.seats = 0
    db.session.flush()
    journal_before = db.session.scalar(select(JournalEntry.id).order_by(
        JournalEntry.id.desc()).limit(1))
    preview = matching.preview(steering, campaign, RunOptions())
    assert (preview.pupils, preview.feasible, preview.seats) == (2, 0, 0)
    assert preview.reasons == [("seats", 2)]
    assert db.session.scalar(select(JournalEntry.id).order_by(
        JournalEntry.id.desc()).limit(1)) == journal_before


def test_any_number_of_rounds_each_after_the_last_published_one(app: Flask) -> None:
    steering, campaign = wishes_one_sector()
    assert matching.next_round(campaign) == 1
    with pytest.raises(ServiceError, match="publiez d'abord"):
        matching.run_round(steering, campaign, RunOptions(seed=1, round_number=2))
    matching.publish(steering, matching.run_round(steering, campaign, RunOptions(seed=1)))
    assert matching.next_round(campaign) == 2
    with pytest.raises(ServiceError, match="déjà publié"):
        matching.run_round(steering, campaign, RunOptions(seed=1, round_number=1))
    second = matching.run_round(steering, campaign, RunOptions(seed=2, round_number=2,
                                                               allow_unranked=True))
    matching.publish(steering, second)
    third = matching.run_round(steering, campaign, RunOptions(seed=3, round_number=3))
    assert third.round_number == 3 and third.pupil_count == 0
    with pytest.raises(ServiceError, match="publiez d'abord"):
        matching.run_round(steering, campaign, RunOptions(seed=4, round_number=5))


def test_a_round_after_the_deadline_offers_the_seats_left_unconfirmed(app: Flask) -> None:
    steering, campaign = wishes_one_sector()
    first = matching.run_round(steering, campaign, RunOptions(seed=1))
    matching.publish(steering, first)
    second = matching.run_round(steering, campaign, RunOptions(seed=2, round_number=2,
                                                               allow_unranked=True))
    matching.publish(steering, second)
    # Nobody answered, and the deadline passes: every seat goes back to the pool, and the
    # pupils who let theirs lapse are not placed again (the campaign's rule).
    campaign.confirmation_deadline = clock.today() - dt.timedelta(days=1)
    db.session.flush()
    preview = matching.preview(steering, campaign, RunOptions(round_number=3))
    assert preview.released == 5 and preview.seats == 5 and preview.pupils == 0
    third = matching.run_round(steering, campaign, RunOptions(seed=3, round_number=3))
    assert third.stats["seats"] == 5
    assert {a.state for a in first.assignments + second.assignments} == {
        AssignmentState.DECLINED}


def test_a_pupil_turned_away_by_a_host_enters_the_next_round_one_who_declined_does_not(
        app: Flask) -> None:
    steering, campaign = wishes_one_sector(pupils=3)
    campaign_offers = db.session.scalars(select(OfferWeek).where(
        OfferWeek.campaign_id == campaign.id)).all()
    for week in campaign_offers:
        week.seats = 3
    db.session.flush()
    first = matching.run_round(steering, campaign, RunOptions(seed=1))
    matching.publish(steering, first)
    refused, declined, confirmed = sorted(first.assignments, key=lambda a: a.id)
    refused.state, refused.declined_by = AssignmentState.DECLINED, DeclinedBy.COMPANY
    declined.state, declined.declined_by = AssignmentState.DECLINED, DeclinedBy.PUPIL
    confirmed.state = AssignmentState.CONFIRMED
    db.session.flush()
    assert matching.preview(steering, campaign, RunOptions(round_number=2)).pupils == 1
    second = matching.run_round(steering, campaign, RunOptions(seed=2, round_number=2))
    assert set(second.pseudonyms.values()) == {refused.pupil_id}
