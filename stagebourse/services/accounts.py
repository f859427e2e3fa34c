"""Sign-in, sign-out, access codes and password reset."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, func, select
from sqlalchemy.orm import joinedload

from stagebourse.extensions import db
from stagebourse.models import LoginFailure, Pupil, Role, Tutor, User, utcnow
from stagebourse.services import ServiceError, journal
from stagebourse.services.journal import Event
from stagebourse.services.notifications import public_url, queue_email
from stagebourse.services.policy import account_open, structure_closed
from stagebourse.transactions import side_write

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Access codes avoid letters children confuse (0/O, 1/I/L) and are grouped for dictation.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_GROUPS = 3
CODE_GROUP_LENGTH = 4
RESET_MAX_AGE_SECONDS = 3600
MIN_PASSWORD_LENGTH = 10


class SignInRefused(ServiceError):
    pass


CLOSED_STRUCTURE = _l(
    "Votre structure n'est pas (ou plus) admise sur la bourse de stages : ce compte ne donne "
    "plus accès au service. Contactez le groupe de pilotage pour en savoir plus.")


class Throttled(ServiceError):
    def __init__(self, wait_seconds: int) -> None:
        self.wait_seconds = wait_seconds
        minutes = max(1, math.ceil(wait_seconds / 60))
        super().__init__(
            _l(
                "Trop de tentatives échouées. Par sécurité, réessayez dans %(minutes)s minute(s).",
                minutes=minutes,
            )
        )


# Passwords --------------------------------------------------------------------------------

def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_length(password: str | None) -> None:
    """The one password rule of every sign-up and reset form."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ServiceError(
            _l("Le mot de passe doit contenir au moins %(n)s caractères.", n=MIN_PASSWORD_LENGTH)
        )


def email_taken(email: str) -> bool:
    """An account (of any role) already uses this address; ``email`` already lower-cased."""
    return db.session.scalar(select(User.id).where(User.email == email)) is not None


def password_matches(user: User, password: str) -> bool:
    if not user.password_hash:
        return False
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return True


# Access codes -----------------------------------------------------------------------------

