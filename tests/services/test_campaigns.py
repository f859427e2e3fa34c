"""Campaigns: creation, weeks per school, and a state machine enforced by the service."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import CampaignState, JournalEntry, Level, Role, School, SchoolKind
from stagebourse.services import ServiceError, campaigns
from tests.factories import make_user

TODAY = dt.date(2026, 11, 28)


@pytest.fixture
def steering(app):
    return make_user(Role.STEERING, "pilotage@test.fr")


def new_campaign(actor, level=Level.TROISIEME, year=2027):
    return campaigns.create_campaign(actor, year=year, level=level, name=f"Stages {level} {year}",
                                     requests_deadline=TODAY + dt.timedelta(days=20))


def college(index=0) -> School:
    return db.session.scalars(select(School).where(School.kind == SchoolKind.COLLEGE)
                              .order_by(School.uai)).all()[index]


def test_seconde_campaign_gets_the_june_default_weeks_for_every_lycee(steering):
    campaign = new_campaign(steering, Level.SECONDE)
    lycees = campaigns.schools_for(campaign)
    assert len(lycees) == 13
    assert campaigns.weeks_by_school(campaign) == {s.id: ["2027-W24", "2027-W25"] for s in lycees}


def test_only_one_campaign_per_year_and_level(steering):
    new_campaign(steering)
    with pytest.raises(ServiceError, match="existe déjà pour 2027"):
        new_campaign(steering)


def test_full_life_cycle_is_journaled_with_who(steering):
    campaign = new_campaign(steering)
    with pytest.raises(ServiceError, match="semaines de stage"):
        campaigns.transition(steering, campaign, "open", today=TODAY)
    campaigns.set_school_weeks(steering, campaign, {college().id: ["2027-W05"]})
    for action, state in [("open", CampaignState.OPEN), ("close", CampaignState.CLOSED),
                          ("reopen", CampaignState.OPEN), ("close", CampaignState.CLOSED),
                          ("matched", CampaignState.MATCHED),
                          ("publish", CampaignState.PUBLISHED),
                          ("finish", CampaignState.FINISHED)]:
        campaigns.transition(steering, campaign, action, today=TODAY)
        assert campaign.state == state
    actions = [e.action for e in campaigns.campaign_journal(steering, campaign)]
    assert actions[0] == "campaign.finish" and "campaign.created" in actions
    assert all(e.actor_label == "pilotage@test.fr"
               for e in campaigns.campaign_journal(steering, campaign))


@pytest.mark.parametrize("state, action", [
    (CampaignState.DRAFT, "close"), (CampaignState.DRAFT, "publish"),
    (CampaignState.OPEN, "finish"), (CampaignState.FINISHED, "open"),
])
def test_illegal_transitions_are_refused_by_the_service(steering, state, action):
    campaign = new_campaign(steering)
    campaign.state = state
    db.session.commit()
    with pytest.raises(ServiceError, match="Impossible : la campagne est à l'état"):
        campaigns.transition(steering, campaign, action, today=TODAY)


def test_cannot_open_after_the_deadline(steering):
    campaign = new_campaign(steering)
    campaigns.set_school_weeks(steering, campaign, {college().id: ["2027-W05"]})
    with pytest.raises(ServiceError, match="date limite des vœux est passée"):
        campaigns.transition(steering, campaign, "open", today=TODAY + dt.timedelta(days=30))


def test_weeks_must_be_real_iso_weeks_of_the_school_year(steering):
    campaign = new_campaign(steering)
    with pytest.raises(ServiceError, match="hors de l'année scolaire 2026-2027"):
        campaigns.set_school_weeks(steering, campaign, {college().id: ["2028-W05"]})
    with pytest.raises(ServiceError, match="n'a pas de semaine 53"):
        campaigns.set_school_weeks(steering, campaign, {college().id: ["2027-W53"]})
    lycee = db.session.scalar(select(School).where(School.kind == SchoolKind.LYCEE))
    with pytest.raises(ServiceError, match="Établissement inconnu"):
        campaigns.set_school_weeks(steering, campaign, {lycee.id: ["2027-W05"]})


def test_weeks_replace_previous_ones_and_are_frozen_once_closed(steering):
    campaign = new_campaign(steering)
    campaigns.set_school_weeks(steering, campaign, {college().id: ["2027-W05", "2027-W06"]})
    campaigns.set_school_weeks(steering, campaign, {college().id: ["2027-W07"],
                                                    college(1).id: ["2027-W05"]})
    assert campaigns.weeks_by_school(campaign) == {college().id: ["2027-W07"],
                                                   college(1).id: ["2027-W05"]}
    assert campaigns.campaign_weeks(campaign) == ["2027-W05", "2027-W07"]
    campaigns.transition(steering, campaign, "open", today=TODAY)
    campaigns.transition(steering, campaign, "close", today=TODAY)
    with pytest.raises(ServiceError, match="les vœux sont clos"):
        campaigns.set_school_weeks(steering, campaign, {college().id: ["2027-W08"]})
    journal = db.session.scalars(select(JournalEntry.action)
                                 .where(JournalEntry.action == "campaign.weeks_set")).all()
    assert len(journal) == 2
