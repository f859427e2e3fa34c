"""Outgoing e-mail, written in the same transaction as the change that causes it."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from stagebourse.models.base import Base, UTCDateTime, enum_type, utcnow


class OutboxState(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The same event never queues the same message twice.
    idempotency_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    recipient: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body_text: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str | None] = mapped_column(sa.Text)
    reply_to: Mapped[str | None] = mapped_column(sa.String(254))
    # Which template and why the person receives it: shown to the steering group.
    template: Mapped[str | None] = mapped_column(sa.String(100), index=True)
    reason: Mapped[str | None] = mapped_column(sa.String(300))
    state: Mapped[OutboxState] = mapped_column(
        enum_type(OutboxState, "outbox_state"), default=OutboxState.PENDING, index=True
    )
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    # A fresh token per claim: only the worker holding it may move the row out of "sending".
    claimed_by: Mapped[str | None] = mapped_column(sa.String(100), index=True)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.CheckConstraint("attempts >= 0", name="attempts"),
        sa.CheckConstraint(
            "state != 'sending' OR (claimed_by IS NOT NULL AND claimed_at IS NOT NULL)",
            name="sending_is_claimed",
        ),
        sa.CheckConstraint("state != 'sent' OR sent_at IS NOT NULL", name="sent_at"),
    )

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.state.value}>"
