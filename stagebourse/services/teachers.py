"""Teacher accounts: sign-up for a school, validation by the steering group or a colleague."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import Role, School, User, utcnow
from stagebourse.services import ServiceError, journal
from stagebourse.services.accounts import (
    check_password_length,
    email_taken,
    hash_password,
    tell_owner_of_sign_up_attempt,
)
from stagebourse.services.journal import Event
from stagebourse.services.notifications import public_url, queue_email
from stagebourse.services.policy import Action, can, require


def schools_for_sign_up() -> list[School]:
    return list(db.session.scalars(select(School).order_by(School.town, School.name)))


def sign_up_teacher(email: str, display_name: str, password: str, school_id: int
                    ) -> User | None:
    """A new teacher account, waiting for validation; the teacher is told so by e-mail.

    An address that already has an account creates nothing and mails its owner instead
    (None): the caller answers as for a new account, so sign-up reveals no account.
    """
    email = email.strip().lower()
    school = db.session.get(School, school_id)
    if school is None:
        raise ServiceError(_l("Choisissez votre établissement dans la liste."))
    check_password_length(password)
    if email_taken(email):
        hash_password(password)  # the same argon2 work as a new account: timing tells nothing
        tell_owner_of_sign_up_attempt(email)
        return None
    user = User(role=Role.TEACHER, email=email, display_name=display_name.strip(),
                password_hash=hash_password(password), school_id=school.id)
    db.session.add(user)
    db.session.flush()
    journal.record(user, Event.TEACHER_SIGNED_UP, user, school=school.uai)
    queue_email(email, "teacher_signed_up", key=f"teacher-signed-up:{user.id}",
                reason=_l("vous avez créé un compte de professeur référent."),
                user=user, school=school)
    db.session.flush()
    return user


def pending_teachers(actor: User) -> list[User]:
    """Teachers awaiting validation that this actor may validate."""
    query = select(User).where(User.role == Role.TEACHER, User.validated_at.is_(None),
                               User.is_active.is_(True))
    if actor.role == Role.TEACHER:
        if actor.validated_at is None:
            return []
        query = query.where(User.school_id == actor.school_id)
    elif actor.role != Role.STEERING:
        return []
    return list(db.session.scalars(query.order_by(User.created_at, User.id)))


def can_validate(actor: User, teacher: User) -> bool:
    if teacher.role != Role.TEACHER or teacher.validated_at is not None or teacher.id == actor.id:
        return False
    return can(actor, Action.VALIDATE_TEACHER, teacher)


def validate_teacher(actor: User, teacher_id: int) -> User:
    teacher = db.session.get(User, teacher_id)
    require(actor, Action.VALIDATE_TEACHER, teacher)
    if teacher is None or not can_validate(actor, teacher):
        raise ServiceError(_l("Ce compte n'est pas (ou plus) en attente de votre validation."))
    teacher.validated_at = utcnow()
    journal.record(actor, Event.TEACHER_VALIDATED, teacher, school_id=teacher.school_id)
    queue_email(teacher.email or "", "teacher_validated", key=f"teacher-validated:{teacher.id}",
                reason=_l("vous avez créé un compte de professeur référent."),
                user=teacher, school=teacher.school, sign_in_url=public_url("auth.sign_in"))
    db.session.flush()
    return teacher
