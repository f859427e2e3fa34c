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

_CHUNK = 16384


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
    """All (point, tree item) pairs within each point's radius, in chunks."""
    rows: list[IntArray] = []
    cols: list[IntArray] = []
    for start in range(0, points.shape[0], _CHUNK):
        found = tree.query_ball_point(points[start:start + _CHUNK],
                                      r=radii[start:start + _CHUNK], return_sorted=False)
        lengths = np.fromiter((len(f) for f in found), dtype=np.int64, count=len(found))
        total = int(lengths.sum())
        if total == 0:
            continue
        flat = np.fromiter((j for f in found for j in f), dtype=np.int64, count=total)
        rows.append(np.repeat(np.arange(start, start + len(found), dtype=np.int64), lengths))
        cols.append(flat)
    if not rows:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy()
    return np.concatenate(rows), np.concatenate(cols)


def build_problem(instance: Instance) -> Problem:
    """Build the feasible triples and their exact costs (vectorised).

    (i, j, w) is feasible iff w is a week of pupil i and offer j has seats > 0 in w, the
    rounded distance is at most ``max_km``, j accepts i's level, i's age is at least j's
    minimum age, j is accessible when i needs it, and a wish of i names j or j's sector
    (unless ``allow_unranked``).

    Parameters
    ----------
    instance : Instance

    Returns
    -------
    Problem
    """
    params = instance.params
    scale = cost_scale(params)
    pupils, offers = instance.pupils, instance.offers
    n, n_off = len(pupils), len(offers)

    weeks = tuple(sorted({w for p in pupils for w in p.weeks}
                         | {w for o in offers for w, s in o.seats if s > 0}))
    week_index = {w: k for k, w in enumerate(weeks)}
    n_weeks = len(weeks)

    # slots
    slot_offer_l: list[int] = []
    slot_week_l: list[int] = []
    slot_seats_l: list[int] = []
    for j, o in enumerate(offers):
        for w, s in o.seats:
            if s > 0:
                slot_offer_l.append(j)
                slot_week_l.append(week_index[w])
                slot_seats_l.append(s)
    slot_offer = np.asarray(slot_offer_l, dtype=np.int32)
    slot_week = np.asarray(slot_week_l, dtype=np.int32)
    slot_seats = np.asarray(slot_seats_l, dtype=np.int64)
    slot_of = np.full((max(n_off, 1), max(n_weeks, 1)), -1, dtype=np.int64)
    slot_of[slot_offer, slot_week] = np.arange(slot_offer.shape[0], dtype=np.int64)

    # pupil and offer columns
    p_lat = np.fromiter((p.lat for p in pupils), dtype=np.float64, count=n)
    p_lon = np.fromiter((p.lon for p in pupils), dtype=np.float64, count=n)
    p_max = np.fromiter((p.max_km for p in pupils), dtype=np.float64, count=n)
    p_level = np.fromiter((LEVELS.index(p.level) for p in pupils), dtype=np.int64, count=n)
    p_age = np.fromiter((p.age for p in pupils), dtype=np.int64, count=n)
    p_acc = np.fromiter((p.needs_accessible for p in pupils), dtype=np.bool_, count=n)
    p_week = np.zeros((max(n, 1), max(n_weeks, 1)), dtype=np.bool_)
    for i, p in enumerate(pupils):
        for w in p.weeks:
            p_week[i, week_index[w]] = True
    o_lat = np.fromiter((o.lat for o in offers), dtype=np.float64, count=n_off)
    o_lon = np.fromiter((o.lon for o in offers), dtype=np.float64, count=n_off)
    o_levels = np.fromiter((sum(1 << LEVELS.index(lv) for lv in o.levels) for o in offers),
                           dtype=np.int64, count=n_off)
    o_age = np.fromiter((o.min_age for o in offers), dtype=np.int64, count=n_off)
    o_acc = np.fromiter((o.accessible for o in offers), dtype=np.bool_, count=n_off)
    o_has_slot = np.zeros(n_off, dtype=np.bool_)
    o_has_slot[slot_offer] = True
    sectors = sorted({o.sector for o in offers})
    sector_index = {s: k for k, s in enumerate(sectors)}
    o_sector = np.fromiter((sector_index[o.sector] for o in offers), dtype=np.int64, count=n_off)

    # wishes: sector rank table and offer wishes
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

    # candidate (pupil, offer) pairs with their rank
    pair_i, pair_j, pair_rank = _candidates(
        params.allow_unranked, p_lat, p_lon, p_max, o_lat, o_lon, o_has_slot, o_sector,
        sector_rank, owp, owo, owr, n_off)

    # level, age, accessibility
    keep = ((o_levels[pair_j] >> p_level[pair_i]) & 1).astype(np.bool_)
    keep &= p_age[pair_i] >= o_age[pair_j]
    keep &= ~p_acc[pair_i] | o_acc[pair_j]
    pair_i, pair_j, pair_rank = pair_i[keep], pair_j[keep], pair_rank[keep]
    # exact distance
    metres = distance_metres(p_lat[pair_i], p_lon[pair_i], o_lat[pair_j], o_lon[pair_j])
    keep = metres / 1000.0 <= p_max[pair_i]
    pair_i, pair_j, pair_rank, metres = pair_i[keep], pair_j[keep], pair_rank[keep], metres[keep]

    # weeks
    parts_i: list[IntArray] = []
    parts_s: list[IntArray] = []
    parts_k: list[IntArray] = []
    for wk in range(n_weeks):
        slot_w = slot_of[pair_j, wk]
        sel = np.flatnonzero(p_week[pair_i, wk] & (slot_w >= 0))
        parts_i.append(pair_i[sel])
        parts_s.append(slot_w[sel])
        parts_k.append(sel)
    if parts_k:
        take = np.concatenate(parts_k)
        arc_pupil = np.concatenate(parts_i)
        arc_slot = np.concatenate(parts_s)
    else:
        take = np.zeros(0, dtype=np.int64)
        arc_pupil = take.copy()
        arc_slot = take.copy()
    order = np.lexsort((arc_slot, arc_pupil))
    arc_pupil, arc_slot, take = arc_pupil[order], arc_slot[order], take[order]
    arc_rank = pair_rank[take].astype(np.int8)
    arc_metres = metres[take]

    rank_table = np.asarray((scale.unranked_units, *scale.rank_units), dtype=np.int64)
    arc_cost = rank_table[arc_rank] + scale.km_units_per_metre * arc_metres
    return Problem(
        n_pupils=n,
        n_offers=n_off,
        weeks=weeks,
        slot_offer=slot_offer,
        slot_week=slot_week,
        slot_seats=slot_seats,
        arc_pupil=arc_pupil.astype(np.int32),
        arc_slot=arc_slot.astype(np.int32),
        arc_rank=arc_rank,
        arc_metres=arc_metres.astype(np.int64),
        arc_cost=arc_cost.astype(np.int64),
        scale=scale,
    )


