"""Matching rounds and the assignments they produce."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from stagebourse.models.base import ISO_WEEK_PATTERN, Base, UTCDateTime, enum_type, utcnow
from stagebourse.models.campaigns import Campaign
from stagebourse.models.offers import Offer
from stagebourse.models.pupils import Pupil


class RunState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"  # a dry run, ready to compare
    FAILED = "failed"
    PUBLISHED = "published"
    DISCARDED = "discarded"


class MatchingRun(Base):
    """One round of the assignment, reproducible from its stored instance, parameters and seed."""

    __tablename__ = "matching_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    round_number: Mapped[int] = mapped_column(default=1)
    mechanism: Mapped[str] = mapped_column(sa.String(20), default="optimal")
    state: Mapped[RunState] = mapped_column(
        enum_type(RunState, "run_state"), default=RunState.QUEUED
    )
    params: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    seed: Mapped[int] = mapped_column(sa.BigInteger)
    instance_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    # The instance and result files (megabytes at a département's scale) and the pseudonym map
    # are read only by the pages that use them, not with every run.
    instance_json: Mapped[str | None] = mapped_column(sa.Text, deferred=True)
    result_json: Mapped[str | None] = mapped_column(sa.Text, deferred=True)
    solver: Mapped[str | None] = mapped_column(sa.String(100))
    objective: Mapped[float | None]
    build_seconds: Mapped[float | None]
    solve_seconds: Mapped[float | None]
    pupil_count: Mapped[int | None]
    placed_count: Mapped[int | None]
    progress: Mapped[int] = mapped_column(default=0, server_default="0")
    message: Mapped[str | None] = mapped_column(sa.Text)
    # Pseudonym (the id in the instance) -> pupil id. Server-side only: never exported, so the
    # instance and result files identify nobody.
    pseudonyms: Mapped[dict[str, int]] = mapped_column(sa.JSON, default=dict, deferred=True)
    # The engine's audit (all mechanisms, all labels), computed when the run was made: it
    # survives the purge of pupils' personal data.
    audit_json: Mapped[str | None] = mapped_column(sa.Text)
    # Counts of the instance: offers, slots, seats, feasible pairs, dropped wishes...
    stats: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    verified_ok: Mapped[bool | None]
    verify_message: Mapped[str | None] = mapped_column(sa.Text)
    # Last reproducibility check: the stored instance re-run with the stored seed.
    reproduced_ok: Mapped[bool | None]
    reproduced_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reproduced_message: Mapped[str | None] = mapped_column(sa.Text)
    total_seconds: Mapped[float | None]
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    campaign: Mapped[Campaign] = relationship()
    assignments: Mapped[list[Assignment]] = relationship(
        back_populates="run", cascade="all, delete-orphan"
    )

    __table_args__ = (sa.CheckConstraint("progress BETWEEN 0 AND 100", name="progress"),)

    def __repr__(self) -> str:
        return f"<MatchingRun {self.id} {self.state.value}>"


class AssignmentState(enum.StrEnum):
    PROPOSED = "proposed"  # part of a dry run
    PUBLISHED = "published"  # announced, awaiting confirmation
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    COMPLETED = "completed"


class DeclinedBy(enum.StrEnum):
    """Who ended a published assignment (``Assignment.declined_by``)."""

    PUPIL = "pupil"  # the pupil or their teacher declined
    COMPANY = "company"  # the host declined BEFORE the reveal (it never saw a name)
    DEADLINE = "deadline"  # not confirmed by both sides in time
    WITHDRAWN = "withdrawn"  # after the reveal, the steering group accepted the host's request


# A pupil turned away by a host, before or after the reveal, is never worse off: they enter
# the next round of the campaign with priority (docs/rounds.md).
HOST_REFUSALS = frozenset({DeclinedBy.COMPANY, DeclinedBy.WITHDRAWN})


class HostReason(enum.StrEnum):
    """The closed list of reasons a host gives to decline a proposal or ask for a withdrawal."""

    SEAT_GONE = "seat_gone"  # no seat that week any more
    TUTOR_UNAVAILABLE = "tutor_unavailable"
    ACCESSIBILITY = "accessibility"  # accessibility not possible after all
    OTHER = "other"  # with a text that the steering group reads

    @property
    def withdraws_seat(self) -> bool:
        """Whether the seat of that week leaves the pool (else it is kept for the next round)."""
        return self in (HostReason.SEAT_GONE, HostReason.TUTOR_UNAVAILABLE)


class Assignment(Base):
    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        sa.ForeignKey("matching_runs.id", ondelete="CASCADE"), index=True
    )
    # Indexed: a class board and a pupil's pages find a pupil's placements among every round's.
    pupil_id: Mapped[int] = mapped_column(sa.ForeignKey("pupils.id", ondelete="CASCADE"),
                                          index=True)
    offer_id: Mapped[int] = mapped_column(sa.ForeignKey("offers.id"), index=True)
    week: Mapped[str] = mapped_column(sa.String(8))
    rank: Mapped[int | None]
    distance_km: Mapped[float]
    cost: Mapped[float]
    state: Mapped[AssignmentState] = mapped_column(
        enum_type(AssignmentState, "assignment_state"), default=AssignmentState.PROPOSED
    )
    manual_reason: Mapped[str | None] = mapped_column(sa.Text)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Both sides confirm: the pupil (or their teacher) and the host structure.
    pupil_confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    company_confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Who declined: a DeclinedBy value.
    declined_by: Mapped[str | None] = mapped_column(sa.String(20))
    # The host's reason when it declined before the reveal (declined_by = "company").
    host_reason: Mapped[HostReason | None] = mapped_column(enum_type(HostReason, "host_reason"))
    host_reason_note: Mapped[str | None] = mapped_column(sa.Text)

    run: Mapped[MatchingRun] = relationship(back_populates="assignments")
    pupil: Mapped[Pupil] = relationship()
    offer: Mapped[Offer] = relationship()
    withdrawal_requests: Mapped[list[WithdrawalRequest]] = relationship(
        back_populates="assignment", cascade="all, delete-orphan",
        order_by="WithdrawalRequest.id",
    )

    __table_args__ = (
        sa.UniqueConstraint("run_id", "pupil_id"),
        sa.CheckConstraint(f"week LIKE '{ISO_WEEK_PATTERN}'", name="iso_week"),
        sa.CheckConstraint("rank IS NULL OR rank BETWEEN 1 AND 5", name="rank"),
    )


class WithdrawalState(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"  # the placement is withdrawn, the pupil re-placed with priority
    REFUSED = "refused"  # the placement stands


class WithdrawalRequest(Base):
    """After the reveal (both sides confirmed) a host cannot refuse alone: it asks the steering
    group to withdraw the placement, with a reason; the steering group decides."""

    __tablename__ = "withdrawal_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("assignments.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[HostReason] = mapped_column(enum_type(HostReason, "host_reason"))
    note: Mapped[str | None] = mapped_column(sa.Text)
    state: Mapped[WithdrawalState] = mapped_column(
        enum_type(WithdrawalState, "withdrawal_state"), default=WithdrawalState.PENDING
    )
    requested_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(sa.Text)

    assignment: Mapped[Assignment] = relationship(back_populates="withdrawal_requests")

    __table_args__ = (
        sa.CheckConstraint(
            "(state = 'pending') = (decided_at IS NULL)", name="decided_when_not_pending"
        ),
    )
