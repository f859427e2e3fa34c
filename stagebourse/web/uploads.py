"""Import uploads: the request body is bounded before anything reads it, the file is read in
chunks after.

The CSRF check and the NUL-character check parse the form before any view runs, so the bound
is set by an application hook registered ahead of them: a body declared larger than the
import limit (plus the form's envelope) is refused unread, and an undeclared (chunked) one is
cut by werkzeug at the same bound. The views then read the file with ``read_file``.
"""

from __future__ import annotations

from flask import abort, request
from werkzeug.datastructures import FileStorage

from stagebourse.services import csv_input

# The multipart envelope and the form's other fields (CSRF token, level...).
ENVELOPE_BYTES = 64 * 1024

# Endpoints that receive an import file, and what they receive: "file" (multipart) or
# "text" (the roster preview sent back in a form field, base64: 4 bytes per 3).
IMPORT_ENDPOINTS = {
    "company.offer_import_upload": "file",
    "teacher.roster_import": "file",
    "teacher.roster_import_confirm": "text",
    "steering.charter_import": "file",
}


def body_limit(endpoint: str | None) -> int | None:
    kind = IMPORT_ENDPOINTS.get(endpoint or "")
    if kind is None:
        return None
    limit = csv_input.max_bytes()
    return (limit if kind == "file" else -(-limit * 4 // 3)) + ENVELOPE_BYTES


def bound_import_body() -> None:
    """Before any parsing (application before_request, registered before CSRF)."""
    if request.method != "POST":
        return
    limit = body_limit(request.endpoint)
    if limit is None:
        return
    request.max_content_length = limit
    request.max_form_memory_size = limit  # the roster text is a form field, not a file
    if request.content_length is not None and request.content_length > limit:
        abort(413)


def read_file(storage: FileStorage) -> bytes:
    """The uploaded file, read in chunks up to ``IMPORT_MAX_BYTES`` (ServiceError past it)."""
    return csv_input.read_upload(storage.stream)
