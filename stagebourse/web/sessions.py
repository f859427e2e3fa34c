"""How long a signed-in session lasts: an idle limit and an absolute one.

School computers are shared: a teacher who walks away from a signed-in browser must not leave
a class's data open to the next person for weeks. Both limits are checked on every request
against two instants kept in the signed session cookie (the visitor cannot change them):
``SESSION_IDLE_MINUTES`` since the last request, ``SESSION_LIFETIME_HOURS`` since sign-in.
A copy of an old cookie carries its old instants, so it is expired too, with no server state.

Closing an account ends its sessions by another way (``session_version``, checked by the user
loader in ``services/accounts.py``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask, current_app, flash, request, session
from flask_babel import lazy_gettext as _l
from flask_login import logout_user, user_logged_in

from stagebourse import clock

SIGNED_IN_AT = "signed_in_at"
SEEN_AT = "seen_at"
EXPIRED = _l("Votre session a expiré (inactivité ou durée maximale atteinte). "
             "Reconnectez-vous pour continuer.")


def install(app: Flask) -> None:
    app.config["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(
        hours=app.config["SESSION_LIFETIME_HOURS"])
    user_logged_in.connect(_stamp_sign_in, app)
    app.before_request(_expire_session)


def _stamp_sign_in(sender: Flask, user: Any, **extra: Any) -> None:
    now = clock.now().timestamp()
    session[SIGNED_IN_AT] = now
    session[SEEN_AT] = now


def session_expired(signed_in_at: float | None, seen_at: float | None, now: float,
                    idle_minutes: int, lifetime_hours: int) -> bool:
    """A session stamped at sign-in and at its last request, seen at ``now`` (seconds)."""
    if signed_in_at is None or seen_at is None:
        return True  # a cookie from before the limits existed: sign in again, once
    return (now - seen_at > idle_minutes * 60
            or now - signed_in_at > lifetime_hours * 3600)


# Pages that never read the session: the anonymous answer pages must not even refresh the
# cookie (a fresh instant in it would date an answer), and static files need no account.
UNTOUCHED_BLUEPRINTS = frozenset({"questionnaire"})


def _expire_session() -> None:
    if ("_user_id" not in session or request.endpoint == "static"
            or request.blueprint in UNTOUCHED_BLUEPRINTS):
        return
    now = clock.now().timestamp()
    if session_expired(session.get(SIGNED_IN_AT), session.get(SEEN_AT), now,
                       current_app.config["SESSION_IDLE_MINUTES"],
                       current_app.config["SESSION_LIFETIME_HOURS"]):
        logout_user()
        session.pop(SIGNED_IN_AT, None)
        session.pop(SEEN_AT, None)
        flash(str(EXPIRED), "info")
        return
    session[SEEN_AT] = now
