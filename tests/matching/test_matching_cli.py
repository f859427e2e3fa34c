"""``stagebourse matching`` commands: exit codes 0 / 1 / 2 and messages, no traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from stagebourse.cli.matching import matching

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> Any:
    return CliRunner().invoke(matching, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("cli")
    paths = {"instance": d / "instance.json", "groups": d / "groups.csv",
             "result": d / "result.json"}
    out = run("generate", "--pupils", "300", "--seed", "4", "-o", str(paths["instance"]),
              "--groups-output", str(paths["groups"]))
    assert out.exit_code == 0, out.output
    out = run("solve", str(paths["instance"]), "-o", str(paths["result"]))
    assert out.exit_code == 0, out.output
    return paths


def test_generate_writes_a_valid_instance_and_groups(files: dict[str, Path]) -> None:
    doc = json.loads(files["instance"].read_text())
    assert doc["format"] == "stagebourse-instance/2" and len(doc["pupils"]) == 300
    header = files["groups"].read_text().splitlines()[0]
    assert header == "pupil,gender,school,qpv,disability,network"


def test_generate_with_priority_pupils_solves_and_verifies_their_priority(
        tmp_path: Path) -> None:
    instance, result = tmp_path / "i.json", tmp_path / "r.json"
    assert run("generate", "--pupils", "300", "--seed", "4", "--priority-share", "0.1", "-o",
               str(instance)).exit_code == 0
    assert {p["priority"] for p in json.loads(instance.read_text())["pupils"]} == {0, 1}
    assert run("solve", str(instance), "-o", str(result)).exit_code == 0
    out = run("verify", str(instance), str(result))
    assert out.exit_code == 0
    assert "ok: priority: no unplaced pupil reaches a placed pupil of a lower class" in out.output


def test_solve_then_verify_exits_0(files: dict[str, Path]) -> None:
    out = run("verify", str(files["instance"]), str(files["result"]))
    assert out.exit_code == 0
    assert out.output.startswith("ok: all constraints hold; ")
    assert "ok: optimal: no alternating path" in out.output


@pytest.mark.parametrize("mechanism", ["fcfs", "network-first"])
def test_counterfactual_solve_and_verify(files: dict[str, Path], tmp_path: Path,
                                         mechanism: str) -> None:
    res = tmp_path / "r.json"
    out = run("solve", str(files["instance"]), "-o", str(res), "--mechanism", mechanism,
              "--seed", "11", "--groups", str(files["groups"]))
    assert out.exit_code == 0, out.output
    doc = json.loads(res.read_text())
    assert doc["mechanism"] == mechanism and doc["seed"] == 11
    out = run("verify", str(files["instance"]), str(res), "--groups", str(files["groups"]))
    assert out.exit_code == 0, out.output
    assert f"{mechanism}: identical to a re-run with seed 11" in out.output


def test_solve_with_permuted_group_labels_writes_the_same_assignment(
        files: dict[str, Path], tmp_path: Path) -> None:
    lines = files["groups"].read_text().splitlines()
    head, rows = lines[0], [r.split(",") for r in lines[1:]]
    labels = [r[1:] for r in rows]
    permuted = labels[1:] + labels[:1]
    text = "\n".join([head] + [",".join([r[0], *lab]) for r, lab in zip(rows, permuted,
                                                                          strict=True)])
    (tmp_path / "g.csv").write_text(text + "\n")
    docs = []
    for groups in (files["groups"], tmp_path / "g.csv"):
        out = run("solve", str(files["instance"]), "-o", str(tmp_path / "r.json"), "--groups",
                  str(groups))
        assert out.exit_code == 0
        doc = json.loads((tmp_path / "r.json").read_text())
        doc.pop("solve_seconds")
        docs.append(doc)
    assert docs[0] == docs[1]


def test_verify_catches_a_tampered_result_and_exits_1(files: dict[str, Path],
                                                     tmp_path: Path) -> None:
    doc = json.loads(files["result"].read_text())
    doc["assignments"][0]["cost"] += 1
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    out = run("verify", str(files["instance"]), str(bad))
    assert out.exit_code == 1
    assert out.output.startswith(f'FAILED: assignments[0] (pupil "{doc["assignments"][0]["pupil"]}'
                                 '"): cost is ')


def test_audit_prints_tables_and_json(files: dict[str, Path]) -> None:
    out = run("audit", str(files["instance"]), str(files["result"]), "--groups",
              str(files["groups"]))
    assert out.exit_code == 0, out.output
    assert out.output.startswith("Overall\n")
    for text in ("By gender (optimal;", "By qpv", "network-first", "Gender x sector (fcfs)"):
        assert text in out.output
    out = run("audit", str(files["instance"]), str(files["result"]), "--groups",
              str(files["groups"]), "--json")
    report = json.loads(out.output)
    assert report["mechanisms"] == ["optimal", "fcfs", "network-first"]
    assert set(report["labels"]) == {"gender", "school", "qpv", "disability", "network"}


def test_audit_without_groups_still_compares_with_fcfs(files: dict[str, Path]) -> None:
    out = run("audit", str(files["instance"]), str(files["result"]), "--json")
    assert out.exit_code == 0
    assert json.loads(out.output)["mechanisms"] == ["optimal", "fcfs"]


@pytest.mark.parametrize(("content", "message"), [
    ("not json", "error: instance: not valid JSON: Expecting value at line 1 column 1"),
    ('{"format": "other"}', 'error: format: must be "stagebourse-instance/2" (or the earlier '
                            '"stagebourse-instance/1"), got "other"'),
    (json.dumps({"format": "stagebourse-instance/1", "params": {}, "pupils": [],
                 "offers": []}), 'error: params: missing field "rank_costs"'),
])
def test_bad_instance_exits_2_with_one_message(tmp_path: Path, content: str,
                                               message: str) -> None:
    path = tmp_path / "i.json"
    path.write_text(content)
    for args in (["solve", str(path), "-o", str(tmp_path / "r.json")],
                 ["verify", str(path), str(tmp_path / "r.json")],
                 ["audit", str(path), str(tmp_path / "r.json")]):
        out = run(*args)
        assert out.exit_code == 2
        assert out.output == message + "\n"


def test_missing_file_and_bad_result_exit_2(files: dict[str, Path], tmp_path: Path) -> None:
    out = run("solve", str(tmp_path / "nope.json"), "-o", str(tmp_path / "r.json"))
    assert (out.exit_code, out.output) == (2, f"error: instance: file not found: "
                                              f"{tmp_path / 'nope.json'}\n")
    bad = tmp_path / "r.json"
    bad.write_text('{"format": "stagebourse-result/0"}')
    out = run("verify", str(files["instance"]), str(bad))
    assert (out.exit_code, out.output) == (
        2, "error: result.format: must be \"stagebourse-result/1\", got 'stagebourse-result/0'\n")


def test_bad_groups_file_exits_2(files: dict[str, Path], tmp_path: Path) -> None:
    bad = tmp_path / "g.csv"
    bad.write_text("id,gender\np1,F\n")
    out = run("solve", str(files["instance"]), "-o", str(tmp_path / "r.json"), "--groups",
              str(bad))
    assert (out.exit_code, out.output) == (2, 'error: groups: the first column must be named '
                                              '"pupil"\n')
    bad.write_text("pupil,network\nnobody,yes\n")
    out = run("solve", str(files["instance"]), "-o", str(tmp_path / "r.json"), "--mechanism",
              "network-first", "--groups", str(bad))
    assert (out.exit_code, out.output) == (2, 'error: groups: line 2: pupil "nobody" is not in '
                                              "the instance\n")


def test_unassigned_cost_too_small_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "i.json"
    doc = {"format": "stagebourse-instance/1",
           "params": {"rank_costs": [0, 100, 220, 360, 520], "allow_unranked": False,
                      "unranked_cost": 1000, "km_cost": 10, "unassigned_cost": 500, "seed": 1},
           "pupils": [{"id": "p1", "level": "3e", "age": 14, "weeks": ["2027-W05"], "lat": 50.0,
                       "lon": 3.0, "max_km": 10, "needs_accessible": False, "wishes": []}],
           "offers": []}
    path.write_text(json.dumps(doc))
    out = run("solve", str(path), "-o", str(tmp_path / "r.json"))
    assert out.exit_code == 2
    assert out.output == ("error: params.unassigned_cost: 500 must exceed every pair cost, and a "
                          "pair can cost up to 620 (worst wish cost + km_cost 10 x max_km 10 of "
                          'pupil "p1")\n')


def test_module_is_runnable_and_never_prints_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "i.json"
    path.write_text("[1,")
    proc = subprocess.run([sys.executable, "-m", "stagebourse.cli.matching", "solve", str(path),
                           "-o", str(tmp_path / "r.json")], cwd=ROOT, capture_output=True,
                          text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: instance: not valid JSON: ")
    proc = subprocess.run([sys.executable, "-m", "stagebourse.cli.matching", "--help"], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    for command in ("solve", "verify", "audit", "generate"):
        assert command in proc.stdout
