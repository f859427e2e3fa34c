"""Form helpers shared by every blueprint."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from wtforms.fields.choices import SelectChoice


def safe_next(target: str | None) -> str | None:
    """Only follow ``next`` to a path of this site (no open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def select_choices(pairs: Iterable[tuple[str, Any]]) -> list[SelectChoice]:
    """``[(value, label), ...]`` → SelectChoice objects (tuples are deprecated in WTForms 3.3)."""
    return [SelectChoice(value, label) for value, label in pairs]
