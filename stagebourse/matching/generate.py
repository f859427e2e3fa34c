"""Realistic synthetic instances, for trying the engine and for the benchmark.

The geography imitates French urban areas: each *area* (an agglomeration such as
Valenciennes Métropole) has a core town and satellite towns, some with a priority
neighbourhood (QPV); schools sit in towns, pupils live around their school, companies
cluster in the towns (more in the core). About 20 sectors have skewed popularity, and wishes
are gender-stereotyped, so that the audit has something to show. 1,500 pupils make one
area; larger instances add areas (a département around 20,000 pupils, a national campaign
around 200,000), at least 35 km apart.

Group labels (gender, school, QPV residence, disability, family network) are returned
beside the instance, never inside it. A share of pupils can be given priority class 1 (pupils
turned away by a host in an earlier round), drawn apart from everything else, so that the
same seed gives the same instance with or without priorities.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from .instance import Instance, Offer, Params, Pupil, make_instance

__all__ = ["SECTORS", "GeneratedInstance", "generate_instance"]

#: (code, popularity among pupils, share of offers, share of girls among those who wish it)
SECTORS: tuple[tuple[str, float, float, float], ...] = (
    ("sante", 14.0, 8.0, 0.78),
    ("commerce", 9.0, 14.0, 0.55),
    ("numerique", 11.0, 6.0, 0.22),
    ("animaux", 8.0, 1.5, 0.80),
    ("sport", 9.0, 3.0, 0.35),
    ("education", 6.0, 6.0, 0.75),
    ("restauration", 5.0, 8.0, 0.45),
    ("btp", 4.0, 7.0, 0.10),
    ("industrie", 4.0, 9.0, 0.18),
    ("automobile", 5.0, 5.0, 0.08),
    ("administration", 3.0, 7.0, 0.60),
    ("banque-assurance", 3.0, 4.0, 0.50),
    ("beaute", 5.0, 3.0, 0.90),
    ("droit-justice", 4.0, 2.0, 0.65),
    ("securite", 3.0, 2.0, 0.30),
    ("social", 3.0, 4.0, 0.85),
    ("transport-logistique", 2.0, 5.0, 0.20),
    ("culture-medias", 4.0, 3.0, 0.55),
    ("environnement", 2.0, 2.0, 0.45),
    ("agriculture", 1.0, 1.5, 0.35),
)
WEEKS_3E = ("2027-W03", "2027-W04", "2027-W05", "2027-W06")
WEEKS_2DE = ("2027-W25", "2027-W26")
VALENCIENNES = (50.357, 3.523)
KM_PER_DEG_LAT = 111.2


@dataclass(frozen=True, slots=True)
class GeneratedInstance:
    """A synthetic instance and the audit labels that travel beside it.

    Attributes
    ----------
    instance : Instance
    groups : dict of str to dict of str to str
        ``groups[pupil_id][label]`` for labels ``gender``, ``school``, ``qpv``,
        ``disability``, ``network``.
    """

    instance: Instance
    groups: dict[str, dict[str, str]]


def _offset(lat: float, lon: float, dx_km: float, dy_km: float) -> tuple[float, float]:
    return (lat + dy_km / KM_PER_DEG_LAT,
            lon + dx_km / (KM_PER_DEG_LAT * math.cos(math.radians(lat))))


def generate_instance(n_pupils: int, seed: int, *, params: Params | None = None,
                      density: float = 1.0, priority_share: float = 0.0) -> GeneratedInstance:
    """Generate a realistic synthetic instance.

    Parameters
    ----------
    n_pupils : int
        Number of pupils (0 allowed).
    seed : int
        Seed of the generator; the instance's lottery seed is ``params.seed``.
    params : Params, optional
        Cost parameters; by default those of the public example with ``seed``.
    density : float, optional
        Towns are drawn ``1 / sqrt(density)`` times as far apart: the number of feasible
        triples per pupil grows roughly in proportion (about 35 at density 1).
    priority_share : float, optional
        Probability that a pupil has priority class 1 (0 by default: no priorities).

    Returns
    -------
    GeneratedInstance
    """
    if n_pupils < 0:
        raise ValueError(f"n_pupils: must be non-negative, got {n_pupils}")
    if not density > 0:
        raise ValueError(f"density: must be positive, got {density}")
    if not 0.0 <= priority_share <= 1.0:
        raise ValueError(f"priority_share: must be between 0 and 1, got {priority_share}")
    rng = np.random.default_rng(seed)
    if params is None:
        params = Params(seed=seed)
    codes = [s[0] for s in SECTORS]
    wish_pop = np.array([s[1] for s in SECTORS])
    offer_share = np.array([s[2] for s in SECTORS])
    girl_share = np.array([s[3] for s in SECTORS])
    wish_f = wish_pop * girl_share
    wish_f /= wish_f.sum()
    wish_m = wish_pop * (1 - girl_share)
    wish_m /= wish_m.sum()
    offer_share = offer_share / offer_share.sum()

    # areas: one per ~2,500 pupils, Zipf-like sizes, centres >= 35 km apart
    n_areas = max(1, round(n_pupils / 2500))
    weights = 1.0 / np.arange(1, n_areas + 1) ** 0.8
    sizes = np.floor(weights / weights.sum() * n_pupils).astype(np.int64)
    sizes[0] += n_pupils - int(sizes.sum())
    side = 45.0 * math.sqrt(n_areas)
    centres: list[tuple[float, float]] = [VALENCIENNES]
    while len(centres) < n_areas:
        dx, dy = rng.uniform(-side / 2, side / 2, size=2)
        cand = _offset(VALENCIENNES[0], VALENCIENNES[1], float(dx), float(dy))
        if all(_km(cand, c) >= 35.0 for c in centres):
            centres.append(cand)

    pupils: list[Pupil] = []
    offers: list[Offer] = []
    groups: dict[str, dict[str, str]] = {}
    school_no = 0
    for area, (centre, size) in enumerate(zip(centres, sizes, strict=True)):
        if size == 0 and area > 0:
            continue
        n_towns = int(min(30, 4 + size // 400))
        town_w = 1.0 / np.arange(1, n_towns + 1) ** 1.1
        town_w /= town_w.sum()
        towns = [centre]
        # larger areas spread further, at about the density of Valenciennes Métropole
        spread = max(1.0, math.sqrt(float(size) / 1500.0)) / math.sqrt(density)
        for _ in range(n_towns - 1):
            r, a = spread * rng.uniform(2.0, 9.0), rng.uniform(0, 2 * math.pi)
            towns.append(_offset(centre[0], centre[1], r * math.cos(a), r * math.sin(a)))
        qpv_town = rng.random(n_towns) < 0.5
        qpv_town[0] = True
        qpv_spot = [_offset(t[0], t[1], *rng.normal(0, 1.2, size=2)) for t in towns]

        # schools
        n_schools = max(3, int(size) // 160)
        s_town = rng.choice(n_towns, size=n_schools, p=town_w)
        s_rep = qpv_town[s_town] & (rng.random(n_schools) < 0.6)
        s_level = np.where(rng.random(n_schools) < 0.65, "3e", "2de")
        s_weeks: list[tuple[str, ...]] = []
        for lv in s_level:
            pool = WEEKS_3E if lv == "3e" else WEEKS_2DE
            k = 1 if rng.random() < 0.6 else 2
            s_weeks.append(tuple(sorted(rng.choice(pool, size=k, replace=False).tolist())))

        area_weeks: dict[str, set[str]] = {"3e": set(), "2de": set()}
        for lv, wks in zip(s_level, s_weeks, strict=True):
            area_weeks[str(lv)].update(wks)

        # offers first (pupils may name offers near them), until seats match pupils
        town_p = town_w ** 0.7 / (town_w ** 0.7).sum()
        first_offer = len(offers)
        o_loc = []
        total_seats = 0
        while total_seats < size:
            t = towns[int(rng.choice(n_towns, p=town_p))]
            lat, lon = _offset(t[0], t[1], *rng.normal(0, 2.0, size=2))
            o_loc.append((lat, lon))
            u = rng.random()
            levels = ("3e",) if u < 0.5 else ("2de",) if u < 0.65 else ("3e", "2de")
            # companies are asked for seats in the weeks the area's schools chose
            offered = sorted({w for lv in levels for w in area_weeks[lv]}) or [
                w for lv in levels for w in (WEEKS_3E if lv == "3e" else WEEKS_2DE)]
            chosen = [w for w in offered if rng.random() < 0.55] or [
                offered[int(rng.integers(len(offered)))]]
            seats = tuple((w, int(rng.choice([1, 1, 1, 2, 2, 3]))) for w in sorted(chosen))
            total_seats += sum(c for _, c in seats)
            min_age = int(rng.choice([14, 14, 14, 14, 14, 14, 15, 16]))
            sector = codes[int(rng.choice(len(codes), p=offer_share))]
            offers.append(Offer(id=f"o{len(offers) + 1}", sector=sector, lat=lat,
                                lon=lon, levels=levels, min_age=min_age,
                                accessible=bool(rng.random() < 0.55), seats=seats))
        o_lat = np.array([x[0] for x in o_loc])
        o_lon = np.array([x[1] for x in o_loc])

        # pupils
        p_school = rng.integers(0, n_schools, size=int(size))
        for k in range(int(size)):
            sc = int(p_school[k])
            town = int(s_town[sc])
            qpv = bool(s_rep[sc] and rng.random() < 0.7) or bool(
                qpv_town[town] and rng.random() < 0.15)
            base = qpv_spot[town] if qpv else towns[town]
            lat, lon = _offset(base[0], base[1], *rng.normal(0, 1.5 if qpv else 2.5, size=2))
            level = str(s_level[sc])
            age = int(rng.choice([13, 14, 14, 14, 14, 14, 15]) if level == "3e"
                      else rng.choice([15, 15, 15, 16, 16, 17]))
            gender = "F" if rng.random() < 0.5 else "M"
            disability = rng.random() < 0.04
            needs = bool(disability and rng.random() < 0.7)
            network = rng.random() < (0.12 if qpv else 0.45)
            max_km = float(round(rng.uniform(8.0, 12.0) if qpv else rng.uniform(9.0, 15.0), 1))
            pop = wish_f if gender == "F" else wish_m
            n_wish = int(rng.choice([3, 4, 4, 5, 5]))
            wishes: list[str] = []
            near = None
            while len(wishes) < n_wish:
                if rng.random() < 0.15:
                    if near is None:
                        d = np.hypot((o_lat - lat) * KM_PER_DEG_LAT,
                                     (o_lon - lon) * KM_PER_DEG_LAT
                                     * math.cos(math.radians(lat)))
                        near = np.flatnonzero(d < max_km)
                    if near.size:
                        w = f"offer:o{first_offer + int(rng.choice(near)) + 1}"
                    else:
                        continue
                else:
                    w = f"sector:{codes[int(rng.choice(len(codes), p=pop))]}"
                if w not in wishes:
                    wishes.append(w)
            pid = f"p{len(pupils) + 1}"
            pupils.append(Pupil(id=pid, level=level, age=age, weeks=s_weeks[sc], lat=lat,
                                lon=lon, max_km=max_km, needs_accessible=needs,
                                wishes=tuple(wishes)))
            groups[pid] = {
                "gender": gender,
                "school": f"school-{school_no + sc + 1:04d}",
                "qpv": "yes" if qpv else "no",
                "disability": "yes" if disability else "no",
                "network": "yes" if network else "no",
            }
        school_no += n_schools
    if priority_share > 0:
        # a stream of its own: the rest of the instance does not depend on the share
        draws = np.random.default_rng([seed, 1]).random(len(pupils)).tolist()
        pupils = [replace(p, priority=1) if u < priority_share else p
                  for p, u in zip(pupils, draws, strict=True)]
    return GeneratedInstance(instance=make_instance(params, pupils, offers), groups=groups)


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    dy = (a[0] - b[0]) * KM_PER_DEG_LAT
    dx = (a[1] - b[1]) * KM_PER_DEG_LAT * math.cos(math.radians((a[0] + b[0]) / 2))
    return math.hypot(dx, dy)
