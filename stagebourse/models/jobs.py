"""Long work queued for ``stagebourse worker``: matching runs today, imports or PDFs later.

The database is the queue. A web request only records a job; a worker claims it under a lease,
writes its progress, and records the outcome. What the job works on is named by ``kind`` and
``payload`` (for a matching run: ``{"run_id": 12}``) and, for lookups from the page that
follows it, by ``subject_type``/``subject_id`` as in the journal.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from stagebourse.models.base import Base, UTCDateTime, enum_type, utcnow


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(50), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    subject_type: Mapped[str | None] = mapped_column(sa.String(50))
    subject_id: Mapped[int | None]
    state: Mapped[JobState] = mapped_column(
        enum_type(JobState, "job_state"), default=JobState.QUEUED, index=True
    )
    # Each claim counts as an attempt, a claim taken back after its lease as a new one: a job
    # that kills its worker every time stops being retried after ``max_attempts``.
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    max_attempts: Mapped[int] = mapped_column(default=3, server_default="3")
    # A fresh token per claim: only the worker holding it may write progress or the outcome.
    lease_owner: Mapped[str | None] = mapped_column(sa.String(100), index=True)
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    progress: Mapped[int] = mapped_column(default=0, server_default="0")
    message: Mapped[str | None] = mapped_column(sa.Text)
    error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.CheckConstraint("attempts >= 0", name="attempts"),
        sa.CheckConstraint("max_attempts >= 1", name="max_attempts"),
        sa.CheckConstraint("progress BETWEEN 0 AND 100", name="progress"),
        sa.CheckConstraint(
            "state != 'running' OR (lease_owner IS NOT NULL AND lease_until IS NOT NULL)",
            name="running_is_leased",
        ),
        sa.Index("ix_jobs_subject", "subject_type", "subject_id"),
    )

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.kind} {self.state.value}>"
