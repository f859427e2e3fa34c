"""The agreement as a document: its PDF and the context of its template."""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template

from stagebourse.models import (
    PARTIES,
    Agreement,
)
from stagebourse.services.agreements.content import PARTY_LABELS, schedule_rows
from stagebourse.services.agreements.parties import active_signatures


def document_context(agreement: Agreement, family_hidden: bool = False) -> dict[str, Any]:
    """The template's context. ``family_hidden``: the reader is the host (a member, its tutor,
    its signing link), who never learns how to reach the family: the guardian's address and
    the address a family signature came from are left out of what is shown (the snapshot and
    its sha256 stay whole)."""
    signatures = active_signatures(agreement)
    return {"family_hidden": family_hidden, "agreement": agreement, "content": agreement.content,
            "schedule_rows": schedule_rows(agreement.content),
            "signatures": [(party, PARTY_LABELS[party], signatures.get(party))
                           for party in PARTIES],
            "party_labels": PARTY_LABELS, "document_sha256": agreement.content_sha256,
            "state": agreement.state}


def render_pdf(agreement: Agreement, family_hidden: bool = False) -> bytes:
    """The agreement as an A4 PDF, from the same template as the HTML view; with the signature
    page once anyone signed."""
    from weasyprint import HTML  # heavy import, only when a PDF is asked for

    html = render_template("agreements/pdf.html",
                           **document_context(agreement, family_hidden))
    return bytes(HTML(string=html, base_url=f"{current_app.static_folder}/").write_pdf())

