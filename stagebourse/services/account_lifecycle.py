"""Closing and reopening accounts, and inviting the wider steering group's observers.

Before this, nothing closed an account but the idle purge after 24 months: a teacher who left
the school, a tutor who left the company or a member of a refused structure kept every access.
The steering group closes any adult's account here, with a reason that the journal keeps, and
every session of the account ends on its next request (``session_version`` is bumped; the user
loader refuses closed accounts whatever their cookie). Pupils' accounts are not listed here:
their teacher gives them a new code or the erasure removes them.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from stagebourse.extensions import db
from stagebourse.models import Company, Role, Tutor, User, utcnow
from stagebourse.services import ServiceError, journal
from stagebourse.services.accounts import (
    RESET_MAX_AGE_SECONDS,
    _password_fingerprint,
    _reset_serializer,
    email_taken,
)
from stagebourse.services.journal import Event
from stagebourse.services.notifications import public_url, queue_email
from stagebourse.services.policy import Action, require, structure_closed

MIN_REASON_LENGTH = 5
# The roles the steering group manages here (every adult's account).
MANAGED_ROLES = (Role.TEACHER, Role.COMPANY, Role.TUTOR, Role.STEERING, Role.OBSERVER)
STATES = ("active", "deactivated")
ANONYMISED_DOMAIN = "@invalid.invalid"  # what the idle purge leaves as an address

CSV_HEADER = ["id", "role", "nom", "email", "etablissement_ou_structure", "etat",
              "desactive_le", "raison", "derniere_connexion"]


@dataclass
class AccountFilter:
    role: str | None = None
    state: str | None = None
    q: str | None = None


def _reason(reason: str | None, message: object) -> str:
    cleaned = (reason or "").strip()
    if len(cleaned) < MIN_REASON_LENGTH:
        raise ServiceError(message)
    return cleaned[:1000]


def list_accounts(actor: User, wanted: AccountFilter) -> list[User]:
    require(actor, Action.STEER_ACCOUNTS)
    query = (select(User).where(User.role.in_(MANAGED_ROLES))
             .options(joinedload(User.school), joinedload(User.company),
                      joinedload(User.tutor).joinedload(Tutor.company))
             .order_by(User.role, func.lower(User.display_name), User.id))
    if wanted.role in {r.value for r in MANAGED_ROLES}:
        query = query.where(User.role == Role(wanted.role))
    if wanted.state == "active":
        query = query.where(User.is_active.is_(True))
    elif wanted.state == "deactivated":
        query = query.where(User.is_active.is_(False))
    if wanted.q:
        like = f"%{wanted.q.strip().lower()}%"
        query = query.outerjoin(Company, Company.id == User.company_id).where(or_(
            func.lower(User.display_name).like(like), func.lower(User.email).like(like),
            func.lower(Company.name).like(like)))
    return list(db.session.scalars(query).unique())


def get_account(actor: User, user_id: int) -> User | None:
    """An adult's account, for the steering group; None for pupils and unknown ids."""
    require(actor, Action.STEER_ACCOUNTS)
    user = db.session.get(User, user_id)
    if user is None or user.role not in MANAGED_ROLES:
        return None
    return user


def attachment(user: User) -> str:
    """The school or structure an account acts for, as the list shows it."""
    if user.school is not None:
        return user.school.name
    if user.company is not None:
        return user.company.name
    if user.tutor is not None:
        return user.tutor.company.name
    return ""


def closed_by_structure(user: User) -> bool:
    """Open as an account, but shut because its structure was refused or suspended."""
    return user.is_active and structure_closed(user)


def csv_rows(users: list[User]) -> list[list[str]]:
    return [[str(u.id), u.role.value, u.display_name, u.email or "", attachment(u),
             "actif" if u.is_active else "desactive",
             u.deactivated_at.date().isoformat() if u.deactivated_at else "",
             u.deactivated_reason or "",
             u.last_login_at.date().isoformat() if u.last_login_at else ""]
            for u in users]


