"""Queue e-mail into the outbox, inside the caller's transaction.

Rendering happens now (so the message is exactly what the event meant); delivery happens later,
in the worker, after the transaction committed. A rollback therefore sends nothing, and a crash
loses nothing.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, render_template
from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import OutboxMessage


def queue_email(
    recipient: str,
    template: str,
    *,
    key: str,
    reason: str,
    **context: Any,
) -> OutboxMessage:
    """Render ``mail/<template>.txt`` (+ ``.html``) and add it to the outbox.

    ``key`` is the idempotency key: queuing the same key twice keeps the first message.
    ``reason`` tells the recipient why they receive it (shown in the footer).
    """
    existing = db.session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == key))
    if existing is not None:
        return existing
    context = {"reason": reason, "public_url": current_app.config["PUBLIC_URL"], **context}
    subject = render_template(f"mail/{template}.subject.txt", **context).strip()
    message = OutboxMessage(
        idempotency_key=key,
        recipient=recipient,
        subject=subject,
        body_text=render_template(f"mail/{template}.txt", **context),
        body_html=render_template(f"mail/{template}.html", **context),
        reply_to=current_app.config.get("MAIL_REPLY_TO"),
        template=template,
        reason=reason[:300],
    )
    db.session.add(message)
    return message


def public_url(endpoint: str, **values: Any) -> str:
    """An absolute link for an e-mail, built on ``PUBLIC_URL`` (works outside a request too)."""
    base = urlsplit(current_app.config["PUBLIC_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, url_scheme=base.scheme or "https", script_name=base.path or "/"
    )
    return adapter.build(endpoint, values, force_external=True)
