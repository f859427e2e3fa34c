"""Distances, exact integer costs and the feasible (pupil, offer, week) triples.

Distances are great-circle (haversine) distances on a sphere of radius 6371.0 km, rounded to
the metre; costs are exact integers on a decimal grid (see :class:`CostScale`), so that the
optimum is computed and certified in exact arithmetic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from .instance import LEVELS, Instance, Params, cost_decimals

__all__ = [
    "EARTH_RADIUS_KM",
    "CostScale",
    "Problem",
    "build_problem",
    "cost_scale",
    "haversine_km",
]

EARTH_RADIUS_KM = 6371.0

IntArray = npt.NDArray[np.int64]
I32Array = npt.NDArray[np.int32]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]



def haversine_km(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> FloatArray:
    """Great-circle distance on a sphere of radius 6371.0 km (haversine formula).

    Parameters
    ----------
    lat1, lon1, lat2, lon2 : array_like
        Decimal degrees; broadcast together.

    Returns
    -------
    ndarray of float64
        Distances in kilometres.
    """
    p1 = np.radians(np.asarray(lat1, dtype=np.float64))
    p2 = np.radians(np.asarray(lat2, dtype=np.float64))
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2, dtype=np.float64) - np.asarray(lon1, dtype=np.float64))
    h = np.sin(dp / 2.0) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2.0) ** 2
    h = np.clip(h, 0.0, 1.0)
    return np.asarray(2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(h)), dtype=np.float64)


def distance_metres(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> IntArray:
    """Haversine distance rounded to the nearest metre (ties to even).

    This rounded distance is *the* distance of the model: it decides feasibility
    (``metres / 1000 <= max_km``) and enters the cost.

    Parameters
    ----------
    lat1, lon1, lat2, lon2 : array_like
        Decimal degrees.

    Returns
    -------
    ndarray of int64
    """
    return np.rint(haversine_km(lat1, lon1, lat2, lon2) * 1000.0).astype(np.int64)


@dataclass(frozen=True, slots=True)
class CostScale:
    """The exact integer cost grid of an instance.

    Every cost is an integer number of *units*; one unit is ``point_per_unit`` points
    (an exact fraction). With integer parameters and ``km_cost = 10``, one unit is
    0.01 point (10 points per km times 1 metre).

    Attributes
    ----------
    point_per_unit : Fraction
    rank_units : tuple of int
        ``rank_costs`` in units.
    unranked_units : int
    km_units_per_metre : int
    unassigned_units : int
    """

    point_per_unit: Fraction
    rank_units: tuple[int, ...]
    unranked_units: int
    km_units_per_metre: int
    unassigned_units: int

    def to_points(self, units: Any) -> FloatArray:
        """Convert integer units to points (float64, correctly rounded).

        Parameters
        ----------
        units : array_like of int

        Returns
        -------
        ndarray of float64
        """
        arr = np.asarray(units, dtype=np.int64)
        num, den = self.point_per_unit.numerator, self.point_per_unit.denominator
        if np.all(np.abs(arr) < 2**53 // max(num, 1)):
            return np.asarray((arr * num).astype(np.float64) / den, dtype=np.float64)
        return np.array([float(Fraction(int(u)) * self.point_per_unit) for u in arr.ravel()],
                        dtype=np.float64).reshape(arr.shape)

    def point_to_units(self, value: float) -> Fraction:
        """Exact number of units of a decimal value written in points (may be fractional).

        Parameters
        ----------
        value : float

        Returns
        -------
        Fraction
        """
        return Fraction(str(value)) / self.point_per_unit


def cost_scale(params: Params) -> CostScale:
    """Exact integer grid for the costs of ``params``.

    With ``d`` the number of decimals of the cost parameters, costs are first expressed in
    ``10**-(d+3)`` points (a rank cost is an integer there, and ``km_cost`` times a whole
    number of metres too), then divided by the greatest common divisor of all the
    coefficients so that the integers stay small.

    Parameters
    ----------
    params : Params

    Returns
    -------
    CostScale
    """
    d = cost_decimals(params)
    base = 10 ** (d + 3)

    def exact(value: float, factor: int) -> int:
        return int(round(Fraction(str(value)) * factor))

    ranks = [exact(c, base) for c in params.rank_costs]
    unranked = exact(params.unranked_cost, base)
    km = exact(params.km_cost, 10**d)  # per metre: km_cost * 10**d units of 10**-(d+3)
    unassigned = exact(params.unassigned_cost, base)
    g = 0
    for v in (*ranks, unranked, km, unassigned):
        g = math.gcd(g, v)
    g = max(g, 1)
    return CostScale(
        point_per_unit=Fraction(g, base),
        rank_units=tuple(v // g for v in ranks),
        unranked_units=unranked // g,
        km_units_per_metre=km // g,
        unassigned_units=unassigned // g,
    )


@dataclass(frozen=True, slots=True)
class Problem:
    """The feasible graph of an instance, as arrays.

    A *slot* is an (offer, week) with at least one seat. An *arc* is a feasible
    (pupil, slot) pair.

    Attributes
    ----------
    n_pupils, n_offers : int
    weeks : tuple of str
        All weeks of the instance, sorted; ``slot_week`` indexes it.
    slot_offer, slot_week : ndarray of int32
    slot_seats : ndarray of int64
    arc_pupil, arc_slot : ndarray of int32
    arc_rank : ndarray of int8
        1..5, or 0 for an unranked pair.
    arc_metres : ndarray of int64
        Rounded distance.
    arc_cost : ndarray of int64
        Exact cost in units of ``scale``.
    scale : CostScale
    pupil_priority : ndarray of int64
        Priority class of every pupil (0 = none).
    """

    n_pupils: int
    n_offers: int
    weeks: tuple[str, ...]
    slot_offer: I32Array
    slot_week: I32Array
    slot_seats: IntArray
    arc_pupil: I32Array
    arc_slot: I32Array
    arc_rank: npt.NDArray[np.int8]
    arc_metres: IntArray
    arc_cost: IntArray
    scale: CostScale
    pupil_priority: IntArray

    @property
    def n_slots(self) -> int:
        """Number of slots."""
        return int(self.slot_offer.shape[0])

    @property
    def n_arcs(self) -> int:
        """Number of feasible (pupil, slot) arcs."""
        return int(self.arc_pupil.shape[0])


def _unit_xyz(lat: FloatArray, lon: FloatArray) -> FloatArray:
    la, lo = np.radians(lat), np.radians(lon)
    return np.column_stack((np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)))


def _chord(max_km: FloatArray) -> FloatArray:
    # + 1 m: a distance rounded down to max_km is feasible
    angle = np.minimum((max_km + 0.001) / EARTH_RADIUS_KM, math.pi)
    return np.asarray(2.0 * np.sin(angle / 2.0) * (1.0 + 1e-9) + 1e-9, dtype=np.float64)


def _ball_pairs(tree: cKDTree, points: FloatArray, radii: FloatArray
                ) -> tuple[IntArray, IntArray]:
    """All (point, tree item) pairs whose chord is within the point's radius.

    Points are grouped in bands of similar radius; each band is matched against the tree
    in compiled code (``sparse_distance_matrix``) and filtered by each point's own radius.
    """
    rows: list[IntArray] = []
    cols: list[IntArray] = []
    if points.shape[0] == 0 or tree.n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy()
    order = np.argsort(radii, kind="stable")
    sorted_r = radii[order]
    start = 0
    while start < order.size:
        stop = int(np.searchsorted(sorted_r, sorted_r[start] * 1.25, side="right"))
        stop = max(stop, start + 1)
        band = order[start:stop]
        found = cKDTree(points[band]).sparse_distance_matrix(
            tree, max_distance=float(sorted_r[stop - 1]), output_type="ndarray")
        if found.shape[0]:
            i = found["i"].astype(np.int64)
            keep = found["v"] <= radii[band][i]
            rows.append(band[i[keep]])
            cols.append(found["j"][keep].astype(np.int64))
        start = stop
    if not rows:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy()
    return np.concatenate(rows), np.concatenate(cols)


@dataclass(frozen=True, slots=True)
class _Columns:
    p_lat: FloatArray
    p_lon: FloatArray
    p_max: FloatArray
    p_level: IntArray
    p_age: IntArray
    p_acc: BoolArray
    p_week: BoolArray
    o_lat: FloatArray
    o_lon: FloatArray
    o_levels: IntArray
    o_age: IntArray
    o_acc: BoolArray
    o_has_slot: BoolArray
    o_sector: IntArray
    sector_rank: npt.NDArray[np.int8]
    ow_key: IntArray  # pupil * n_offers + offer, sorted
    ow_rank: npt.NDArray[np.int8]
    impr_key: IntArray  # offer wishes better than the pupil's wish for the offer's sector
    impr_rank: npt.NDArray[np.int8]


#: Pupils handled at once when building triples (bounds the memory of candidates).
CHUNK_PUPILS = 20_000


def build_problem(instance: Instance, chunk: int = CHUNK_PUPILS) -> Problem:
    """Build the feasible triples and their exact costs (vectorised).

    (i, j, w) is feasible iff w is a week of pupil i and offer j has seats > 0 in w, the
    rounded distance is at most ``max_km``, j accepts i's level, i's age is at least j's
    minimum age, j is accessible when i needs it, and a wish of i names j or j's sector
    (unless ``allow_unranked``).

    Parameters
    ----------
    instance : Instance
    chunk : int, optional
        Number of pupils processed at once.

    Returns
    -------
    Problem
        Arcs sorted by pupil, then slot.
    """
    params = instance.params
    scale = cost_scale(params)
    pupils, offers = instance.pupils, instance.offers
    n, n_off = len(pupils), len(offers)

    weeks = tuple(sorted({w for p in pupils for w in p.weeks}
                         | {w for o in offers for w, s in o.seats if s > 0}))
    week_index = {w: k for k, w in enumerate(weeks)}
    n_weeks = len(weeks)

    slot_offer_l: list[int] = []
    slot_week_l: list[int] = []
    slot_seats_l: list[int] = []
    for j, o in enumerate(offers):
        for w, count in o.seats:
            if count > 0:
                slot_offer_l.append(j)
                slot_week_l.append(week_index[w])
                slot_seats_l.append(count)
    slot_offer = np.asarray(slot_offer_l, dtype=np.int32)
    slot_week = np.asarray(slot_week_l, dtype=np.int32)
    slot_seats = np.asarray(slot_seats_l, dtype=np.int64)
    slot_of = np.full((max(n_off, 1), max(n_weeks, 1)), -1, dtype=np.int64)
    slot_of[slot_offer, slot_week] = np.arange(slot_offer.shape[0], dtype=np.int64)

    cols = _columns(instance, week_index, slot_offer)
    rank_table = np.asarray((scale.unranked_units, *scale.rank_units), dtype=np.int64)
    trees = _Trees(cols)

    parts: list[tuple[IntArray, IntArray, npt.NDArray[np.int8], IntArray]] = []
    for start in range(0, n, max(chunk, 1)):
        rows = np.arange(start, min(n, start + chunk), dtype=np.int64)
        pi, pj, rank = _candidates(params.allow_unranked, cols, trees, rows, n_off)
        keep = ((cols.o_levels[pj] >> cols.p_level[pi]) & 1).astype(np.bool_)
        keep &= cols.p_age[pi] >= cols.o_age[pj]
        keep &= ~cols.p_acc[pi] | cols.o_acc[pj]
        pi, pj, rank = pi[keep], pj[keep], rank[keep]
        metres = distance_metres(cols.p_lat[pi], cols.p_lon[pi], cols.o_lat[pj], cols.o_lon[pj])
        keep = metres / 1000.0 <= cols.p_max[pi]
        pi, pj, rank, metres = pi[keep], pj[keep], rank[keep], metres[keep]
        take_l: list[IntArray] = []
        slot_l: list[IntArray] = []
        for wk in range(n_weeks):
            slot_w = slot_of[pj, wk]
            sel = np.flatnonzero(cols.p_week[pi, wk] & (slot_w >= 0))
            take_l.append(sel)
            slot_l.append(slot_w[sel])
        if not take_l:
            continue
        take = np.concatenate(take_l)
        chunk_slot = np.concatenate(slot_l)
        chunk_pupil = pi[take]
        order = np.lexsort((chunk_slot, chunk_pupil))
        take = take[order]
        parts.append((chunk_pupil[order], chunk_slot[order], rank[take], metres[take]))

    if parts:
        arc_pupil = np.concatenate([p[0] for p in parts]).astype(np.int32)
        arc_slot = np.concatenate([p[1] for p in parts]).astype(np.int32)
        arc_rank = np.concatenate([p[2] for p in parts]).astype(np.int8)
        arc_metres = np.concatenate([p[3] for p in parts]).astype(np.int64)
    else:
        arc_pupil = np.zeros(0, dtype=np.int32)
        arc_slot = np.zeros(0, dtype=np.int32)
        arc_rank = np.zeros(0, dtype=np.int8)
        arc_metres = np.zeros(0, dtype=np.int64)
    arc_cost = rank_table[arc_rank] + scale.km_units_per_metre * arc_metres
    return Problem(
        n_pupils=n,
        n_offers=n_off,
        weeks=weeks,
        slot_offer=slot_offer,
        slot_week=slot_week,
        slot_seats=slot_seats,
        arc_pupil=arc_pupil,
        arc_slot=arc_slot,
        arc_rank=arc_rank,
        arc_metres=arc_metres,
        arc_cost=arc_cost.astype(np.int64),
        scale=scale,
        pupil_priority=np.fromiter((p.priority for p in pupils), dtype=np.int64, count=n),
    )


def _columns(instance: Instance, week_index: dict[str, int], slot_offer: I32Array) -> _Columns:
    pupils, offers = instance.pupils, instance.offers
    n, n_off = len(pupils), len(offers)
    n_weeks = len(week_index)
    p_week = np.zeros((max(n, 1), max(n_weeks, 1)), dtype=np.bool_)
    for i, p in enumerate(pupils):
        for w in p.weeks:
            p_week[i, week_index[w]] = True
    o_has_slot = np.zeros(n_off, dtype=np.bool_)
    o_has_slot[slot_offer] = True
    sectors = sorted({o.sector for o in offers})
    sector_index = {s: k for k, s in enumerate(sectors)}
    o_sector = np.fromiter((sector_index[o.sector] for o in offers), dtype=np.int64, count=n_off)

    sector_rank = np.zeros((max(n, 1), max(len(sectors), 1)), dtype=np.int8)
    ow_pupil: list[int] = []
    ow_offer: list[int] = []
    ow_rank: list[int] = []
    for i, p in enumerate(pupils):
        for k, wish in enumerate(p.wishes, start=1):
            if wish.startswith("sector:"):
                code = sector_index.get(wish[7:])
                if code is not None and sector_rank[i, code] == 0:
                    sector_rank[i, code] = k
            else:
                ow_pupil.append(i)
                ow_offer.append(instance.offer_index(wish[6:]))
                ow_rank.append(k)
    owp = np.asarray(ow_pupil, dtype=np.int64)
    owo = np.asarray(ow_offer, dtype=np.int64)
    owr = np.asarray(ow_rank, dtype=np.int8)
    ow_key = owp * max(n_off, 1) + owo
    order = np.argsort(ow_key, kind="stable")
    ow_key, owr, owp, owo = ow_key[order], owr[order], owp[order], owo[order]
    srank = sector_rank[owp, o_sector[owo]] if owp.size else np.zeros(0, dtype=np.int8)
    better = (srank > 0) & (owr < srank)
    return _Columns(
        p_lat=np.fromiter((p.lat for p in pupils), dtype=np.float64, count=n),
        p_lon=np.fromiter((p.lon for p in pupils), dtype=np.float64, count=n),
        p_max=np.fromiter((p.max_km for p in pupils), dtype=np.float64, count=n),
        p_level=np.fromiter((LEVELS.index(p.level) for p in pupils), dtype=np.int64, count=n),
        p_age=np.fromiter((p.age for p in pupils), dtype=np.int64, count=n),
        p_acc=np.fromiter((p.needs_accessible for p in pupils), dtype=np.bool_, count=n),
        p_week=p_week,
        o_lat=np.fromiter((o.lat for o in offers), dtype=np.float64, count=n_off),
        o_lon=np.fromiter((o.lon for o in offers), dtype=np.float64, count=n_off),
        o_levels=np.fromiter((sum(1 << LEVELS.index(lv) for lv in o.levels) for o in offers),
                             dtype=np.int64, count=n_off),
        o_age=np.fromiter((o.min_age for o in offers), dtype=np.int64, count=n_off),
        o_acc=np.fromiter((o.accessible for o in offers), dtype=np.bool_, count=n_off),
        o_has_slot=o_has_slot,
        o_sector=o_sector,
        sector_rank=sector_rank,
        ow_key=ow_key,
        ow_rank=owr,
        impr_key=ow_key[better],
        impr_rank=owr[better],
    )


class _Trees:
    """k-d trees of offers (unit vectors), by (sector or -1 for all, level), built lazily."""

    def __init__(self, cols: _Columns) -> None:
        self.cols = cols
        self.o_xyz = _unit_xyz(cols.o_lat, cols.o_lon)
        self.cache: dict[tuple[int, int], tuple[cKDTree, IntArray]] = {}

    def get(self, sector: int, level: int) -> tuple[cKDTree, IntArray]:
        key = (sector, level)
        if key not in self.cache:
            c = self.cols
            ok = c.o_has_slot & (((c.o_levels >> level) & 1) == 1)
            if sector >= 0:
                ok &= c.o_sector == sector
            members = np.flatnonzero(ok)
            self.cache[key] = (cKDTree(self.o_xyz[members]), members)
        return self.cache[key]


def _lookup(keys: IntArray, values: npt.NDArray[np.int8], query: IntArray
            ) -> npt.NDArray[np.int8]:
    """values[k] where keys[k] == query, else 0 (keys sorted)."""
    if keys.size == 0 or query.size == 0:
        return np.zeros(query.size, dtype=np.int8)
    pos = np.clip(np.searchsorted(keys, query), 0, keys.size - 1)
    return np.where(keys[pos] == query, values[pos], 0).astype(np.int8)


def _candidates(allow_unranked: bool, cols: _Columns, trees: _Trees, rows: IntArray,
                n_off: int) -> tuple[IntArray, IntArray, npt.NDArray[np.int8]]:
    """(pupil, offer) pairs of the pupils ``rows`` within their radius, with their rank."""
    empty_i = np.zeros(0, dtype=np.int64)
    if rows.size == 0 or n_off == 0:
        return empty_i, empty_i.copy(), np.zeros(0, dtype=np.int8)
    p_xyz = _unit_xyz(cols.p_lat[rows], cols.p_lon[rows])
    radii = _chord(cols.p_max[rows])
    parts_i: list[IntArray] = []
    parts_j: list[IntArray] = []
    parts_r: list[npt.NDArray[np.int8]] = []

    if allow_unranked:
        for level in range(len(LEVELS)):
            who = np.flatnonzero(cols.p_level[rows] == level)
            tree, members = trees.get(-1, level)
            if who.size == 0 or members.size == 0:
                continue
            qi, qj = _ball_pairs(tree, p_xyz[who], radii[who])
            pi, pj = rows[who[qi]], members[qj]
            rank = cols.sector_rank[pi, cols.o_sector[pj]]
            r_off = _lookup(cols.ow_key, cols.ow_rank, pi * n_off + pj)
            rank = np.where((r_off > 0) & ((rank == 0) | (r_off < rank)), r_off, rank)
            parts_i.append(pi)
            parts_j.append(pj)
            parts_r.append(rank.astype(np.int8))
    else:
        # (A) sector wishes, against the offers of the sector accepting the pupil's level
        chunk_rank = cols.sector_rank[rows]
        for s in range(chunk_rank.shape[1]):
            for level in range(len(LEVELS)):
                who = np.flatnonzero((chunk_rank[:, s] > 0) & (cols.p_level[rows] == level))
                if who.size == 0:
                    continue
                tree, members = trees.get(s, level)
                if members.size == 0:
                    continue
                qi, qj = _ball_pairs(tree, p_xyz[who], radii[who])
                pi, pj = rows[who[qi]], members[qj]
                rank = cols.sector_rank[pi, s].copy()
                better = _lookup(cols.impr_key, cols.impr_rank, pi * n_off + pj)
                rank = np.where(better > 0, better, rank).astype(np.int8)
                parts_i.append(pi)
                parts_j.append(pj)
                parts_r.append(rank)
        # (B) offer wishes whose sector the pupil did not also name
        lo, hi = rows[0] * n_off, (rows[-1] + 1) * n_off
        a, b = np.searchsorted(cols.ow_key, [lo, hi])
        keys = cols.ow_key[a:b]
        if keys.size:
            bi, bj = keys // n_off, keys % n_off
            lone = (cols.sector_rank[bi, cols.o_sector[bj]] == 0) & cols.o_has_slot[bj]
            parts_i.append(bi[lone])
            parts_j.append(bj[lone])
            parts_r.append(cols.ow_rank[a:b][lone])
    if not parts_i:
        return empty_i, empty_i.copy(), np.zeros(0, dtype=np.int8)
    return np.concatenate(parts_i), np.concatenate(parts_j), np.concatenate(parts_r)