def deactivate_account(actor: User, user: User, reason: str | None) -> None:
    """Close ``user``'s account: no sign-in, and every open session ends on its next request."""
    require(actor, Action.STEER_ACCOUNTS, user)
    if user.role not in MANAGED_ROLES:
        raise ServiceError(_l("Ce compte ne se gère pas ici."))
    if user.id == actor.id:
        raise ServiceError(_l("Vous ne pouvez pas désactiver votre propre compte : demandez-le "
                              "à un autre membre du groupe de pilotage."))
    if not user.is_active:
        raise ServiceError(_l("Ce compte est déjà désactivé."))
    cleaned = _reason(reason, _l("Indiquez la raison de la désactivation (au moins "
                                 "%(n)s caractères) : elle reste au journal.",
                                 n=MIN_REASON_LENGTH))
    if user.role == Role.STEERING and _other_active_steering(user) == 0:
        raise ServiceError(_l("C'est le dernier compte actif du groupe de pilotage : "
                              "créez-en un autre avant de le désactiver."))
    user.is_active = False
    user.deactivated_at = utcnow()
    user.deactivated_reason = cleaned
    user.session_version += 1  # every cookie of this account is void from now on
    journal.record(actor, Event.ACCOUNT_DEACTIVATED, user, role=user.role.value,
                   reason=cleaned)
    db.session.flush()


def reactivate_account(actor: User, user: User, reason: str | None) -> None:
    require(actor, Action.STEER_ACCOUNTS, user)
    if user.role not in MANAGED_ROLES:
        raise ServiceError(_l("Ce compte ne se gère pas ici."))
    if user.is_active:
        raise ServiceError(_l("Ce compte est déjà actif."))
    if (user.email or "").endswith(ANONYMISED_DOMAIN):
        raise ServiceError(_l("Ce compte a été anonymisé après 24 mois sans connexion : il ne "
                              "peut pas être rouvert. Invitez la personne à créer un compte."))
    cleaned = _reason(reason, _l("Indiquez la raison de la réactivation (au moins "
                                 "%(n)s caractères) : elle reste au journal.",
                                 n=MIN_REASON_LENGTH))
    user.is_active = True
    user.deactivated_at = None
    user.deactivated_reason = None
    journal.record(actor, Event.ACCOUNT_REACTIVATED, user, role=user.role.value,
                   reason=cleaned)
    db.session.flush()


def _other_active_steering(user: User) -> int:
    return int(db.session.scalar(select(func.count()).select_from(User).where(
        User.role == Role.STEERING, User.is_active.is_(True), User.id != user.id)) or 0)


def invite_observer(actor: User, email: str, display_name: str) -> User:
    """Create an observer's account and mail them a link to choose their password.

    The link is the password reset's (valid one hour); after that, « Mot de passe oublié »
    sends a new one, as for any account.
    """
    require(actor, Action.STEER_ACCOUNTS)
    email = (email or "").strip().lower()
    display_name = (display_name or "").strip()
    if not display_name:
        raise ServiceError(_l("Indiquez le nom de la personne (et son organisme)."))
    if email_taken(email):
        raise ServiceError(_l("Un compte existe déjà avec cette adresse : choisissez-en une "
                              "autre, ou réactivez le compte existant."))
    user = User(role=Role.OBSERVER, email=email, display_name=display_name[:200],
                password_hash=None, validated_at=utcnow())
    db.session.add(user)
    db.session.flush()
    token = _reset_serializer().dumps({"u": user.id, "f": _password_fingerprint(user)})
    queue_email(
        email, "observer_invitation", key=f"observer-invite:{user.id}",
        reason=_l("le groupe de pilotage vous a ouvert un compte d'observation."),
        user=user, inviter=actor, set_url=public_url("auth.reset_password", token=token),
        forgot_url=public_url("auth.forgot_password"),
        minutes=RESET_MAX_AGE_SECONDS // 60,
    )
    journal.record(actor, Event.ACCOUNT_OBSERVER_INVITED, user, email=email)
    db.session.flush()
    return user
