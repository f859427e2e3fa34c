"""Benchmark of the matching engine on realistic synthetic instances.

For each size it generates an instance (towns clustered like a French urban area, QPV
neighbourhoods, 20 sectors of skewed popularity, 1-2 school weeks, 8-15 km travel limits),
writes it to a temporary file and measures, in a fresh process:

* parse (read + JSON + validation), hash, and build (the feasible triples), separately;
* the engine's solve (components, exact lexicographic optimum, certificate, lottery);
* one plain OR-Tools ``SimpleMinCostFlow.solve()`` on the same full feasible graph
  (source -> pupils -> (offer, week) -> sink, plus an unassigned arc pupil -> sink) in the same
  process, and checks that both objectives are equal;
* the engine's solve on the same instance with a share of pupils in priority class 1
  (``--priority-share``, 5 % by default), alternating with the solve without priorities, and
  checks that the priority changes who is placed but not how many;
* the ``solve`` command file in, file out, in the same process, against parse + build;
* the ``solve`` command as a separate program (``python -m stagebourse.cli.matching``):
  wall time and peak resident memory.

Usage::

    python benchmarks/matching.py                      # 1,500 / 20,000 / 200,000 pupils
    python benchmarks/matching.py --sizes 1500,20000   # a quicker run
    python benchmarks/matching.py --sizes 20000 --no-reference --repeat 7   # priority cost
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _plain_reference(problem: Any) -> tuple[float, float, int]:
    """One plain min-cost-flow call on the full feasible graph: (build s, solve s, cost)."""
    import numpy as np
    from ortools.graph.python import min_cost_flow

    n, m, e = problem.n_pupils, problem.n_slots, problem.n_arcs
    source, sink = n + m, n + m + 1
    start = time.perf_counter()
    flow = min_cost_flow.SimpleMinCostFlow()
    tails = np.concatenate([np.full(n, source), problem.arc_pupil.astype(np.int64),
                            n + np.arange(m), np.arange(n)]).astype(np.int64)
    heads = np.concatenate([np.arange(n), n + problem.arc_slot.astype(np.int64),
                            np.full(m, sink), np.full(n, sink)]).astype(np.int64)
    caps = np.concatenate([np.ones(n + e, dtype=np.int64), problem.slot_seats,
                           np.ones(n, dtype=np.int64)])
    costs = np.concatenate([np.zeros(n, dtype=np.int64), problem.arc_cost,
                            np.zeros(m, dtype=np.int64),
                            np.full(n, problem.scale.unassigned_units, dtype=np.int64)])
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    supplies = np.zeros(n + m + 2, dtype=np.int64)
    supplies[source], supplies[sink] = n, -n
    flow.set_nodes_supplies(np.arange(n + m + 2, dtype=np.int64), supplies)
    built = time.perf_counter()
    status = flow.solve()
    solved = time.perf_counter()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"reference solve failed: {status}")
    return built - start, solved - built, int(flow.optimal_cost())


def _priority_comparison(instance: Any, problem: Any, plain: Any, n_pupils: int, seed: int,
                         density: float, repeat: int, share: float) -> dict[str, Any]:
    """The solve with a share of priority pupils against the solve without, alternating.

    Wall times (``solve_seconds``) and the CPU time of this process around each solve: on a
    shared machine the CPU time varies much less."""
    import numpy as np

    from stagebourse.matching.costs import build_problem
    from stagebourse.matching.generate import generate_instance
    from stagebourse.matching.mechanisms import run_mechanism

    # the same seed gives the same instance; only the priority classes differ
    prioritised = generate_instance(n_pupils, seed, density=density,
                                    priority_share=share).instance
    prioritised_problem = build_problem(prioritised)
    without: list[float] = []
    with_priority: list[float] = []
    cpu_without: list[float] = []
    cpu_with: list[float] = []
    for _ in range(repeat):
        start = time.process_time()
        without.append(run_mechanism(instance, "optimal", problem=problem).solve_seconds)
        cpu_without.append(time.process_time() - start)
        start = time.process_time()
        result = run_mechanism(prioritised, "optimal", problem=prioritised_problem)
        cpu_with.append(time.process_time() - start)
        with_priority.append(result.solve_seconds)
    if result.placed != plain.placed:
        raise RuntimeError(f"priority changed the number placed: {result.placed} != "
                           f"{plain.placed}")
    flagged = prioritised_problem.pupil_priority > 0
    return {"priority_share": share, "priority_pupils": int(flagged.sum()),
            "priority_placed": int(np.count_nonzero(flagged & (result.choice >= 0))),
            "priority_placed_without": int(np.count_nonzero(flagged & (plain.choice >= 0))),
            "without_priority_all_s": without, "with_priority_all_s": with_priority,
            "priority_over_plain_median": statistics.median(with_priority)
            / statistics.median(without),
            "priority_over_plain_min": min(with_priority) / min(without),
            "cpu_without_priority_all_s": cpu_without, "cpu_with_priority_all_s": cpu_with,
            "cpu_priority_over_plain_median": statistics.median(cpu_with)
            / statistics.median(cpu_without),
            "cpu_priority_over_plain_min": min(cpu_with) / min(cpu_without)}


def one(n_pupils: int, seed: int, reference: bool, density: float = 1.0, repeat: int = 3,
        priority_share: float = 0.05) -> dict[str, Any]:
    """Measure one size (run in a fresh process)."""
    from stagebourse.cli.matching import matching
    from stagebourse.matching.costs import build_problem
    from stagebourse.matching.generate import generate_instance
    from stagebourse.matching.instance import instance_from_dict, instance_to_dict
    from stagebourse.matching.io import instance_sha256, load_json, result_to_dict, write_json
    from stagebourse.matching.mechanisms import run_mechanism
    from stagebourse.matching.solver import components

    out: dict[str, Any] = {"pupils": n_pupils, "seed": seed, "density": density}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "instance.json"
        result_path = Path(tmp) / "result.json"
        made = generate_instance(n_pupils, seed, density=density)
        write_json(path, instance_to_dict(made.instance))
        del made
        out["file_mb"] = round(path.stat().st_size / 2**20, 1)

        t0 = time.perf_counter()
        instance = instance_from_dict(load_json(path, "instance"))
        t1 = time.perf_counter()
        digest = instance_sha256(instance)
        t2 = time.perf_counter()
        problem = build_problem(instance)
        t3 = time.perf_counter()
        out.update(parse_s=t1 - t0, hash_s=t2 - t1, build_s=t3 - t2,
                   offers=len(instance.offers), slots=problem.n_slots,
                   seats=int(problem.slot_seats.sum()), triples=problem.n_arcs,
                   triples_per_pupil=round(problem.n_arcs / max(n_pupils, 1), 1),
                   components=components(problem).n_components)

        # ours and the reference alternate, `repeat` times each; medians are reported
        ours: list[float] = []
        refs: list[float] = []
        for _ in range(repeat):
            result = run_mechanism(instance, "optimal", problem=problem)
            ours.append(result.solve_seconds)
            if reference:
                ref_build, ref_solve, ref_cost = _plain_reference(problem)
                refs.append(ref_solve)
                if ref_cost != result.objective_units:
                    raise RuntimeError(f"objectives differ: {ref_cost} != "
                                       f"{result.objective_units}")
        t4 = time.perf_counter()
        write_json(result_path, result_to_dict(result, digest))
        t5 = time.perf_counter()
        out.update(solve_s=statistics.median(ours), solve_all_s=ours, write_s=t5 - t4,
                   placed=result.placed, objective_units=result.objective_units)
        if priority_share > 0:
            out.update(_priority_comparison(instance, problem, result, n_pupils, seed, density,
                                            repeat, priority_share))
        if reference:
            out.update(reference_build_s=ref_build, reference_solve_s=statistics.median(refs),
                       reference_all_s=refs, reference_objective_units=ref_cost,
                       objectives_equal=ref_cost == result.objective_units,
                       solve_over_reference=statistics.median(ours) / statistics.median(refs))
        del problem, result, instance

        # the whole command, file in -> file out, in this process
        t6 = time.perf_counter()
        matching.main(["solve", str(path), "-o", str(result_path)], standalone_mode=False)
        t7 = time.perf_counter()
        out["command_in_process_s"] = t7 - t6
        out["command_over_parse_build"] = (t7 - t6) / (out["parse_s"] + out["build_s"])

        # the command as its own program: wall time and peak memory
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "stagebourse.cli.matching", "solve",
                                 str(path), "-o", str(result_path)], cwd=ROOT,
                                stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        out["command_process_s"] = time.perf_counter() - start
        out["command_peak_mib"] = round(usage.ru_maxrss / 1024, 1)
        if status != 0:
            raise RuntimeError(f"solve command failed with status {status}")
    out["benchmark_peak_mib"] = round(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1500,20000,200000",
                        help="comma-separated numbers of pupils (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default: 1)")
    parser.add_argument("--density", type=float, default=1.0,
                        help="town density factor of the generator; feasible triples per "
                             "pupil grow about in proportion (default: 1)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="solve and reference runs per size; medians are reported")
    parser.add_argument("--no-reference", action="store_true",
                        help="skip the plain OR-Tools reference call")
    parser.add_argument("--priority-share", type=float, default=0.05,
                        help="share of pupils in priority class 1 for the priority comparison; "
                             "0 skips it (default: %(default)s)")
    parser.add_argument("--json", action="store_true", help="print raw figures as JSON lines")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(one(args.one, args.seed, not args.no_reference, args.density,
                             args.repeat, args.priority_share)))
        return
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        cmd = [sys.executable, __file__, "--one", str(size), "--seed", str(args.seed),
               "--density", str(args.density), "--repeat", str(args.repeat),
               "--priority-share", str(args.priority_share)]
        if args.no_reference:
            cmd.append("--no-reference")
        done = subprocess.run(cmd, check=True, capture_output=True, text=True)
        row = json.loads(done.stdout.strip().splitlines()[-1])
        rows.append(row)
        if args.json:
            print(json.dumps(row))
            continue
        print(f"\n{size:,} pupils ({row['offers']:,} offers, {row['seats']:,} seats, "
              f"{row['triples']:,} feasible triples = {row['triples_per_pupil']} per pupil, "
              f"{row['components']:,} components, file {row['file_mb']} MiB)")
        print(f"  parse + validate {row['parse_s']:7.2f} s   hash {row['hash_s']:5.2f} s   "
              f"build triples {row['build_s']:6.2f} s")
        print(f"  solve (optimal)  {row['solve_s']:7.2f} s   placed {row['placed']:,}   (median of "
              f"{', '.join(f'{x:.2f}' for x in row['solve_all_s'])})")
        if "reference_solve_s" in row:
            print(f"  plain OR-Tools   {row['reference_solve_s']:7.2f} s   (median of "
                  f"{', '.join(f'{x:.2f}' for x in row['reference_all_s'])})   objectives "
                  f"equal: {row['objectives_equal']}")
            print(f"  ratio ours/plain {row['solve_over_reference']:7.2f}     (target <= 0.5 at "
                  "20,000)")
        if "priority_pupils" in row:
            plain, prio = row["without_priority_all_s"], row["with_priority_all_s"]
            print(f"  with priorities  {statistics.median(prio):7.2f} s   against "
                  f"{statistics.median(plain):.2f} s without   (runs "
                  f"{', '.join(f'{x:.2f}' for x in prio)} / "
                  f"{', '.join(f'{x:.2f}' for x in plain)})")
            print(f"  ratio prio/plain {row['priority_over_plain_median']:7.2f} median, "
                  f"{row['priority_over_plain_min']:.2f} min   (target <= 1.2 at 20,000); "
                  f"{row['priority_pupils']:,} priority pupils, {row['priority_placed']:,} "
                  f"placed ({row['priority_placed_without']:,} without priority), same "
                  "number placed in all")
            print(f"  CPU time ratio   {row['cpu_priority_over_plain_median']:7.2f} median, "
                  f"{row['cpu_priority_over_plain_min']:.2f} min   (CPU s with "
                  f"{', '.join(f'{x:.2f}' for x in row['cpu_with_priority_all_s'])} / without "
                  f"{', '.join(f'{x:.2f}' for x in row['cpu_without_priority_all_s'])})")
        print(f"  solve command    {row['command_in_process_s']:7.2f} s in process = "
              f"{row['command_over_parse_build']:.2f} x parse+build (target <= 3)")
        print(f"  as a program     {row['command_process_s']:7.2f} s wall, peak "
              f"{row['command_peak_mib']:,} MiB (target at 200,000: < 60 s, < 4096 MiB)")


if __name__ == "__main__":
    main()
