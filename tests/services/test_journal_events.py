"""Journal entries are named by the members of one enumeration, and the docs list them all."""

from __future__ import annotations

import ast
from pathlib import Path

from stagebourse.services.journal import Event

ROOT = Path(__file__).resolve().parents[2]


def test_the_docs_list_every_kind_of_journal_entry():
    listed = (ROOT / "docs" / "journal.md").read_text()
    assert [e.value for e in Event if f"| `{e.value}` | `{e.name}` |" not in listed] == []


def test_no_call_site_names_an_entry_with_a_string():
    """``journal.record(actor, "x.y", …)`` would bypass the enumeration (and its docs)."""
    offenders = []
    for path in (ROOT / "stagebourse").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and len(node.args) >= 2
                    and isinstance(node.func, ast.Attribute | ast.Name)
                    and (getattr(node.func, "attr", None) or getattr(node.func, "id", None))
                    in ("record", "_journal")
                    and isinstance(node.args[1], ast.Constant | ast.JoinedStr)):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
