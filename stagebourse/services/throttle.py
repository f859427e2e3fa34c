"""Slowing down guessing, and capping what anonymous visitors can make the service send.

One table (``login_failures``: a key and an instant per row) serves two tools:

* **growing delays** for guesses (passwords, pupil codes, agreement signing codes, API
  tokens): the first ``free`` failures under a key cost nothing (typos), then after ``n``
  failures the key waits ``base * 2**(n-free-1)`` seconds after its last failure (8 s, 16 s,
  32 s… up to a cap of 15 min by default). Keys are always *per client address*
  or *per account and client address*, never per account alone nor global: a stranger
  guessing from elsewhere never blocks the right credential typed by its owner, and a class
  behind one school address only waits a few seconds after a typo or two.
* **daily quotas** for mail an anonymous visitor can trigger (password reset, join requests):
  at most ``limit`` events under a key in the last ``period`` seconds.

Rows are written apart from the request's transaction (``side_write``): a refused request is
rolled back, and the refusal must still count.
"""

from __future__ import annotations

import datetime as dt
import math

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from stagebourse.extensions import db
from stagebourse.models import LoginFailure, utcnow
from stagebourse.services import ServiceError
from stagebourse.transactions import side_write

DAY_SECONDS = 24 * 3600


class Throttled(ServiceError):
    """Too many recent failures under one of the keys; ``wait_seconds`` until the next try."""

    def __init__(self, wait_seconds: int) -> None:
        self.wait_seconds = wait_seconds
        if wait_seconds < 60:
            message = _l("Trop de tentatives échouées. Par sécurité, réessayez dans "
                         "%(seconds)s seconde(s).", seconds=wait_seconds)
        else:
            message = _l("Trop de tentatives échouées. Par sécurité, réessayez dans "
                         "%(minutes)s minute(s).", minutes=math.ceil(wait_seconds / 60))
        super().__init__(message)


def _setting(name: str) -> int:
    return int(current_app.config[name])


def delay_after(failures: int) -> int:
    """Seconds a key waits after its last failure, having ``failures`` recent ones."""
    beyond = failures - _setting("THROTTLE_FREE_FAILURES")
    if beyond <= 0:
        return 0  # a typo or two cost nothing
    base, cap = _setting("THROTTLE_BASE_SECONDS"), _setting("THROTTLE_MAX_SECONDS")
    # The exponent is bounded so that a key with thousands of failures costs no big integer.
    return int(min(cap, base * 2 ** min(beyond - 1, 40)))


def _memory_start(now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(seconds=_setting("THROTTLE_MEMORY_SECONDS"))


def wait_seconds(key: str) -> int:
    """How long ``key`` must still wait before its next try (0: it may try now)."""
    now = utcnow()
    count, last = db.session.execute(
        select(func.count(), func.max(LoginFailure.at)).where(
            LoginFailure.key == key, LoginFailure.at >= _memory_start(now))
    ).one()
    if not count or last is None:
        return 0
    remaining = (last + dt.timedelta(seconds=delay_after(count)) - now).total_seconds()
    return max(0, math.ceil(remaining))


def check(keys: list[str], count_early_tries: bool = True) -> None:
    """Raise :class:`Throttled` if any key must still wait. By default a try made too early
    counts as a failure too, so that hammering a slowed key only makes it wait longer; the
    wait announced is the one this try leaves, so whoever waits that long is let through.
    Pupil codes do not count early tries: a class shares its school's address, and pupils
    trying while a classmate's typo is paid for must not make everyone wait longer."""
    if max((wait_seconds(key) for key in keys), default=0) > 0:
        if count_early_tries:
            fail(keys)
        raise Throttled(max(wait_seconds(key) for key in keys))


def fail(keys: list[str]) -> None:
    """Count one failure under each key."""
    now = utcnow()
    with side_write() as session:
        for key in keys:
            session.add(LoginFailure(key=key, at=now))
        # Forget what no delay or quota reads any more.
        horizon = max(_setting("THROTTLE_MEMORY_SECONDS"), DAY_SECONDS)
        session.execute(delete(LoginFailure).where(
            LoginFailure.at < now - dt.timedelta(seconds=horizon)))


def forgive(keys: list[str]) -> None:
    """A success under these keys: their past failures no longer slow anyone."""
    db.session.execute(delete(LoginFailure).where(LoginFailure.key.in_(keys)))


def used(key: str, period_seconds: int = DAY_SECONDS) -> int:
    """Events counted under a quota key in the last ``period_seconds``."""
    since = utcnow() - dt.timedelta(seconds=period_seconds)
    return db.session.scalar(select(func.count()).where(
        LoginFailure.key == key, LoginFailure.at >= since)) or 0


def take(key: str, limit: int, period_seconds: int = DAY_SECONDS) -> bool:
    """Count one event under a quota key if fewer than ``limit`` happened in the period;
    False (nothing counted) once the quota is used up."""
    if used(key, period_seconds) >= limit:
        return False
    fail([key])
    return True


# Keys: always the client's address, alone or with what is guessed at -----------------------

def address_key(kind: str, address: str) -> str:
    return f"{kind}:addr:{address}"[:300]


def target_key(kind: str, target: str, address: str) -> str:
    return f"{kind}:{target}:addr:{address}"[:300]