def _candidates(allow_unranked: bool, p_lat: FloatArray, p_lon: FloatArray, p_max: FloatArray,
                o_lat: FloatArray, o_lon: FloatArray, o_has_slot: BoolArray,
                o_sector: IntArray, sector_rank: npt.NDArray[np.int8], owp: IntArray,
                owo: IntArray, owr: npt.NDArray[np.int8], n_off: int
                ) -> tuple[IntArray, IntArray, npt.NDArray[np.int8]]:
    """Unique (pupil, offer) pairs within the pupil's radius, with their wish rank."""
    n = p_lat.shape[0]
    empty_i = np.zeros(0, dtype=np.int64)
    if n == 0 or n_off == 0:
        return empty_i, empty_i.copy(), np.zeros(0, dtype=np.int8)
    p_xyz = _unit_xyz(p_lat, p_lon)
    o_xyz = _unit_xyz(o_lat, o_lon)
    radii = _chord(p_max)
    impr_key = np.zeros(0, dtype=np.int64)
    impr_rank = np.zeros(0, dtype=np.int8)
    if owp.size:
        srank = sector_rank[owp, o_sector[owo]]
        better = (srank > 0) & (owr < srank)
        impr_key = owp[better] * n_off + owo[better]
        impr_rank = owr[better]
        ordr = np.argsort(impr_key, kind="stable")
        impr_key, impr_rank = impr_key[ordr], impr_rank[ordr]

    if allow_unranked:
        live = np.flatnonzero(o_has_slot)
        tree = cKDTree(o_xyz[live])
        pi, pj = _ball_pairs(tree, p_xyz, radii)
        pj = live[pj]
        rank = sector_rank[pi, o_sector[pj]]
        if owp.size:
            # every offer wish improves (or sets) the rank of its pair
            keys = owp * n_off + owo
            ordr = np.argsort(keys, kind="stable")
            keys, kr = keys[ordr], owr[ordr]
            pk = pi * n_off + pj
            pos = np.clip(np.searchsorted(keys, pk), 0, keys.shape[0] - 1)
            hit = keys[pos] == pk
            r_off = np.where(hit, kr[pos], 0).astype(np.int8)
            rank = np.where((r_off > 0) & ((rank == 0) | (r_off < rank)), r_off, rank)
        return pi, pj, rank.astype(np.int8)

    parts_i: list[IntArray] = []
    parts_j: list[IntArray] = []
    parts_r: list[npt.NDArray[np.int8]] = []
    # (A) sector wishes: per sector, pupils naming it against its offers
    for s in range(sector_rank.shape[1]):
        who = np.flatnonzero(sector_rank[:, s])
        members = np.flatnonzero((o_sector == s) & o_has_slot)
        if who.size == 0 or members.size == 0:
            continue
        tree = cKDTree(o_xyz[members])
        qi, qj = _ball_pairs(tree, p_xyz[who], radii[who])
        pi, pj = who[qi], members[qj]
        rank = sector_rank[pi, s].copy()
        if impr_key.size:
            pk = pi * n_off + pj
            pos = np.clip(np.searchsorted(impr_key, pk), 0, impr_key.shape[0] - 1)
            hit = impr_key[pos] == pk
            rank[hit] = impr_rank[pos[hit]]
        parts_i.append(pi)
        parts_j.append(pj)
        parts_r.append(rank)
    # (B) offer wishes whose sector the pupil did not also name
    if owp.size:
        lone = (sector_rank[owp, o_sector[owo]] == 0) & o_has_slot[owo]
        bi, bj = owp[lone], owo[lone]
        d = haversine_km(p_lat[bi], p_lon[bi], o_lat[bj], o_lon[bj])
        near = d <= p_max[bi] + 1e-3  # exact test follows on rounded metres
        parts_i.append(bi[near])
        parts_j.append(bj[near])
        parts_r.append(owr[lone][near])
    if not parts_i:
        return empty_i, empty_i.copy(), np.zeros(0, dtype=np.int8)
    return np.concatenate(parts_i), np.concatenate(parts_j), np.concatenate(parts_r)
