"""Fairness audit of an assignment, by group, with the counterfactual mechanisms beside it.

For every categorical label (gender, school, QPV residence, disability, network...) and
every value of it, the audit reports the group's size, placement rate, share with wish 1,
share with any wish, mean rank obtained, mean and 90th-percentile distance. For each group
it gives the gap with the rest of the pupils and a 95% interval: Newcombe's hybrid score
interval (from Wilson intervals) for differences of proportions, Welch's normal interval for
differences of mean distances. For the ``gender`` label it compares, sector by sector, the
share of each gender among the pupils placed in the sector with its share among the pupils
who wished it (index > 1: over-represented), with the counts behind both shares (whoever
publishes them puts them through small-cell suppression). The same tables are computed for the
counterfactual mechanisms (``fcfs``, ``network-first``) on the same pupils and seed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from .mechanisms import MatchResult

__all__ = ["Z95", "audit", "diff_interval", "mean_diff_interval", "render_audit",
           "wilson_interval"]

Z95 = 1.959963984540054
IntArray = npt.NDArray[np.int64]


def wilson_interval(successes: int, total: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion.

    Parameters
    ----------
    successes, total : int
    z : float, optional

    Returns
    -------
    tuple of float
        ``(low, high)``; ``(nan, nan)`` when ``total`` is 0.
    """
    if total == 0:
        return math.nan, math.nan
    p = successes / total
    denom = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denom
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def diff_interval(x1: int, n1: int, x2: int, n2: int, z: float = Z95
                  ) -> tuple[float, float, float]:
    """Difference of two proportions with Newcombe's hybrid score interval (method 10).

    Parameters
    ----------
    x1, n1, x2, n2 : int
        Successes and totals of the two groups.
    z : float, optional

    Returns
    -------
    tuple of float
        ``(p1 - p2, low, high)``; NaNs when a group is empty.
    """
    if n1 == 0 or n2 == 0:
        return math.nan, math.nan, math.nan
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson_interval(x1, n1, z)
    l2, u2 = wilson_interval(x2, n2, z)
    d = p1 - p2
    return (d, d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
            d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2))


def mean_diff_interval(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64],
                       z: float = Z95) -> tuple[float, float, float]:
    """Difference of two means with Welch's normal-approximation interval.

    Parameters
    ----------
    a, b : ndarray of float
    z : float, optional

    Returns
    -------
    tuple of float
        ``(mean(a) - mean(b), low, high)``; NaNs when a sample has fewer than 2 values.
    """
    if a.size < 2 or b.size < 2:
        return math.nan, math.nan, math.nan
    d = float(a.mean() - b.mean())
    se = math.sqrt(float(a.var(ddof=1)) / a.size + float(b.var(ddof=1)) / b.size)
    return d, d - z * se, d + z * se


def _nan(x: float) -> float | None:
    return None if math.isnan(x) else round(x, 6)


def _metrics(mask: npt.NDArray[np.bool_], placed: npt.NDArray[np.bool_],
             rank: IntArray, km: npt.NDArray[np.float64]) -> dict[str, Any]:
    size = int(mask.sum())
    got = mask & placed
    n_placed = int(got.sum())
    ranked = got & (rank > 0)
    dist = km[got]
    return {
        "size": size,
        "placed": n_placed,
        "placement_rate": _nan(n_placed / size if size else math.nan),
        "wish1_share": _nan(int((got & (rank == 1)).sum()) / size if size else math.nan),
        "any_wish_share": _nan(int(ranked.sum()) / size if size else math.nan),
        "mean_rank": _nan(float(rank[ranked].mean()) if ranked.any() else math.nan),
        "mean_km": _nan(float(dist.mean()) if dist.size else math.nan),
        "p90_km": _nan(float(np.percentile(dist, 90)) if dist.size else math.nan),
    }


def _gaps(mask: npt.NDArray[np.bool_], placed: npt.NDArray[np.bool_], rank: IntArray,
          km: npt.NDArray[np.float64]) -> dict[str, Any]:
    rest = ~mask
    out: dict[str, Any] = {}
    for name, success in (("placement_rate", placed), ("wish1_share", placed & (rank == 1)),
                          ("any_wish_share", placed & (rank > 0))):
        d, lo, hi = diff_interval(int((mask & success).sum()), int(mask.sum()),
                                  int((rest & success).sum()), int(rest.sum()))
        out[name] = {"gap": _nan(d), "low": _nan(lo), "high": _nan(hi)}
    d, lo, hi = mean_diff_interval(km[mask & placed], km[rest & placed])
    out["mean_km"] = {"gap": _nan(d), "low": _nan(lo), "high": _nan(hi)}
    return out


