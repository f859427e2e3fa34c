"""Internship agreements (conventions de stage): one per confirmed assignment, its versioned
content, its four signatures and the one-time codes that protect them."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from stagebourse.models.base import Base, UTCDateTime, enum_type, utcnow
from stagebourse.models.campaigns import Campaign
from stagebourse.models.matching import Assignment
from stagebourse.models.reference import School


class AgreementState(enum.StrEnum):
    DRAFT = "draft"  # drafted from the data held; school and host review their parts
    TO_SIGN = "to_sign"  # sent to the four parties
    SIGNED = "signed"  # the four parties signed the current version
    VOIDED = "voided"  # the assignment was cancelled or declined: superseded, kept for the record


class Party(enum.StrEnum):
    SCHOOL = "school"
    HOST = "host"
    PUPIL = "pupil"
    GUARDIAN = "guardian"


PARTIES = (Party.SCHOOL, Party.HOST, Party.PUPIL, Party.GUARDIAN)


class SignatureMethod(enum.StrEnum):
    LINK_CODE = "link_code"  # personal link + one-time code received by e-mail
    PAPER = "paper"  # handwritten, scan uploaded by the teacher


class AgreementSettings(Base):
    """What a school sets once per campaign and every agreement of its pupils reuses."""

    __tablename__ = "agreement_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"))
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    head_name: Mapped[str] = mapped_column(sa.String(200))
    head_title: Mapped[str] = mapped_column(sa.String(120))
    # Where the school's signature link and code go (the head, or the person with delegation).
    signatory_email: Mapped[str] = mapped_column(sa.String(254))
    delegation: Mapped[str | None] = mapped_column(sa.String(300))
    school_address: Mapped[str | None] = mapped_column(sa.String(300))
    insurer: Mapped[str] = mapped_column(sa.String(200))
    insurance_policy: Mapped[str | None] = mapped_column(sa.String(100))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    campaign: Mapped[Campaign] = relationship()
    school: Mapped[School] = relationship()

    __table_args__ = (sa.UniqueConstraint("campaign_id", "school_id"),)

    def __repr__(self) -> str:
        return f"<AgreementSettings campaign={self.campaign_id} school={self.school_id}>"


class Agreement(Base):
    """The agreement of one assignment. ``content`` is the snapshot of everything the document
    shows (version ``version``); earlier versions are kept in ``versions``."""

    __tablename__ = "agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("assignments.id", ondelete="CASCADE"), index=True
    )
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("companies.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    first_day: Mapped[dt.date]
    state: Mapped[AgreementState] = mapped_column(
        enum_type(AgreementState, "agreement_state"), default=AgreementState.DRAFT
    )
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    content: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    content_sha256: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    signed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    voided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    voided_reason: Mapped[str | None] = mapped_column(sa.Text)

    assignment: Mapped[Assignment] = relationship()
    campaign: Mapped[Campaign] = relationship()
    school: Mapped[School] = relationship()
    versions: Mapped[list[AgreementVersion]] = relationship(
        back_populates="agreement", cascade="all, delete-orphan",
        order_by="AgreementVersion.number",
    )
    signatures: Mapped[list[AgreementSignature]] = relationship(
        back_populates="agreement", cascade="all, delete-orphan",
        order_by="AgreementSignature.id",
    )

    __table_args__ = (
        sa.CheckConstraint("version >= 1", name="version"),
        sa.CheckConstraint("length(content_sha256) = 64", name="content_sha256"),
        sa.CheckConstraint("state != 'signed' OR signed_at IS NOT NULL", name="signed_at"),
        # One live agreement per assignment; voided ones stay beside it for the record (a
        # manual move voids the agreement of the old placement and drafts a new one).
        sa.Index("uq_agreements_live_assignment", "assignment_id", unique=True,
                 sqlite_where=sa.text("state != 'voided'"),
                 postgresql_where=sa.text("state != 'voided'")),
    )

    def __repr__(self) -> str:
        return f"<Agreement {self.id} v{self.version} {self.state.value}>"


class AgreementVersion(Base):
    """A content snapshot as it stood at one version: what earlier signatures were made on."""

    __tablename__ = "agreement_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(sa.ForeignKey("agreements.id", ondelete="CASCADE"))
    number: Mapped[int]
    content: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    content_sha256: Mapped[str] = mapped_column(sa.String(64))
    reason: Mapped[str] = mapped_column(sa.String(300))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    agreement: Mapped[Agreement] = relationship(back_populates="versions")

    __table_args__ = (sa.UniqueConstraint("agreement_id", "number"),)


class AgreementSignature(Base):
    """One party's signature of one version. A change after signing voids it (``voided_at``)."""

    __tablename__ = "agreement_signatures"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("agreements.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int]
    party: Mapped[Party] = mapped_column(enum_type(Party, "agreement_party"))
    signer_name: Mapped[str] = mapped_column(sa.String(200))
    signer_email: Mapped[str | None] = mapped_column(sa.String(254))
    method: Mapped[SignatureMethod] = mapped_column(enum_type(SignatureMethod, "signature_method"))
    # sha256 of the canonical rendering of the exact content version signed.
    document_sha256: Mapped[str] = mapped_column(sa.String(64))
    signed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    scan_file: Mapped[str | None] = mapped_column(sa.String(300))
    scan_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    voided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    agreement: Mapped[Agreement] = relationship(back_populates="signatures")

    __table_args__ = (
        sa.UniqueConstraint("agreement_id", "version", "party"),
        sa.CheckConstraint("length(document_sha256) = 64", name="document_sha256"),
        sa.CheckConstraint("method != 'paper' OR scan_file IS NOT NULL", name="paper_scan"),
    )

    def __repr__(self) -> str:
        return f"<AgreementSignature {self.agreement_id} v{self.version} {self.party.value}>"


class PaperScanState(enum.StrEnum):
    PENDING = "pending"  # waits for the steering group
    VALIDATED = "validated"  # became the host's signature
    REFUSED = "refused"


class AgreementPaperScan(Base):
    """A host's signature given on paper, uploaded by the structure: it counts only once the
    steering group has checked it (the school never vouches for the host's hand)."""

    __tablename__ = "agreement_paper_scans"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("agreements.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int]
    party: Mapped[Party] = mapped_column(enum_type(Party, "agreement_party"))
    signer_name: Mapped[str] = mapped_column(sa.String(200))
    scan_file: Mapped[str] = mapped_column(sa.String(300))
    scan_sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    state: Mapped[PaperScanState] = mapped_column(
        enum_type(PaperScanState, "paper_scan_state"), default=PaperScanState.PENDING,
        server_default=PaperScanState.PENDING.value,
    )
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    refusal_reason: Mapped[str | None] = mapped_column(sa.Text)

    agreement: Mapped[Agreement] = relationship()

    def __repr__(self) -> str:
        return f"<AgreementPaperScan {self.id} {self.state.value}>"


class AgreementCode(Base):
    """A one-time signature code: only a keyed hash is kept, with its expiry and attempts."""

    __tablename__ = "agreement_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("agreements.id", ondelete="CASCADE"), index=True
    )
    party: Mapped[Party] = mapped_column(enum_type(Party, "agreement_party"))
    version: Mapped[int]
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    sent_to: Mapped[str] = mapped_column(sa.String(254))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Replaced by a newer code, exhausted, or made void by a change of the document.
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (sa.CheckConstraint("attempts BETWEEN 0 AND 10", name="attempts"),)
