"""Hypothesis strategies producing valid instance documents (small, with many ties)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

WEEKS = ("2027-W05", "2027-W06", "2027-W07")
SECTORS = ("sante", "commerce", "numerique")


@st.composite
def params_st(draw: st.DrawFn, tight_unassigned: bool = False) -> dict[str, Any]:
    ranks = sorted(draw(st.lists(st.sampled_from([0, 0, 50, 100, 220, 360, 520, 37.5, 1000]),
                                 min_size=5, max_size=5)))
    km_cost = draw(st.sampled_from([0, 1, 2.5, 10, 40]))
    unranked = draw(st.sampled_from([0, 300, 1000, 1200.25]))
    allow = draw(st.booleans())
    bound = max(ranks[-1], unranked if allow else 0) + km_cost * 15.0
    # with tight_unassigned, instance_st lowers it to just above the largest pair cost
    unassigned = max(100000, bound * 1000)
    return {"rank_costs": ranks, "allow_unranked": allow, "unranked_cost": unranked,
            "km_cost": km_cost, "unassigned_cost": unassigned,
            "seed": draw(st.integers(0, 2**32))}


# few distinct places, so that equal distances (and ties) are common
PLACES = [(50.357, 3.523), (50.36, 3.51), (50.38, 3.60), (50.30, 3.45), (50.41, 3.48)]


@st.composite
def instance_st(draw: st.DrawFn, max_pupils: int = 8, max_offers: int = 5,
                tight_unassigned: bool = False, priorities: bool = False) -> dict[str, Any]:
    """A valid instance document: format 1, or with ``priorities`` format 2 with pupils of
    classes 0, 1 and 2 (twins share their class too)."""
    params = draw(params_st(tight_unassigned))
    n_offers = draw(st.integers(0, max_offers))
    offers = []
    for j in range(n_offers):
        lat, lon = draw(st.sampled_from(PLACES))
        weeks = draw(st.lists(st.sampled_from(WEEKS), min_size=0, max_size=3, unique=True))
        offers.append({
            "id": f"o{j}", "sector": draw(st.sampled_from(SECTORS)), "lat": lat, "lon": lon,
            "levels": draw(st.sampled_from([["3e"], ["2de"], ["3e", "2de"]])),
            "min_age": draw(st.sampled_from([13, 14, 14, 15])),
            "accessible": draw(st.booleans()),
            "seats": {w: draw(st.integers(0, 3)) for w in weeks},
        })
    wish_pool = [f"sector:{s}" for s in SECTORS] + [f"offer:{o['id']}" for o in offers]
    n_pupils = draw(st.integers(0, max_pupils))
    pupils: list[dict[str, Any]] = []
    for i in range(n_pupils):
        if pupils and draw(st.integers(0, 3)) == 0:
            twin = dict(draw(st.sampled_from(pupils)))  # identical data, another id
            twin["id"] = f"p{i}"
            pupils.append(twin)
            continue
        lat, lon = draw(st.sampled_from(PLACES))
        pupils.append({
            "id": f"p{i}", "level": draw(st.sampled_from(["3e", "2de"])),
            "age": draw(st.sampled_from([13, 14, 15, 16])),
            "weeks": draw(st.lists(st.sampled_from(WEEKS), min_size=1, max_size=2,
                                   unique=True)),
            "lat": lat, "lon": lon,
            "max_km": draw(st.sampled_from([0.0, 2.5, 8.0, 12.0, 15.0])),
            "needs_accessible": draw(st.booleans()),
            "wishes": draw(st.lists(st.sampled_from(wish_pool), max_size=5, unique=True))
            if wish_pool else [],
        })
        if priorities:
            pupils[-1]["priority"] = draw(st.sampled_from([0, 0, 1, 1, 2]))
    if tight_unassigned:
        _tighten(draw, params, pupils)
    return {"format": "stagebourse-instance/2" if priorities else "stagebourse-instance/1",
            "params": params, "pupils": pupils, "offers": offers}


def _tighten(draw: st.DrawFn, params: dict[str, Any], pupils: list[dict[str, Any]]) -> None:
    """Lower unassigned_cost to just above the largest pair cost."""
    top = max(params["rank_costs"][-1], params["unranked_cost"] if params["allow_unranked"] else 0)
    top += params["km_cost"] * max((p["max_km"] for p in pupils), default=0.0)
    params["unassigned_cost"] = top + draw(st.sampled_from([0.5, 1, 10, 100]))


@st.composite
def contested_instance_st(draw: st.DrawFn, tight_unassigned: bool = False) -> dict[str, Any]:
    """Pupils of classes 0, 1 and 2 competing for a few seats within their reach (format 2):
    the priority classes decide who is placed, through chains of moves."""
    params = draw(params_st(tight_unassigned))
    offers = []
    for j in range(draw(st.integers(1, 2))):
        lat, lon = draw(st.sampled_from(PLACES))
        weeks = draw(st.lists(st.sampled_from(WEEKS[:2]), min_size=1, max_size=2, unique=True))
        offers.append({"id": f"o{j}", "sector": draw(st.sampled_from(SECTORS[:2])), "lat": lat,
                       "lon": lon, "levels": ["3e"], "min_age": 14, "accessible": True,
                       "seats": {w: draw(st.integers(1, 2)) for w in weeks}})
    wish_pool = [f"sector:{s}" for s in SECTORS[:2]] + [f"offer:{o['id']}" for o in offers]
    pupils = []
    for i in range(draw(st.integers(3, 8))):
        lat, lon = draw(st.sampled_from(PLACES))
        pupils.append({
            "id": f"p{i}", "level": "3e", "age": 14,
            "weeks": draw(st.lists(st.sampled_from(WEEKS[:2]), min_size=1, max_size=2,
                                   unique=True)),
            "lat": lat, "lon": lon, "max_km": draw(st.sampled_from([8.0, 12.0, 15.0])),
            "needs_accessible": False,
            "wishes": draw(st.lists(st.sampled_from(wish_pool), min_size=1, max_size=5,
                                    unique=True)),
            "priority": draw(st.sampled_from([0, 0, 1, 1, 2]))})
    if tight_unassigned:
        _tighten(draw, params, pupils)
    return {"format": "stagebourse-instance/2", "params": params, "pupils": pupils,
            "offers": offers}


#: settings of the property tests (no deadline: the machine is shared and noisy)
PROPERTY = settings(deadline=None, max_examples=150,
                    suppress_health_check=[HealthCheck.too_slow])
