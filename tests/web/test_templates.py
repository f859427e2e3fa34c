"""Static checks on every page template: what the CSP and the accessibility rules require."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[2] / "stagebourse" / "web" / "templates"
PAGES = sorted(p for p in TEMPLATES.rglob("*.html") if "mail" not in p.parts)


@pytest.mark.parametrize("path", PAGES, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_inline_script_or_style(path: Path):
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"<script(?![^>]*\bsrc=)", text), "inline <script> (CSP forbids it)"
    assert not re.search(r"\sstyle=", text), "style= attribute (CSP forbids inline styles)"
    assert not re.search(r"\son[a-z]+=", text), "inline event handler (CSP forbids it)"


@pytest.mark.parametrize("path", PAGES, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_scrollable_tables_are_keyboard_reachable_regions(path: Path):
    for tag in re.findall(r"<div[^>]*class=\"table-wrap\"[^>]*>", path.read_text("utf-8")):
        # "aria-label" also matches aria-labelledby.
        assert 'tabindex="0"' in tag and 'role="region"' in tag and "aria-label" in tag, tag
