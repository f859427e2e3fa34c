"""People who sign in, and the failures that throttle sign-in."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from stagebourse.models.base import Base, UTCDateTime, enum_type, utcnow

if TYPE_CHECKING:
    from stagebourse.models.companies import Company, Tutor
    from stagebourse.models.pupils import Pupil
    from stagebourse.models.reference import School


class Role(enum.StrEnum):
    PUPIL = "pupil"
    TEACHER = "teacher"
    COMPANY = "company"
    TUTOR = "tutor"
    STEERING = "steering"
    # The wider steering group (parents' representatives, CCI, companies, the Éducation
    # nationale): reads aggregate figures, never a person's data, changes nothing.
    OBSERVER = "observer"


class User(Base):
    """An account. Pupils have no e-mail: they sign in with the access code their teacher gives."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    role: Mapped[Role] = mapped_column(enum_type(Role, "role"))
    email: Mapped[str | None] = mapped_column(sa.String(254), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(200))
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    # sha256 of the normalised access code: codes are long random tokens, looked up directly.
    access_code_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    access_code_issued_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    school_id: Mapped[int | None] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    company_id: Mapped[int | None] = mapped_column(sa.ForeignKey("companies.id"), index=True)
    pupil_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("pupils.id", ondelete="CASCADE"), unique=True
    )
    tutor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tutors.id"), unique=True)
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # Set when the steering group (or the idle purge) closes the account; cleared when it is
    # reopened. The reason is kept for the person who asks why, and for the journal.
    deactivated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    deactivated_reason: Mapped[str | None] = mapped_column(sa.Text)
    # Teachers act for a school only once validated (steering group or a colleague).
    validated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Bumped on sign-out and password change: every cookie carrying the old value is void.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    locale: Mapped[str | None] = mapped_column(sa.String(5))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    school: Mapped[School | None] = relationship()
    company: Mapped[Company | None] = relationship(
        back_populates="members", foreign_keys=[company_id]
    )
    pupil: Mapped[Pupil | None] = relationship(back_populates="user", foreign_keys=[pupil_id])
    tutor: Mapped[Tutor | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint(
            "(role = 'pupil') = (pupil_id IS NOT NULL)", name="pupil_link"
        ),
        sa.CheckConstraint(
            "role NOT IN ('teacher') OR school_id IS NOT NULL", name="teacher_school"
        ),
        sa.CheckConstraint(
            "role NOT IN ('company') OR company_id IS NOT NULL", name="company_link"
        ),
        sa.CheckConstraint("role NOT IN ('tutor') OR tutor_id IS NOT NULL", name="tutor_link"),
        sa.CheckConstraint(
            "role = 'pupil' OR email IS NOT NULL", name="email_unless_pupil"
        ),
    )

    # Flask-Login protocol -------------------------------------------------------------
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        # The role rides along (signed, in the session cookie) so that the loader joins only
        # what that role's pages read; the loader checks it against the row.
        return f"{self.id}:{self.session_version}:{self.role.value}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value}>"


class LoginFailure(Base):
    """One failed sign-in, keyed per account and per client address, for throttling."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(300), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
