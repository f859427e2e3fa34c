"""The demo seed: deterministic, complete, one account per role, never in production."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from stagebourse.extensions import db
from stagebourse.identifiers import is_valid_siret
from stagebourse.models import (
    Company,
    Offer,
    OfferWeek,
    Pupil,
    Request,
    Role,
    User,
    Wish,
)
from stagebourse.services import ServiceError
from stagebourse.services.demo import DEMO_ACCOUNTS, seed_demo

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
    }


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
    assert db.session.scalar(select(func.count()).select_from(Request)) == summary.requests


def test_demo_wishes_are_skewed_some_sectors_oversubscribed_some_empty(app):
    seed_demo(today=DAY)
    wished = dict(db.session.execute(
        select(Wish.sector_code, func.count()).where(Wish.sector_code.is_not(None))
        .group_by(Wish.sector_code)).all())
    offered = dict(db.session.execute(
        select(Offer.sector_code, func.count()).group_by(Offer.sector_code)).all())
    assert any(code not in wished for code in offered), "some sectors must get no wish"
    assert max(wished.values()) > 5 * min(wished.values())


def test_demo_is_deterministic(app):
    seed_demo(today=DAY)
    first = snapshot()
    from tests.conftest import _empty_database

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
