"""Downloads: every list in the app as CSV (opens in Excel/LibreOffice as is), and an
agreement as PDF, the same from every room that shows one."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from flask import Response

from stagebourse.models import Agreement
from stagebourse.services import agreements
from stagebourse.services.cells import neutralise


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, int | float):
        return str(value)
    return str(neutralise(str(value)))  # formula injection (services/cells.py)


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    """UTF-8 with BOM and ';' separators, as French spreadsheet software expects."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def pdf_response(agreement: Agreement, family_hidden: bool = False) -> Response:
    """The agreement's PDF, shown in the browser, named after the pupil and the version."""
    content = agreement.content
    name = f"convention-{content['pupil']['last_name']}-{content['pupil']['first_name']}"
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in name).lower()
    return Response(agreements.render_pdf(agreement, family_hidden), mimetype="application/pdf",
                    headers={
        "Content-Disposition": f'inline; filename="{safe}-v{agreement.version}.pdf"'})
