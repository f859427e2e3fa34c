"""Sign-in, sign-out, access codes and password reset."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from sqlalchemy.sql.base import ExecutableOption

from stagebourse import clock
from stagebourse.config import demo_data_allowed
from stagebourse.extensions import db
from stagebourse.models import Pupil, Role, Tutor, User, utcnow
from stagebourse.services import ServiceError, journal, throttle
from stagebourse.services.demo_marks import is_demo_code, is_demo_email
from stagebourse.services.journal import Event
from stagebourse.services.notifications import public_url, queue_email
from stagebourse.services.policy import account_open, structure_closed

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


Throttled = throttle.Throttled  # where callers of sign-in have always found it


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


def tell_owner_of_sign_up_attempt(email: str) -> None:
    """A sign-up gave an address that already has an account: its owner hears of it (at most
    once a day), and the sign-up page answers exactly as for a new address, so that nobody
    learns from it which addresses have accounts."""
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None or not user.email:
        return
    queue_email(
        user.email, "account_exists",
        key=f"account-exists:{user.id}:{clock.today().isoformat()}",
        reason=_l("quelqu'un a demandé une inscription avec cette adresse."),
        sign_in_url=public_url("auth.sign_in"),
        reset_url=public_url("auth.forgot_password"),
    )
    db.session.flush()


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


# Sign-in ----------------------------------------------------------------------------------

_dummy_hash: str | None = None


def _spend_a_verification(password: str) -> None:
    """Verify against a hash of no account, so that an unknown address costs the same argon2
    work as a known one: the answer's timing tells nobody which addresses have accounts."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash(secrets.token_urlsafe(24))
    try:
        _hasher.verify(_dummy_hash, password)
    except (VerificationError, InvalidHashError):
        pass


def _production() -> bool:
    return not demo_data_allowed(current_app.config)


def _succeed(user: User, keys: list[str]) -> User:
    throttle.forgive(keys)
    user.last_login_at = utcnow()
    journal.record(user, Event.AUTH_SIGN_IN)
    db.session.flush()
    return user


def sign_in_with_password(email: str, password: str, client_ip: str) -> User:
    """Slowed per client address and per account-and-address, never per account alone: a
    stranger guessing from elsewhere does not lock the owner out."""
    email = email.strip().lower()
    keys = [throttle.address_key("password", client_ip),
            throttle.target_key("password", email, client_ip)]
    throttle.check(keys)
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None or not user.password_hash:
        _spend_a_verification(password)
        matches = False
    else:
        matches = password_matches(user, password)
    # Demo accounts have a published password: refused in production even if one was left.
    if not matches or user is None or (_production() and is_demo_email(email)):
        throttle.fail(keys)
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
    return _succeed(user, keys[1:])


def sign_in_with_code(code: str, client_ip: str) -> User:
    """Slowed per client address (a code names no account before it is found). A right code
    forgives its address: a class signing in behind one school address is not slowed by the
    typos of the pupils before, and a valid code helps no guessing of others (59 bits)."""
    keys = [throttle.address_key("pupil-code", client_ip)]
    throttle.check(keys, count_early_tries=False)
    digest = hash_code(code)
    user = db.session.scalar(
        select(User).where(User.access_code_hash == digest, User.role == Role.PUPIL)
    )
    if (user is None or not user.is_active
            or (_production() and is_demo_code(normalise_code(code)))):
        throttle.fail(keys)
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


# What each role's pages read of the signed-in account, joined in the one query that loads it:
# the user, a pupil's record, school and home commune (where distances are measured from), a
# teacher's school, a host's structure or a tutor's, whose state decides whether the account
# still opens. A pupil's account names the pupil's school: read once, it serves both.
_PUPIL_LOADS = (joinedload(User.pupil).joinedload(Pupil.school),
                joinedload(User.pupil).joinedload(Pupil.home_commune))
_SIGNED_IN_LOADS: dict[Role, tuple[ExecutableOption, ...]] = {
    Role.PUPIL: _PUPIL_LOADS,
    Role.TEACHER: (joinedload(User.school),),
    Role.COMPANY: (joinedload(User.company),),
    Role.TUTOR: (joinedload(User.tutor).joinedload(Tutor.company),),
    Role.STEERING: (),
    Role.OBSERVER: (),
}
# A session cookie written before the role rode along: everything any role reads.
_ANY_ROLE_LOADS = (*_PUPIL_LOADS, joinedload(User.school), joinedload(User.company),
                   joinedload(User.tutor).joinedload(Tutor.company))


def load_user(session_id: str) -> User | None:
    """Flask-Login loader: ``"<id>:<session_version>:<role>"``; an old version is signed
    out, and so is a role that is no longer the account's."""
    parts = session_id.split(":")
    try:
        user_id, version = int(parts[0]), int(parts[1])
        role = Role(parts[2]) if len(parts) == 3 else None
    except (ValueError, IndexError):
        return None
    if len(parts) > 3:
        return None
    loads = _ANY_ROLE_LOADS if role is None else _SIGNED_IN_LOADS[role]
    user = db.session.scalar(select(User).where(User.id == user_id).options(*loads))
    # A closed account, or one of a refused or suspended structure, is signed out on its
    # very next request, whatever cookie it still holds.
    if (user is None or (role is not None and user.role != role) or not account_open(user)
            or user.session_version != version):
        return None
    return user


# Password reset ---------------------------------------------------------------------------

def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def _password_fingerprint(user: User) -> str:
    # The token dies as soon as the password changes (it embeds a digest of the old hash).
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:16]


class TooManyResetRequests(ServiceError):
    pass


def request_password_reset(email: str, client_ip: str = "unknown") -> None:
    """Queue a reset link if the account exists; say nothing either way (no account probing).

    Capped per client address and day (said, as it depends on the asker alone) and per account
    and day (silent: saying it would tell that the account exists), so that nobody can fill
    someone's mailbox with reset mail.
    """
    config = current_app.config
    if not throttle.take(throttle.address_key("reset", client_ip),
                         int(config["RESET_REQUESTS_PER_ADDRESS_PER_DAY"])):
        raise TooManyResetRequests(_l("Trop de demandes de réinitialisation depuis votre "
                                      "connexion aujourd'hui. Réessayez demain, ou écrivez au "
                                      "groupe de pilotage."))
    email = email.strip().lower()
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None or user.role == Role.PUPIL or not user.is_active:
        return
    if user.role == Role.TUTOR and user.password_hash is None:
        # A tutor made by a sign-in link has no password and must never get one: revoking
        # the link would not cut a password (services/tutors.py).
        return
    if not throttle.take(f"reset:account:{user.id}",
                         int(config["RESET_MAILS_PER_ACCOUNT_PER_DAY"])):
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