def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def hash_code(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def new_access_code() -> str:
    """About 59 bits of randomness, e.g. ``K7QM-3XPA-HT9C``."""
    groups = (
        "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUP_LENGTH))
        for _ in range(CODE_GROUPS)
    )
    return "-".join(groups)


def set_access_code(user: User, code: str | None = None) -> str:
    """Give a pupil a new code; the previous one stops working. Returns the clear code."""
    code = code or new_access_code()
    user.access_code_hash = hash_code(code)
    user.access_code_issued_at = utcnow()
    user.session_version = (user.session_version or 0) + 1
    return code


# Throttling -------------------------------------------------------------------------------

def _window_start() -> dt.datetime:
    return utcnow() - dt.timedelta(seconds=current_app.config["LOGIN_FAILURE_WINDOW_SECONDS"])


def _check_throttle(keys: list[str]) -> None:
    limit = current_app.config["LOGIN_MAX_FAILURES"]
    window = current_app.config["LOGIN_FAILURE_WINDOW_SECONDS"]
    for key in keys:
        rows = db.session.execute(
            select(func.count(), func.min(LoginFailure.at)).where(
                LoginFailure.key == key, LoginFailure.at >= _window_start()
            )
        ).one()
        count, oldest = rows
        if count >= limit:
            wait = (oldest + dt.timedelta(seconds=window) - utcnow()).total_seconds()
            raise Throttled(max(1, int(wait)))


def _record_failure(keys: list[str]) -> None:
    # Apart from the request's transaction: the request ends refused (rolled back), and the
    # attempt must still count for the throttle.
    with side_write() as session:
        for key in keys:
            session.add(LoginFailure(key=key))
        session.execute(delete(LoginFailure).where(LoginFailure.at < _window_start()))


def _succeed(user: User, keys: list[str]) -> User:
    db.session.execute(delete(LoginFailure).where(LoginFailure.key.in_(keys)))
    user.last_login_at = utcnow()
    journal.record(user, Event.AUTH_SIGN_IN)
    db.session.flush()
    return user


def sign_in_with_password(email: str, password: str, client_ip: str) -> User:
    email = email.strip().lower()
    keys = [f"account:{email}", f"ip:{client_ip}"]
    _check_throttle(keys)
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None or not password_matches(user, password):
        _record_failure(keys)
        raise SignInRefused(
            _l("Adresse e-mail ou mot de passe incorrect. Vérifiez-les, ou réinitialisez "
               "votre mot de passe.")
        )
    if not user.is_active:
        raise SignInRefused(
            _l("Ce compte est désactivé. Contactez le groupe de pilotage pour le réactiver.")
        )
    if structure_closed(user):
        raise SignInRefused(CLOSED_STRUCTURE)
    return _succeed(user, keys)


def sign_in_with_code(code: str, client_ip: str) -> User:
    digest = hash_code(code)
    keys = [f"code:{digest[:16]}", f"ip:{client_ip}"]
    _check_throttle(keys)
    user = db.session.scalar(
        select(User).where(User.access_code_hash == digest, User.role == Role.PUPIL)
    )
    if user is None or not user.is_active:
        _record_failure(keys)
        raise SignInRefused(
            _l("Ce code ne fonctionne pas. Vérifie-le sur ton papier (les tirets sont "
               "facultatifs) ou demande un nouveau code à ton professeur.")
        )
    return _succeed(user, keys)


def sign_out(user: User) -> None:
    """Void every session cookie of this user, on every device."""
    user.session_version += 1
    journal.record(user, Event.AUTH_SIGN_OUT)
    db.session.flush()


def load_user(session_id: str) -> User | None:
    """Flask-Login loader: ``"<id>:<session_version>"``; an old version is signed out."""
    try:
        user_id, version = (int(part) for part in session_id.split(":"))
    except ValueError:
        return None
    # Every page reads who is signed in: the user, their pupil and school (and the structure
    # whose state decides whether the account still opens) in one query.
    user = db.session.scalar(select(User).where(User.id == user_id).options(
        joinedload(User.pupil).joinedload(Pupil.school), joinedload(User.school),
        joinedload(User.company), joinedload(User.tutor).joinedload(Tutor.company)))
    # A closed account, or one of a refused or suspended structure, is signed out on its
    # very next request, whatever cookie it still holds.
    if user is None or not account_open(user) or user.session_version != version:
        return None
    return user


# Password reset ---------------------------------------------------------------------------

def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def _password_fingerprint(user: User) -> str:
    # The token dies as soon as the password changes (it embeds a digest of the old hash).
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:16]


def request_password_reset(email: str) -> None:
    """Queue a reset link if the account exists; say nothing either way (no account probing)."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or user.role == Role.PUPIL or not user.is_active:
        return
    if user.role == Role.TUTOR and user.password_hash is None:
        # A tutor made by a sign-in link has no password and must never get one: revoking
        # the link would not cut a password (services/tutors.py).
        return
    token = _reset_serializer().dumps({"u": user.id, "f": _password_fingerprint(user)})
    queue_email(
        user.email or "",
        "password_reset",
        key=f"password-reset:{user.id}:{token[-16:]}",
        reason=_l("vous avez demandé à réinitialiser le mot de passe de votre compte."),
        user=user,
        reset_url=public_url("auth.reset_password", token=token),
        minutes=RESET_MAX_AGE_SECONDS // 60,
    )
    journal.record(user, Event.AUTH_PASSWORD_RESET_REQUESTED)
    db.session.flush()


def reset_password(token: str, new_password: str) -> User:
    bad_link = ServiceError(
        _l("Ce lien de réinitialisation n'est plus valable (déjà utilisé ou trop ancien). "
           "Demandez-en un nouveau.")
    )
    try:
        data = _reset_serializer().loads(token, max_age=RESET_MAX_AGE_SECONDS)
    except SignatureExpired:
        raise bad_link from None
    except BadSignature:
        raise bad_link from None
    user = db.session.get(User, data.get("u"))
    if user is None or data.get("f") != _password_fingerprint(user):
        raise bad_link
    check_password_length(new_password)
    user.password_hash = hash_password(new_password)
    user.session_version += 1
    journal.record(user, Event.AUTH_PASSWORD_RESET)
    db.session.flush()
    return user
