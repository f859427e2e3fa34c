"""The engine is pure: it never imports the web application, the ORM or the models."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("flask", "sqlalchemy", "flask_sqlalchemy", "stagebourse.models", "stagebourse.web",
             "stagebourse.services")
ENGINE_FILES = sorted((ROOT / "stagebourse" / "matching").glob("*.py")) + [
    ROOT / "stagebourse" / "cli" / "matching.py"]


def _forbidden(name: str) -> bool:
    return any(name == f or name.startswith(f + ".") for f in FORBIDDEN)


def test_engine_modules_import_nothing_forbidden_at_run_time() -> None:
    code = (
        "import json, sys\n"
        "import stagebourse.matching.audit, stagebourse.matching.certificate\n"
        "import stagebourse.matching.costs, stagebourse.matching.generate\n"
        "import stagebourse.matching.instance, stagebourse.matching.io\n"
        "import stagebourse.matching.lottery, stagebourse.matching.mechanisms\n"
        "import stagebourse.matching.solver, stagebourse.matching.verify\n"
        "import stagebourse.cli.matching\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    loaded = json.loads(out.stdout)
    assert "stagebourse.matching.solver" in loaded
    assert [m for m in loaded if _forbidden(m)] == []


def test_engine_source_has_no_forbidden_import_statement() -> None:
    assert len(ENGINE_FILES) >= 11
    offenders = []
    for path in ENGINE_FILES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            offenders += [f"{path.name}: {n}" for n in names if _forbidden(n)]
    assert offenders == []
