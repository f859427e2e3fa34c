"""Every message of a ServiceError is shown to users: it must go through the catalog.

A raw string, an f-string or a concatenation given to ``ServiceError`` (or to any of its
subclasses) stays French in the English interface, and a sentence built from pieces cannot be
translated as a whole. Messages are ``_l("… %(name)s …", name=value)``; a variable holding such
a message is fine.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "stagebourse"
MODULES = sorted(PACKAGE.rglob("*.py"))
BASE = "ServiceError"


def _parsed() -> dict[Path, ast.Module]:
    return {path: ast.parse(path.read_text("utf-8"), str(path)) for path in MODULES}


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):  # services.ServiceError, agreements.WrongPerson
        return node.attr
    return None


def _error_classes(trees: dict[Path, ast.Module]) -> set[str]:
    """ServiceError and every class deriving from it, however indirectly, across the package."""
    bases = {node.name: {_name(b) for b in node.bases}
             for tree in trees.values() for node in ast.walk(tree)
             if isinstance(node, ast.ClassDef)}
    found = {BASE}
    while True:
        more = {name for name, parents in bases.items() if parents & found} - found
        if not more:
            return found
        found |= more


def _untranslated(arg: ast.expr) -> bool:
    if isinstance(arg, ast.Constant):
        return isinstance(arg.value, str)
    return isinstance(arg, ast.JoinedStr | ast.BinOp)


def _offences(trees: dict[Path, ast.Module]) -> list[str]:
    classes = _error_classes(trees)
    offences = []
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and _name(node.func) in classes and node.args
                    and _untranslated(node.args[0])):
                offences.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} "
                                f"{_name(node.func)}(...)")
    return offences


def test_subclasses_are_found():
    classes = _error_classes(_parsed())
    assert {"SignInRefused", "AgreementLinkExpired", "WrongPerson", "OfferRefused"} <= classes


def test_detects_raw_messages():
    tree = ast.parse('raise ServiceError("brut")\nraise ServiceError(f"{x} brut")\n'
                     'raise ServiceError("a" + b)\nraise ServiceError(_l("bon"))\n'
                     "raise ServiceError(message)\n")
    assert [line.split()[0].rsplit(":", 1)[1] for line in _offences({PACKAGE / "x.py": tree})] \
        == ["1", "2", "3"]


def test_service_error_messages_are_translatable():
    offences = _offences(_parsed())
    assert not offences, ("messages to wrap in _l(\"… %(name)s …\", name=value):\n"
                          + "\n".join(offences))