def _columns(result: MatchResult) -> tuple[npt.NDArray[np.bool_], IntArray,
                                           npt.NDArray[np.float64], IntArray]:
    pb = result.problem
    placed = result.choice >= 0
    arcs = result.choice[placed]
    rank = np.zeros(pb.n_pupils, dtype=np.int64)
    rank[placed] = pb.arc_rank[arcs]
    km = np.full(pb.n_pupils, np.nan)
    km[placed] = pb.arc_metres[arcs] / 1000.0
    sector = np.full(pb.n_pupils, -1, dtype=np.int64)
    sector[placed] = pb.slot_offer[pb.arc_slot[arcs]]
    return placed, rank, km, sector


def _gender_sector(result: MatchResult, values: Sequence[str]) -> list[dict[str, Any]]:
    inst = result.instance
    placed, _, _, offer = _columns(result)
    sectors = sorted({o.sector for o in inst.offers})
    offer_sector = [o.sector for o in inst.offers]
    genders = sorted(set(values))
    wished: dict[str, dict[str, int]] = {s: dict.fromkeys(genders, 0) for s in sectors}
    got: dict[str, dict[str, int]] = {s: dict.fromkeys(genders, 0) for s in sectors}
    for k, p in enumerate(inst.pupils):
        named = set()
        for wish in p.wishes:
            if wish.startswith("sector:"):
                named.add(wish[7:])
            else:
                named.add(offer_sector[inst.offer_index(wish[6:])])
        for s in named & set(sectors):
            wished[s][values[k]] += 1
        if placed[k]:
            got[offer_sector[int(offer[k])]][values[k]] += 1
    rows = []
    for s in sectors:
        w_total, g_total = sum(wished[s].values()), sum(got[s].values())
        row: dict[str, Any] = {"sector": s, "wished": w_total, "placed": g_total, "by": {}}
        for g in genders:
            ws = wished[s][g] / w_total if w_total else math.nan
            gs = got[s][g] / g_total if g_total else math.nan
            row["by"][g] = {"wish_share": _nan(ws), "placed_share": _nan(gs),
                            "index": _nan(gs / ws if ws and not math.isnan(gs) else math.nan),
                            "wished": wished[s][g], "placed": got[s][g]}
        rows.append(row)
    return rows


def audit(results: Sequence[MatchResult], groups: Mapping[str, Mapping[str, str]] | None
          ) -> dict[str, Any]:
    """Audit tables for one or more mechanisms run on the same instance.

    Parameters
    ----------
    results : sequence of MatchResult
        The audited result first, then the counterfactuals.
    groups : mapping or None
        ``groups[pupil_id][label] = value``; pupils without a label are counted as
        ``"(missing)"``.

    Returns
    -------
    dict
        JSON-serialisable: ``{"mechanisms": [...], "overall": {...}, "labels": {...},
        "gender_sector": {...}}``.
    """
    if not results:
        raise ValueError("results: at least one result is needed")
    inst = results[0].instance
    ids = [p.id for p in inst.pupils]
    labels: list[str] = []
    for row in (groups or {}).values():
        for label in row:
            if label not in labels:
                labels.append(label)
    out: dict[str, Any] = {"mechanisms": [r.mechanism for r in results], "overall": {},
                           "labels": {}, "gender_sector": {}}
    cols = {r.mechanism: _columns(r) for r in results}
    everyone = np.ones(len(ids), dtype=np.bool_)
    for r in results:
        placed, rank, km, _ = cols[r.mechanism]
        out["overall"][r.mechanism] = _metrics(everyone, placed, rank, km)
        out["overall"][r.mechanism]["objective"] = r.objective
    for label in labels:
        values = [(groups or {}).get(pid, {}).get(label, "") or "(missing)" for pid in ids]
        arr = np.asarray(values, dtype=object)
        table: dict[str, Any] = {}
        for value in sorted(set(values)):
            mask = np.asarray(arr == value, dtype=np.bool_)
            table[value] = {}
            for r in results:
                placed, rank, km, _ = cols[r.mechanism]
                entry = _metrics(mask, placed, rank, km)
                entry["gap_vs_rest"] = _gaps(mask, placed, rank, km)
                table[value][r.mechanism] = entry
        out["labels"][label] = table
        if label == "gender":
            for r in results:
                out["gender_sector"][r.mechanism] = _gender_sector(r, values)
    return out


