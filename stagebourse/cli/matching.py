"""``stagebourse matching``: solve, verify, audit and generate matching files.

A plain click group, with no dependency on the web application; it is also runnable as
``python -m stagebourse.cli.matching``. Exit status: 0 success, 1 verification failed,
2 bad input (one message naming the field and the item, never a traceback).
"""

from __future__ import annotations

import functools
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from stagebourse.matching.audit import audit as audit_tables
from stagebourse.matching.audit import render_audit
from stagebourse.matching.costs import build_problem
from stagebourse.matching.generate import generate_instance
from stagebourse.matching.instance import MAX_SEED, InstanceError, instance_to_dict
from stagebourse.matching.io import (
    groups_to_csv,
    load_groups,
    load_instance,
    load_result,
    result_to_dict,
    write_json,
)
from stagebourse.matching.mechanisms import MECHANISMS, MatchResult, run_mechanism
from stagebourse.matching.verify import verify_result

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK, EXIT_VERIFY_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def _bad_input(func: F) -> F:
    """Turn an InstanceError into one message on stderr and exit status 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except InstanceError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_BAD_INPUT)
        except OSError as exc:
            click.echo(f"error: {exc.filename or ''}: {exc.strerror}", err=True)
            sys.exit(EXIT_BAD_INPUT)

    return wrapper  # type: ignore[return-value]


@click.group(name="matching")
def matching() -> None:
    """Blind optimal assignment of internship seats: solve, verify, audit, generate."""


@matching.command()
@click.argument("instance_path", metavar="INSTANCE.json", type=click.Path(dir_okay=False))
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False),
              help="Where to write the result file (RESULT.json).")
@click.option("--mechanism", type=click.Choice(MECHANISMS), default="optimal",
              show_default=True, help="optimal, or a counterfactual to compare with.")
@click.option("--seed", type=click.IntRange(0, MAX_SEED), default=None,
              help="Lottery seed (default: params.seed of the instance).")
@click.option("--groups", "groups_path", type=click.Path(dir_okay=False), default=None,
              help="GROUPS.csv: a pupil column, then labels; network-first reads 'network'.")
@_bad_input
def solve(instance_path: str, output: str, mechanism: str, seed: int | None,
          groups_path: str | None) -> None:
    """Solve INSTANCE.json and write the result file."""
    start = time.perf_counter()
    instance, digest = load_instance(instance_path)
    groups = load_groups(groups_path, instance) if groups_path else None
    problem = build_problem(instance)
    # labels reach only network-first; the optimal solver never sees them
    result = run_mechanism(instance, mechanism, seed=seed,
                           groups=groups if mechanism == "network-first" else None,
                           problem=problem)
    write_json(output, result_to_dict(result, digest))
    click.echo(f"{mechanism}: {result.placed} of {problem.n_pupils} pupils placed, objective "
               f"{result.objective!r}, solve {result.solve_seconds:.2f} s, total "
               f"{time.perf_counter() - start:.2f} s -> {output}")


@matching.command()
@click.argument("instance_path", metavar="INSTANCE.json", type=click.Path(dir_okay=False))
@click.argument("result_path", metavar="RESULT.json", type=click.Path(dir_okay=False))
@click.option("--groups", "groups_path", type=click.Path(dir_okay=False), default=None,
              help="GROUPS.csv, to re-run a network-first result.")
@_bad_input
def verify(instance_path: str, result_path: str, groups_path: str | None) -> None:
    """Check RESULT.json against INSTANCE.json; exit 0 if it is valid, 1 if not."""
    instance, _ = load_instance(instance_path)
    result = load_result(result_path)
    groups = load_groups(groups_path, instance) if groups_path else None
    report = verify_result(instance, result, groups)
    if report.ok:
        for note in report.notes:
            click.echo(f"ok: {note}")
        return
    for problem in report.problems:
        click.echo(f"FAILED: {problem}")
    sys.exit(EXIT_VERIFY_FAILED)


@matching.command()
@click.argument("instance_path", metavar="INSTANCE.json", type=click.Path(dir_okay=False))
@click.argument("result_path", metavar="RESULT.json", type=click.Path(dir_okay=False))
@click.option("--groups", "groups_path", type=click.Path(dir_okay=False), default=None,
              help="GROUPS.csv: a pupil column, then one column per label.")
@click.option("--json", "as_json", is_flag=True, help="Print the tables as JSON.")
@_bad_input
def audit(instance_path: str, result_path: str, groups_path: str | None, as_json: bool) -> None:
    """Fairness tables of RESULT.json by group, beside the counterfactual mechanisms."""
    instance, _ = load_instance(instance_path)
    result_file = load_result(result_path)
    groups = load_groups(groups_path, instance) if groups_path else None
    problem = build_problem(instance)
    report = verify_result(instance, result_file, groups, problem)
    if not report.ok or report.choice is None:
        for problem_text in report.problems:
            click.echo(f"FAILED: {problem_text}")
        sys.exit(EXIT_VERIFY_FAILED)
    audited = MatchResult(instance=instance, problem=problem, mechanism=result_file.mechanism,
                          seed=result_file.seed, solver=result_file.solver,
                          solve_seconds=result_file.solve_seconds, choice=report.choice)
    results = [audited]
    for other in ("optimal", "fcfs", "network-first"):
        if other == audited.mechanism:
            continue
        if other == "network-first" and not (
                groups and any("network" in row for row in groups.values())):
            continue
        results.append(run_mechanism(instance, other, seed=result_file.seed,
                                     groups=groups if other == "network-first" else None,
                                     problem=problem))
    tables = audit_tables(results, groups)
    if as_json:
        click.echo(json.dumps(tables, ensure_ascii=False, indent=1))
    else:
        click.echo(render_audit(tables), nl=False)


@matching.command()
@click.option("--pupils", "n_pupils", type=click.IntRange(0, 10_000_000), required=True,
              help="Number of pupils.")
@click.option("--seed", type=click.IntRange(0, MAX_SEED), required=True,
              help="Seed of the generator (also the instance's lottery seed).")
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False),
              help="Where to write INSTANCE.json.")
@click.option("--groups-output", type=click.Path(dir_okay=False), default=None,
              help="Also write the synthetic audit labels (GROUPS.csv).")
@click.option("--priority-share", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="Share of pupils in priority class 1.")
@_bad_input
def generate(n_pupils: int, seed: int, output: str, groups_output: str | None,
             priority_share: float) -> None:
    """Write a realistic synthetic instance (and optionally its group labels)."""
    made = generate_instance(n_pupils, seed, priority_share=priority_share)
    write_json(output, instance_to_dict(made.instance))
    if groups_output:
        Path(groups_output).write_text(groups_to_csv(made.groups), encoding="utf-8")
    click.echo(f"{n_pupils} pupils, {len(made.instance.offers)} offers -> {output}")


if __name__ == "__main__":
    matching()
