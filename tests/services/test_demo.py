"""The demo seed: deterministic, complete, one account per role, never in production."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from stagebourse.extensions import db
from stagebourse.identifiers import is_valid_siret, week_monday
from stagebourse.models import (
    Agreement,
    Assignment,
    AssignmentState,
    Campaign,
    CampaignState,
    Company,
    Level,
    MatchingRun,
    Offer,
    OfferWeek,
    OutboxMessage,
    OutboxState,
    Pupil,
    QuestionnaireInvitation,
    QuestionnaireInvitee,
    QuestionnaireResponse,
    Request,
    Role,
    RunState,
    User,
    Wish,
)
from stagebourse.observatory.suppression import THRESHOLD
from stagebourse.services import ServiceError, observatory
from stagebourse.services.campaigns import current_campaign
from stagebourse.services.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, seed_demo

DAY = dt.date(2026, 11, 28)


def snapshot() -> dict[str, object]:
    return {
        "companies": db.session.execute(select(Company.siret, Company.name)
                                        .order_by(Company.id)).all(),
        "offers": db.session.execute(select(Offer.title, Offer.lat, Offer.lon, Offer.sector_code)
                                     .order_by(Offer.id)).all(),
        "seats": db.session.execute(select(OfferWeek.week, OfferWeek.seats)
                                    .order_by(OfferWeek.id)).all(),
        "pupils": db.session.execute(select(Pupil.first_name, Pupil.last_name, Pupil.birth_date)
                                     .order_by(Pupil.id)).all(),
        "wishes": db.session.execute(select(Wish.rank, Wish.sector_code, Wish.offer_id)
                                     .order_by(Wish.id)).all(),
        "run": db.session.execute(select(MatchingRun.seed, MatchingRun.instance_sha256,
                                         MatchingRun.objective)).all(),
        "assignments": db.session.execute(
            select(Assignment.pupil_id, Assignment.offer_id, Assignment.week, Assignment.state,
                   Assignment.declined_by).order_by(Assignment.id)).all(),
        # Response rows are stored in a random order on purpose (docs/privacy.md): compare
        # what was answered, not where it was written.
        "responses": sorted((str(r.answered_week), json.dumps(r.answers, sort_keys=True))
                            for r in db.session.scalars(select(QuestionnaireResponse))),
    }


def finished() -> Campaign:
    return db.session.scalars(select(Campaign).where(
        Campaign.state == CampaignState.FINISHED)).one()


def test_demo_has_the_promised_volumes_and_valid_identifiers(app):
    summary = seed_demo(today=DAY)
    assert (summary.companies, summary.offers, summary.pupils) == (40, 120, 600)
    sirets = db.session.scalars(select(Company.siret)).all()
    assert len(set(sirets)) == 40 and all(is_valid_siret(s) for s in sirets)
    seats = db.session.scalars(select(OfferWeek.seats)).all()
    assert set(seats) <= {1, 2, 3}
    per_request = db.session.execute(
        select(func.count(Wish.id)).group_by(Wish.request_id)).scalars().all()
    assert max(per_request) <= 5 and min(per_request) >= 2
    assert db.session.scalar(select(func.count()).select_from(Request).join(Campaign).where(
        Campaign.state == CampaignState.OPEN)) == summary.requests


def test_demo_wishes_are_skewed_some_sectors_oversubscribed_some_empty(app):
    seed_demo(today=DAY)
    wished = dict(db.session.execute(
        select(Wish.sector_code, func.count()).where(Wish.sector_code.is_not(None))
        .group_by(Wish.sector_code)).all())
    offered = dict(db.session.execute(
        select(Offer.sector_code, func.count()).group_by(Offer.sector_code)).all())
    assert any(code not in wished for code in offered), "some sectors must get no wish"
    assert max(wished.values()) > 5 * min(wished.values())


@pytest.mark.committing  # empties the database between its two seeds
def test_demo_is_deterministic(app):
    seed_demo(today=DAY)
    first = snapshot()
    from tests.fixtures.app import _empty_database

    _empty_database()
    from stagebourse.services.reference import load_reference

    load_reference()
    seed_demo(today=DAY)
    assert snapshot() == first


def test_demo_accounts_one_per_role_and_refused_twice(app):
    seed_demo(today=DAY)
    for role, email in DEMO_ACCOUNTS.items():
        user = db.session.scalar(select(User).where(User.email == email))
        assert user is not None and user.role == role
    assert db.session.scalar(select(func.count()).select_from(User)
                             .where(User.role == Role.PUPIL)) == 600
    with pytest.raises(ServiceError, match="déjà chargées"):
        seed_demo(today=DAY)


def test_demo_names_are_obviously_fictitious(app):
    from stagebourse.services.demo import FAKE_LAST_NAMES

    seed_demo(today=DAY)
    names = set(db.session.scalars(select(Pupil.last_name)))
    assert names <= set(FAKE_LAST_NAMES)
    assert all("Démo" in name for name in db.session.scalars(select(Company.name)))


def test_demo_has_last_years_3e_campaign_played_to_its_end(app):
    summary = seed_demo(today=DAY)
    campaign = finished()
    assert summary.history is not None and summary.history.campaign == campaign.name
    assert (campaign.level, campaign.year) == (Level.TROISIEME, 2026)
    assert current_campaign(Level.TROISIEME).year == 2027
    weeks = [w.week for w in campaign.school_weeks]
    assert campaign.requests_deadline < DAY and all(week_monday(w) < DAY for w in weeks)
    # One round, computed by the engine, verified and published.
    run = db.session.scalars(select(MatchingRun).where(
        MatchingRun.campaign_id == campaign.id)).one()
    assert run.state == RunState.PUBLISHED and run.verified_ok
    states = [a.state for a in run.assignments]
    assert len(states) == run.placed_count == summary.history.published
    confirmed = states.count(AssignmentState.CONFIRMED)
    assert confirmed == summary.history.confirmed and confirmed > 0.8 * len(states)
    assert set(states) == {AssignmentState.CONFIRMED, AssignmentState.DECLINED}
    assert {a.declined_by for a in run.assignments if a.declined_by} == {
        "pupil", "company", "deadline"}
    # Each confirmation drafted its agreement, as it does for real.
    assert db.session.scalar(select(func.count()).select_from(Agreement).where(
        Agreement.campaign_id == campaign.id)) == confirmed
    # Anonymous answers: the codes used are gone, nothing else says who answered.
    issued = db.session.scalar(select(func.count()).select_from(QuestionnaireInvitee).where(
        QuestionnaireInvitee.campaign_id == campaign.id, QuestionnaireInvitee.code_issued))
    left = db.session.scalar(select(func.count()).select_from(QuestionnaireInvitation).where(
        QuestionnaireInvitation.campaign_id == campaign.id))
    answered = summary.history.pupil_responses + summary.history.tutor_responses
    assert summary.history.pupil_responses > 0 and summary.history.tutor_responses > 0
    assert issued - left == answered
    # Its questionnaire is closed and its figures released: the observatory has something to
    # show, and hides the small groups.
    release = observatory.campaign_release(campaign)
    assert release is not None
    obs = observatory.get_release(release.id)
    assert obs.summary["responses"] == summary.history.pupil_responses >= THRESHOLD
    assert obs.summary["response_rate"] is not None
    reported = obs.table("any", "gender")
    assert reported is not None and reported.overall_share() is not None
    # (the lycée rows of a 3e campaign are structural zeros, published as 0)
    zeros = {(stored["name"].split("/", 1)[1], i, j) for stored in release.audit_tables
             for i, j in stored["structural_zeros"]}
    shown = [value for table in obs.tables for i, row in enumerate(table.cells[:-1])
             for j, value in enumerate(row[:-1])
             if value is not None and (f"{table.key}/{table.dimension}", i, j) not in zeros]
    hidden = [value for table in obs.tables for row in table.cells for value in row
              if value is None]
    assert shown and hidden and min(shown) >= THRESHOLD
    assert any(t.key.startswith("remarks:") and t.overall_share() for t in obs.tables)
    # Its mail went out last year: nothing of it waits in the outbox.
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.state != OutboxState.SENT)) == 0


def test_demo_steering_account_opens_last_years_observatory(app, client):
    seed_demo(today=DAY)
    campaign = finished()
    signed_in = client.post("/connexion", data={"email": DEMO_ACCOUNTS[Role.STEERING],
                                                "password": DEMO_PASSWORD})
    assert signed_in.status_code == 302
    release = observatory.campaign_release(campaign)
    page = client.get(f"/pilotage/observatoire/publications/{release.id}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert campaign.name in body and "<table" in body and "secret" in body
    assert campaign.name in client.get("/pilotage/observatoire").get_data(as_text=True)
    # And anyone can read them on the public page.
    assert campaign.name in client.application.test_client().get(
        "/observatoire").get_data(as_text=True)