def _pct(x: Any) -> str:
    return "  -  " if x is None else f"{100 * x:5.1f}"


def _num(x: Any, fmt: str = "5.2f") -> str:
    return "  -  " if x is None else format(x, fmt)


def _gap(g: Mapping[str, Any], scale: float = 100.0) -> str:
    if g["gap"] is None:
        return "-"
    return f"{scale * g['gap']:+.1f} [{scale * g['low']:+.1f}, {scale * g['high']:+.1f}]"


def _cell(a: str, b: str, c: str, width: int) -> str:
    return f"{a} /{b} /{c}".rjust(width)


def render_audit(report: Mapping[str, Any]) -> str:
    """Plain-text tables of an :func:`audit` report.

    Parameters
    ----------
    report : mapping

    Returns
    -------
    str
    """
    mechs: list[str] = list(report["mechanisms"])
    lines = ["Overall"]
    lines.append(f"  {'mechanism':<14}{'pupils':>8}{'placed %':>10}{'wish 1 %':>10}"
                 f"{'any wish %':>12}{'mean rank':>11}{'mean km':>9}{'p90 km':>8}")
    for m in mechs:
        o = report["overall"][m]
        lines.append(f"  {m:<14}{o['size']:>8}{_pct(o['placement_rate']):>10}"
                     f"{_pct(o['wish1_share']):>10}{_pct(o['any_wish_share']):>12}"
                     f"{_num(o['mean_rank']):>11}{_num(o['mean_km']):>9}{_num(o['p90_km']):>8}")
    for label, table in report["labels"].items():
        lines.append("")
        lines.append(f"By {label} ({mechs[0]}; gap = group minus rest, 95% interval)")
        lines.append(f"  {'group':<16}{'size':>7}{'placed %':>10}{'wish 1 %':>10}"
                     f"{'any wish %':>12}{'mean rank':>11}{'mean km':>9}{'p90 km':>8}"
                     f"  {'placement gap (points)':<28}{'mean km gap'}")
        for value, per in table.items():
            e = per[mechs[0]]
            g = e["gap_vs_rest"]
            lines.append(f"  {value:<16}{e['size']:>7}{_pct(e['placement_rate']):>10}"
                         f"{_pct(e['wish1_share']):>10}{_pct(e['any_wish_share']):>12}"
                         f"{_num(e['mean_rank']):>11}{_num(e['mean_km']):>9}"
                         f"{_num(e['p90_km']):>8}  {_gap(g['placement_rate']):<28}"
                         f"{_gap(g['mean_km'], 1.0)}")
        if len(mechs) > 1:
            lines.append("  side by side: placed % / wish 1 % / mean km per mechanism")
            lines.append("  " + f"{'group':<16}" + "".join(f"{m:>24}" for m in mechs))
            for value, per in table.items():
                cells = "".join(_cell(_pct(per[m]["placement_rate"]), _pct(per[m]["wish1_share"]),
                                      _num(per[m]["mean_km"], "5.1f"), 24) for m in mechs)
                lines.append(f"  {value:<16}{cells}")
    for mech, rows in report["gender_sector"].items():
        lines.append("")
        lines.append(f"Gender x sector ({mech}): share among pupils placed vs among pupils who "
                     "wished the sector (index > 1: over-represented)")
        if not rows:
            continue
        genders = list(rows[0]["by"])
        lines.append(f"  {'sector':<22}{'wished':>7}{'placed':>7}"
                     + "".join(f"{g + ' wish/placed/index':>26}" for g in genders))
        for row in rows:
            cells = "".join(_cell(_pct(row["by"][g]["wish_share"]),
                                  _pct(row["by"][g]["placed_share"]),
                                  _num(row["by"][g]["index"]), 26) for g in genders)
            lines.append(f"  {row['sector']:<22}{row['wished']:>7}{row['placed']:>7}{cells}")
    return "\n".join(lines) + "\n"
