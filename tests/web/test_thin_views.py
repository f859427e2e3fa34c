"""Views parse, call one service, render: no module of the web layer queries the database.

Read as source, not run: a query hidden in a rarely taken branch is caught all the same. The
one exception is the application factory (stagebourse/web/__init__.py), where the request's
transaction is committed or rolled back.
"""

from __future__ import annotations

import ast
from pathlib import Path

import stagebourse.web

WEB = Path(stagebourse.web.__file__).parent
COMMIT_POINT = WEB / "__init__.py"
# Catching a database error is not querying: a view may say the database went away.
ALLOWED_SQLALCHEMY = {"sqlalchemy.exc"}


def database_uses(source: str) -> list[str]:
    """Each place where this module source reaches the database itself, as « line: what »."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "stagebourse.extensions" and any(
                    alias.name == "db" for alias in node.names):
                found.append(f"{node.lineno}: imports db")
            if node.module.split(".")[0] == "sqlalchemy" and (
                    node.module not in ALLOWED_SQLALCHEMY):
                found.append(f"{node.lineno}: imports from {node.module}")
        elif isinstance(node, ast.Import):
            found += [f"{node.lineno}: imports {alias.name}" for alias in node.names
                      if alias.name.split(".")[0] == "sqlalchemy"
                      and alias.name not in ALLOWED_SQLALCHEMY]
        elif isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id == "db":
                found.append(f"{node.lineno}: db.{node.attr}")
            # Model.query, the legacy Flask-SQLAlchemy query property.
            if (node.attr == "query" and isinstance(node.value, ast.Name)
                    and node.value.id[:1].isupper()):
                found.append(f"{node.lineno}: {node.value.id}.query")
    return found


def test_no_view_module_queries_the_database() -> None:
    modules = sorted(p for p in WEB.rglob("*.py") if p != COMMIT_POINT)
    assert len(modules) > 30  # the walk found the rooms
    offenders = [f"{path.relative_to(WEB)}:{use}" for path in modules
                 for use in database_uses(path.read_text(encoding="utf-8"))]
    assert offenders == []


def test_the_check_sees_each_way_of_querying() -> None:
    assert database_uses("from stagebourse.extensions import db\n"
                         "x = db.session.get(Offer, 1)\n") == [
        "1: imports db", "2: db.session"]
    assert database_uses("from sqlalchemy import select\nimport sqlalchemy.orm\n") == [
        "1: imports from sqlalchemy", "2: imports sqlalchemy.orm"]
    assert database_uses("offers = Offer.query.all()\n") == ["1: Offer.query"]
    # What views may do: catch a database error, read a URL's query string.
    assert database_uses("from sqlalchemy.exc import SQLAlchemyError\n"
                         "q = parts.query\n") == []
