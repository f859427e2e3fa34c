"""Host structures (companies, associations, public bodies), their tutors and API tokens."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from stagebourse.models.base import Base, UTCDateTime, enum_type, utcnow
from stagebourse.models.reference import Commune

if TYPE_CHECKING:
    from stagebourse.models.users import User


class CompanyKind(enum.StrEnum):
    COMPANY = "company"
    ASSOCIATION = "association"
    PUBLIC_BODY = "public_body"


class CharterStatus(enum.StrEnum):
    NONE = "none"
    DECLARED = "declared"  # the structure says it signed, with evidence
    VERIFIED = "verified"  # found in the signatories' list or checked by the steering group


class CompanyState(enum.StrEnum):
    PENDING = "pending"
    VALIDATED = "validated"
    REJECTED = "rejected"
    SUSPENDED = "suspended"


class Company(Base):
    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(primary_key=True)
    siret: Mapped[str] = mapped_column(sa.String(14), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[CompanyKind] = mapped_column(enum_type(CompanyKind, "company_kind"))
    address: Mapped[str] = mapped_column(sa.String(300))
    postcode: Mapped[str] = mapped_column(sa.String(5))
    commune_code: Mapped[str | None] = mapped_column(sa.ForeignKey("communes.code_insee"))
    contact_name: Mapped[str] = mapped_column(sa.String(200))
    contact_email: Mapped[str] = mapped_column(sa.String(254))
    contact_phone: Mapped[str | None] = mapped_column(sa.String(30))
    charter_status: Mapped[CharterStatus] = mapped_column(
        enum_type(CharterStatus, "charter_status"), default=CharterStatus.NONE
    )
    charter_signed_on: Mapped[dt.date | None]
    charter_evidence_url: Mapped[str | None] = mapped_column(sa.String(500))
    charter_evidence_file: Mapped[str | None] = mapped_column(sa.String(300))
    state: Mapped[CompanyState] = mapped_column(
        enum_type(CompanyState, "company_state"), default=CompanyState.PENDING
    )
    state_reason: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    validated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    commune: Mapped[Commune | None] = relationship()
    members: Mapped[list[User]] = relationship(back_populates="company")
    tutors: Mapped[list[Tutor]] = relationship(back_populates="company")

    __table_args__ = (sa.CheckConstraint("length(siret) = 14", name="siret_length"),)

    def __repr__(self) -> str:
        return f"<Company {self.siret}>"


class Tutor(Base):
    """The person at the host who welcomes the pupil; receives the sensitisation material."""

    __tablename__ = "tutors"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("companies.id"), index=True)
    full_name: Mapped[str] = mapped_column(sa.String(200))
    job_title: Mapped[str] = mapped_column(sa.String(200))
    email: Mapped[str] = mapped_column(sa.String(254))

    company: Mapped[Company] = relationship(back_populates="tutors")

    __table_args__ = (sa.UniqueConstraint("company_id", "email"),)

    def __repr__(self) -> str:
        return f"<Tutor {self.id}>"


class TutorLink(Base):
    """A tutor's personal sign-in link. Only the sha256 of the token is kept; the link ends at
    ``expires_at`` or when the host or the steering group revokes it."""

    __tablename__ = "tutor_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    tutor_id: Mapped[int] = mapped_column(sa.ForeignKey("tutors.id", ondelete="CASCADE"),
                                          index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    tutor: Mapped[Tutor] = relationship()

    __table_args__ = (sa.CheckConstraint("length(token_hash) = 64", name="token_hash"),)

    def __repr__(self) -> str:
        return f"<TutorLink {self.id} tutor={self.tutor_id}>"


class ApiToken(Base):
    """A partner organisation's API token. Only its sha256 is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("companies.id"), index=True)
    label: Mapped[str] = mapped_column(sa.String(200))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Rate limit: a fixed window kept in the database, so every worker process shares it.
    rate_window_start: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    rate_window_count: Mapped[int] = mapped_column(default=0, server_default="0")

    company: Mapped[Company] = relationship()

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} {self.label}>"


class JoinRequest(Base):
    """Someone asks to join a structure. Kept here and shown on the members' page: the mail
    to the members only says that a request waits, so nobody can make the service mail
    their own words to a structure's people."""

    __tablename__ = "company_join_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        sa.ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    email: Mapped[str] = mapped_column(sa.String(254))
    message: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    company: Mapped[Company] = relationship()

    def __repr__(self) -> str:
        return f"<JoinRequest {self.id}>"
