"""Fingerprinted static assets: every ``url_for('static', ...)`` carries the hash of the
file's content (``?v=…``), and a request for that exact version is answered with a one-year,
immutable cache lifetime.

Why (docs/privacy.md, "Logs"): a stylesheet revalidated on every page load is one request per
page, logged by any proxy on the way with the visitor's address and the second; on the
questionnaire pages that second is the second of an answer. A browser that holds an immutable
copy sends no request at all, and a changed file gets a new URL, so nobody ever sees a stale
stylesheet.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from flask import Flask, current_app, request
from werkzeug.wrappers import Response

# How many hexadecimal digits of the SHA-256 go into the URL: 48 bits tell versions apart.
FINGERPRINT_LENGTH = 12
IMMUTABLE = "public, max-age=31536000, immutable"

_fingerprints: dict[tuple[str, float], str] = {}


def fingerprint(path: Path) -> str | None:
    """The first digits of the file's SHA-256, or None if there is no such file. Cached by
    (path, modification time): a file edited on a development server gets a new version."""
    try:
        key = (str(path), path.stat().st_mtime)
    except OSError:
        return None
    if key not in _fingerprints:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        _fingerprints[key] = digest[:FINGERPRINT_LENGTH]
    return _fingerprints[key]


def _static_file(filename: str) -> Path | None:
    folder = current_app.static_folder
    if folder is None:
        return None
    root = Path(folder).resolve()
    path = (root / filename).resolve()
    return path if path.is_relative_to(root) and path.is_file() else None


_versions: dict[tuple[str | None, str], str | None] = {}


def _version(filename: str) -> str | None:
    """The file's fingerprint; outside debug mode, looked up once per file and process (every
    page names two stylesheets, and deployed files do not change under a running server)."""
    if current_app.debug:
        path = _static_file(filename)
        return fingerprint(path) if path else None
    key = (current_app.static_folder, filename)
    if key not in _versions:
        path = _static_file(filename)
        _versions[key] = fingerprint(path) if path else None
    return _versions[key]


def _add_version(endpoint: str, values: dict[str, Any]) -> None:
    if endpoint == "static" and "filename" in values and "v" not in values:
        version = _version(values["filename"])
        if version:
            values["v"] = version


def _cache_versioned(response: Response) -> Response:
    """A static file requested with its current fingerprint never changes: cache it a year.
    Any other static request (no or an old version) keeps Flask's revalidation."""
    if request.endpoint == "static" and response.status_code == 200:
        path = _static_file((request.view_args or {}).get("filename", ""))
        if path is not None and request.args.get("v") == fingerprint(path):
            response.headers["Cache-Control"] = IMMUTABLE
    return response


def install(app: Flask) -> None:
    app.url_defaults(_add_version)
    app.after_request(_cache_versioned)
