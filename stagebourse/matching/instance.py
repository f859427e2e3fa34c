"""Instance types and validation of the public ``stagebourse-instance`` format.

The instance is *blind*: it holds a pseudonymous pupil id, the pupil's level, age, weeks,
location, travel limit, accessibility need, wishes and priority class, and nothing else.
Group labels used by the audit travel beside it (see :mod:`stagebourse.matching.audit`),
never inside it.

Two versions are read: ``stagebourse-instance/2`` (current; every pupil has a ``priority``)
and ``stagebourse-instance/1`` (no ``priority`` field: every pupil is of class 0). An instance
remembers the version it was read in and is written back in it, so that its hash is the hash
of the file it came from.

Every defect is reported by one :class:`InstanceError` whose message names the field and the
item, for example ``pupils[3] (id "p4").weeks[0]: "2027-W54" is not an ISO week``.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "INSTANCE_FORMAT",
    "INSTANCE_FORMAT_V1",
    "LEVELS",
    "MAX_PRIORITY",
    "MAX_WISHES",
    "Instance",
    "InstanceError",
    "Offer",
    "Params",
    "Pupil",
    "instance_from_dict",
    "instance_to_dict",
    "make_instance",
]

#: The version written for new instances: pupils carry a priority class.
INSTANCE_FORMAT = "stagebourse-instance/2"
#: The first version, still read (and written back unchanged): no priority classes.
INSTANCE_FORMAT_V1 = "stagebourse-instance/1"
#: Largest priority class (0 = no priority; a higher class is served first).
MAX_PRIORITY = 9
LEVELS: tuple[str, ...] = ("3e", "2de")
MAX_WISHES = 5
N_RANK_COSTS = 5
#: Largest number of decimal places accepted in a cost parameter (costs are exact integers
#: in units of ``10**-(decimals + 3)`` points, see ``docs/matching.md``).
MAX_COST_DECIMALS = 6
#: Largest cost parameter accepted, in points; keeps every sum exact in 64-bit integers.
MAX_COST_PARAM = 1e9
#: Largest ``max_km`` accepted: half the circumference of the sphere.
MAX_KM = 20015.0
MAX_AGE = 99
#: Largest seed: integers above 2**53 are not exact in JSON (RFC 7493).
MAX_SEED = 2**53 - 1

_WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")
_PARAM_FIELDS = ("rank_costs", "allow_unranked", "unranked_cost", "km_cost", "unassigned_cost",
                 "seed")
_PUPIL_FIELDS_V1 = ("id", "level", "age", "weeks", "lat", "lon", "max_km", "needs_accessible",
                    "wishes")
_PUPIL_FIELDS = (*_PUPIL_FIELDS_V1, "priority")
_OFFER_FIELDS = ("id", "sector", "lat", "lon", "levels", "min_age", "accessible", "seats")


class InstanceError(ValueError):
    """A defect in an instance or result: one message naming the field and the item.

    Parameters
    ----------
    message : str
        The full human-readable message, e.g.
        ``offers[0] (id "o12").seats["2027-W05"]: must be a non-negative integer, got -1``.
    """


@dataclass(frozen=True, slots=True)
class Params:
    """Cost parameters and lottery seed of one matching run.

    Attributes
    ----------
    rank_costs : tuple of float
        Cost of obtaining the wish ranked 1..5; five non-negative, non-decreasing numbers.
    allow_unranked : bool
        Whether a feasible pair that no wish names may be used.
    unranked_cost : float
        Cost of such an unranked pair (before travel).
    km_cost : float
        Cost per kilometre of great-circle distance.
    unassigned_cost : float
        Cost of leaving a pupil without a seat; must exceed every pair cost.
    seed : int
        Seed of the tie-breaking lottery (and of the counterfactual application orders).
    """

    rank_costs: tuple[float, ...] = (0.0, 100.0, 220.0, 360.0, 520.0)
    allow_unranked: bool = False
    unranked_cost: float = 1000.0
    km_cost: float = 10.0
    unassigned_cost: float = 100000.0
    seed: int = 0


@dataclass(frozen=True, slots=True)
class Pupil:
    """One pupil as the matcher sees it: pseudonymous and blind.

    Attributes
    ----------
    id : str
        Pseudonymous identifier, unique in the instance.
    level : str
        ``"3e"`` or ``"2de"``.
    age : int
        Age in whole years on the first day of the internship.
    weeks : tuple of str
        ISO weeks (``YYYY-Www``) the pupil's school allows.
    lat, lon : float
        Location in decimal degrees.
    max_km : float
        Largest great-circle distance the pupil can travel, in kilometres.
    needs_accessible : bool
        Whether the pupil needs an accessible workplace.
    wishes : tuple of str
        Up to five ranked wishes, each ``"sector:<code>"`` or ``"offer:<id>"``.
    priority : int
        Priority class, 0 (none) to ``MAX_PRIORITY``. The optimum first places as many pupils
        of the highest class as possible, then of the next one, and so on (docs/matching.md).
    """

    id: str
    level: str
    age: int
    weeks: tuple[str, ...]
    lat: float
    lon: float
    max_km: float
    needs_accessible: bool = False
    wishes: tuple[str, ...] = ()
    priority: int = 0


@dataclass(frozen=True, slots=True)
class Offer:
    """One internship offer: a workplace with seats per ISO week.

    Attributes
    ----------
    id : str
        Identifier, unique in the instance.
    sector : str
        Sector code, matched by ``"sector:<code>"`` wishes.
    lat, lon : float
        Location in decimal degrees.
    levels : tuple of str
        Levels accepted (subset of ``("3e", "2de")``).
    min_age : int
        Minimum age on the first day.
    accessible : bool
        Whether the workplace is accessible.
    seats : tuple of (str, int)
        Seats per ISO week, sorted by week.
    """

    id: str
    sector: str
    lat: float
    lon: float
    levels: tuple[str, ...]
    min_age: int
    accessible: bool
    seats: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class Instance:
    """A validated matching instance.

    Build it with :func:`make_instance` (from Python objects) or
    :func:`instance_from_dict` (from the parsed JSON format); both validate.

    Attributes
    ----------
    params : Params
    pupils : tuple of Pupil
    offers : tuple of Offer
    format : str
        The version it is written in: ``INSTANCE_FORMAT`` for new instances, the version of
        the file for an instance read from one.
    """

    params: Params
    pupils: tuple[Pupil, ...]
    offers: tuple[Offer, ...]
    format: str = INSTANCE_FORMAT
    _offer_index: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self._offer_index) != len(self.offers):
            object.__setattr__(self, "_offer_index",
                               {o.id: k for k, o in enumerate(self.offers)})

    def offer_index(self, offer_id: str) -> int:
        """Return the position of the offer with this id.

        Parameters
        ----------
        offer_id : str

        Returns
        -------
        int
        """
        return self._offer_index[offer_id]


# --------------------------------------------------------------------------------------
# helpers producing exact messages

def _describe(value: Any) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, str):
        return '"' + value + '"' if len(value) <= 60 else '"' + value[:57] + '..."'
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _where(collection: str, index: int, item_id: Any) -> str:
    if isinstance(item_id, str):
        return f'{collection}[{index}] (id "{item_id}")'
    return f"{collection}[{index}]"


def _fail(where: str, problem: str) -> InstanceError:
    return InstanceError(f"{where}: {problem}")


def _number(where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(where, f"must be a number, got {_describe(value)}")
    result = float(value)
    if not math.isfinite(result):
        raise _fail(where, f"must be a finite number, got {_describe(value)}")
    return result


def _nonneg(where: str, value: Any, upper: float = math.inf) -> float:
    result = _number(where, value)
    if result < 0 or result > upper:
        bound = "non-negative" if upper == math.inf else f"between 0 and {upper:g}"
        raise _fail(where, f"must be {bound}, got {_describe(value)}")
    return result


def _integer(where: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(where, f"must be an integer, got {_describe(value)}")
    if value < low or value > high:
        raise _fail(where, f"must be an integer between {low} and {high}, got {value}")
    return value


def _boolean(where: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _fail(where, f"must be true or false, got {_describe(value)}")
    return value


def _string(where: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(where, f"must be a non-empty string, got {_describe(value)}")
    return value


def _coordinate(where: str, value: Any, limit: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(where, f"must be a number, got {_describe(value)}")
    result = float(value)
    if not math.isfinite(result) or result < -limit or result > limit:
        raise _fail(where, f"must be a finite number between {-limit:g} and {limit:g}, "
                           f"got {_describe(value)}")
    return result


def _list(where: str, value: Any) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise _fail(where, f"must be a list, got {_describe(value)}")
    return list(value)


def _object(where: str, value: Any, fields: Sequence[str]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(where, f"must be an object, got {_describe(value)}")
    for name in fields:
        if name not in value:
            raise _fail(where, f'missing field "{name}"')
    for name in value:
        if name not in fields:
            hint = ""
            if collection_is_pupil(where):
                hint = " (the instance is blind: group labels go in a separate groups file)"
            raise _fail(where, f'unknown field "{name}"{hint}')
    return value


def collection_is_pupil(where: str) -> bool:
    """Tell whether a location string designates a pupil (used to word a hint).

    Parameters
    ----------
    where : str

    Returns
    -------
    bool
    """
    return where.startswith("pupils[")


_WEEK_CACHE: dict[str, bool] = {}


def is_iso_week(text: str) -> bool:
    """Tell whether ``text`` is an existing ISO 8601 week written ``YYYY-Www``.

    Parameters
    ----------
    text : str

    Returns
    -------
    bool
        True for ``"2027-W05"``; false for ``"2027-W54"``, ``"2027-5"`` or ``"2026-W53"``
        (2026 has 53 ISO weeks, 2027 has 52).
    """
    known = _WEEK_CACHE.get(text)
    if known is not None:
        return known
    match = _WEEK_RE.match(text)
    ok = False
    if match:
        year, week = int(match.group(1)), int(match.group(2))
        try:
            _dt.date.fromisocalendar(year, week, 1)
            ok = year >= 1
        except ValueError:
            ok = False
    if len(_WEEK_CACHE) < 10000:
        _WEEK_CACHE[text] = ok
    return ok


def _week(where: str, value: Any) -> str:
    if not isinstance(value, str) or not is_iso_week(value):
        raise _fail(where, f"{_describe(value)} is not an ISO week (YYYY-Www, e.g. 2027-W05)")
    return value


def _decimals(value: float) -> int | None:
    """Number of decimal places of ``value`` (as written in shortest form), None if > max."""
    for places in range(MAX_COST_DECIMALS + 1):
        scaled = value * 10**places
        if abs(scaled - round(scaled)) <= 1e-9 * max(1.0, abs(scaled)):
            return places
    return None


# --------------------------------------------------------------------------------------
# validation

def _params(raw: Any) -> Params:
    obj = _object("params", raw, _PARAM_FIELDS)
    costs = _list("params.rank_costs", obj["rank_costs"])
    if len(costs) != N_RANK_COSTS:
        raise _fail("params.rank_costs", f"must have exactly {N_RANK_COSTS} entries, "
                                         f"got {len(costs)}")
    rank_costs = tuple(_nonneg(f"params.rank_costs[{k}]", c, MAX_COST_PARAM)
                       for k, c in enumerate(costs))
    for k in range(1, N_RANK_COSTS):
        if rank_costs[k] < rank_costs[k - 1]:
            raise _fail(f"params.rank_costs[{k}]",
                        f"must not be smaller than rank_costs[{k - 1}] "
                        f"({rank_costs[k]:g} < {rank_costs[k - 1]:g})")
    params = Params(
        rank_costs=rank_costs,
        allow_unranked=_boolean("params.allow_unranked", obj["allow_unranked"]),
        unranked_cost=_nonneg("params.unranked_cost", obj["unranked_cost"], MAX_COST_PARAM),
        km_cost=_nonneg("params.km_cost", obj["km_cost"], MAX_COST_PARAM),
        unassigned_cost=_nonneg("params.unassigned_cost", obj["unassigned_cost"],
                                MAX_COST_PARAM),
        seed=_integer("params.seed", obj["seed"], 0, MAX_SEED),
    )
    _check_decimals(params)
    return params


def _check_decimals(params: Params) -> None:
    named = [(f"params.rank_costs[{k}]", c) for k, c in enumerate(params.rank_costs)]
    named += [("params.unranked_cost", params.unranked_cost), ("params.km_cost", params.km_cost),
              ("params.unassigned_cost", params.unassigned_cost)]
    for where, value in named:
        if _decimals(value) is None:
            raise _fail(where, f"{value!r} has more than {MAX_COST_DECIMALS} decimal places "
                               "(costs are computed exactly on a decimal grid)")


def cost_decimals(params: Params) -> int:
    """Smallest number of decimal places that writes every cost parameter exactly.

    Parameters
    ----------
    params : Params

    Returns
    -------
    int
        Between 0 and ``MAX_COST_DECIMALS``.
    """
    values = [*params.rank_costs, params.unranked_cost, params.km_cost, params.unassigned_cost]
    return max(_decimals(v) or 0 for v in values)


def _pupil(index: int, raw: Any, with_priority: bool) -> Pupil:
    item_id = raw.get("id") if isinstance(raw, Mapping) else None
    where = _where("pupils", index, item_id)
    if not with_priority and isinstance(raw, Mapping) and "priority" in raw:
        raise _fail(where, f'unknown field "priority" (priority classes need format '
                           f'"{INSTANCE_FORMAT}")')
    obj = _object(where, raw, _PUPIL_FIELDS if with_priority else _PUPIL_FIELDS_V1)
    pid = _string(f"{where}.id", obj["id"])
    level = obj["level"]
    if level not in LEVELS:
        raise _fail(f"{where}.level", f'must be "3e" or "2de", got {_describe(level)}')
    weeks_raw = _list(f"{where}.weeks", obj["weeks"])
    if not weeks_raw:
        raise _fail(f"{where}.weeks", "must list at least one ISO week")
    weeks = tuple(_week(f"{where}.weeks[{k}]", w) for k, w in enumerate(weeks_raw))
    if len(set(weeks)) != len(weeks):
        dup = next(w for k, w in enumerate(weeks) if w in weeks[:k])
        raise _fail(f"{where}.weeks", f'lists "{dup}" twice')
    wishes_raw = _list(f"{where}.wishes", obj["wishes"])
    if len(wishes_raw) > MAX_WISHES:
        raise _fail(f"{where}.wishes", f"has {len(wishes_raw)} wishes, at most {MAX_WISHES} "
                                       "are allowed")
    wishes: list[str] = []
    for k, wish in enumerate(wishes_raw):
        wwhere = f"{where}.wishes[{k}]"
        if not isinstance(wish, str) or not (
            (wish.startswith("sector:") and len(wish) > 7)
            or (wish.startswith("offer:") and len(wish) > 6)
        ):
            raise _fail(wwhere, f'{_describe(wish)} must be "sector:<code>" or "offer:<id>"')
        if wish in wishes:
            raise _fail(wwhere, f'"{wish}" repeats wishes[{wishes.index(wish)}]')
        wishes.append(wish)
    return Pupil(
        id=pid,
        level=level,
        age=_integer(f"{where}.age", obj["age"], 0, MAX_AGE),
        weeks=weeks,
        lat=_coordinate(f"{where}.lat", obj["lat"], 90.0),
        lon=_coordinate(f"{where}.lon", obj["lon"], 180.0),
        max_km=_nonneg(f"{where}.max_km", obj["max_km"], MAX_KM),
        needs_accessible=_boolean(f"{where}.needs_accessible", obj["needs_accessible"]),
        wishes=tuple(wishes),
        priority=_integer(f"{where}.priority", obj["priority"], 0, MAX_PRIORITY)
        if with_priority else 0,
    )


def _offer(index: int, raw: Any) -> Offer:
    item_id = raw.get("id") if isinstance(raw, Mapping) else None
    where = _where("offers", index, item_id)
    obj = _object(where, raw, _OFFER_FIELDS)
    oid = _string(f"{where}.id", obj["id"])
    levels_raw = _list(f"{where}.levels", obj["levels"])
    if not levels_raw:
        raise _fail(f"{where}.levels", 'must list at least one level ("3e", "2de")')
    for k, level in enumerate(levels_raw):
        if level not in LEVELS:
            raise _fail(f"{where}.levels[{k}]", f'must be "3e" or "2de", got {_describe(level)}')
    if len(set(levels_raw)) != len(levels_raw):
        raise _fail(f"{where}.levels", "lists a level twice")
    seats_raw = obj["seats"]
    if not isinstance(seats_raw, Mapping):
        raise _fail(f"{where}.seats", "must be an object mapping ISO weeks to seats, got "
                                      f"{_describe(seats_raw)}")
    seats: list[tuple[str, int]] = []
    for week, count in seats_raw.items():
        swhere = f'{where}.seats["{week}"]'
        _week(swhere, week)
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise _fail(swhere, f"must be a non-negative integer, got {_describe(count)}")
        if count > 10**6:
            raise _fail(swhere, f"must be at most 1000000, got {count}")
        seats.append((week, count))
    seats.sort()
    return Offer(
        id=oid,
        sector=_string(f"{where}.sector", obj["sector"]),
        lat=_coordinate(f"{where}.lat", obj["lat"], 90.0),
        lon=_coordinate(f"{where}.lon", obj["lon"], 180.0),
        levels=tuple(levels_raw),
        min_age=_integer(f"{where}.min_age", obj["min_age"], 0, MAX_AGE),
        accessible=_boolean(f"{where}.accessible", obj["accessible"]),
        seats=tuple(seats),
    )


def max_pair_cost(params: Params, pupils: Sequence[Pupil]) -> tuple[float, int]:
    """Upper bound of every pair cost and the pupil that attains it.

    Parameters
    ----------
    params : Params
    pupils : sequence of Pupil

    Returns
    -------
    bound : float
        ``max(rank_costs[-1], unranked_cost if allow_unranked) + km_cost * max(max_km)``.
    pupil : int
        Index of a pupil with the largest ``max_km`` (-1 when there are no pupils).
    """
    top = params.rank_costs[-1]
    if params.allow_unranked:
        top = max(top, params.unranked_cost)
    if not pupils:
        return top, -1
    best = max(range(len(pupils)), key=lambda k: pupils[k].max_km)
    return top + params.km_cost * pupils[best].max_km, best


def _check_cross(params: Params, pupils: Sequence[Pupil], offers: Sequence[Offer]) -> dict[str,
                                                                                             int]:
    pupil_seen: dict[str, int] = {}
    for k, p in enumerate(pupils):
        first = pupil_seen.setdefault(p.id, k)
        if first != k:
            raise _fail(f"pupils[{k}].id", f'duplicate id "{p.id}" (also pupils[{first}])')
    offer_seen: dict[str, int] = {}
    for k, o in enumerate(offers):
        first = offer_seen.setdefault(o.id, k)
        if first != k:
            raise _fail(f"offers[{k}].id", f'duplicate id "{o.id}" (also offers[{first}])')
    for k, p in enumerate(pupils):
        for w, wish in enumerate(p.wishes):
            if wish.startswith("offer:") and wish[6:] not in offer_seen:
                raise _fail(f"{_where('pupils', k, p.id)}.wishes[{w}]",
                            f'"{wish}" names an unknown offer')
    bound, who = max_pair_cost(params, pupils)
    if pupils and not params.unassigned_cost > bound:
        pupil = pupils[who]
        raise _fail("params.unassigned_cost",
                    f"{params.unassigned_cost:g} must exceed every pair cost, and a pair can cost "
                    f"up to {bound:g} (worst wish cost + km_cost {params.km_cost:g} x max_km "
                    f'{pupil.max_km:g} of pupil "{pupil.id}")')
    return offer_seen


def make_instance(params: Params, pupils: Sequence[Pupil], offers: Sequence[Offer]) -> Instance:
    """Validate Python objects and build an :class:`Instance` (no JSON involved).

    The instance is of the current version, ``INSTANCE_FORMAT``.

    Parameters
    ----------
    params : Params
    pupils : sequence of Pupil
    offers : sequence of Offer

    Returns
    -------
    Instance

    Raises
    ------
    InstanceError
        With the same messages as :func:`instance_from_dict`.
    """
    return instance_from_dict(instance_to_dict_parts(params, pupils, offers))


def instance_from_dict(raw: Any) -> Instance:
    """Validate a parsed ``stagebourse-instance/2`` or ``/1`` document.

    Parameters
    ----------
    raw : Any
        The value returned by ``json.loads`` on an instance file. In version 1, pupils have
        no ``priority`` field and are all of class 0; in version 2 the field is required.

    Returns
    -------
    Instance

    Raises
    ------
    InstanceError
        On the first defect, naming the field and the item.
    """
    if not isinstance(raw, Mapping):
        raise InstanceError(f"instance: must be a JSON object, got {_describe(raw)}")
    tag = raw.get("format")
    if tag not in (INSTANCE_FORMAT, INSTANCE_FORMAT_V1):
        raise _fail("format", f'must be "{INSTANCE_FORMAT}" (or the earlier '
                              f'"{INSTANCE_FORMAT_V1}"), got {_describe(tag)}')
    for name in ("params", "pupils", "offers"):
        if name not in raw:
            raise InstanceError(f'instance: missing field "{name}"')
    params = _params(raw["params"])
    with_priority = tag == INSTANCE_FORMAT
    pupils = tuple(_pupil(k, p, with_priority)
                   for k, p in enumerate(_list("pupils", raw["pupils"])))
    offers = tuple(_offer(k, o) for k, o in enumerate(_list("offers", raw["offers"])))
    index = _check_cross(params, pupils, offers)
    return Instance(params=params, pupils=pupils, offers=offers, format=tag,
                    _offer_index=index)


def _params_dict(params: Params) -> dict[str, Any]:
    return {
        "rank_costs": list(params.rank_costs),
        "allow_unranked": params.allow_unranked,
        "unranked_cost": params.unranked_cost,
        "km_cost": params.km_cost,
        "unassigned_cost": params.unassigned_cost,
        "seed": params.seed,
    }


def _pupil_dict(p: Pupil, with_priority: bool) -> dict[str, Any]:
    written = {"id": p.id, "level": p.level, "age": p.age, "weeks": list(p.weeks), "lat": p.lat,
               "lon": p.lon, "max_km": p.max_km, "needs_accessible": p.needs_accessible,
               "wishes": list(p.wishes)}
    if with_priority:
        written["priority"] = p.priority
    return written


def _offer_dict(o: Offer) -> dict[str, Any]:
    return {"id": o.id, "sector": o.sector, "lat": o.lat, "lon": o.lon, "levels": list(o.levels),
            "min_age": o.min_age, "accessible": o.accessible, "seats": dict(o.seats)}


def instance_to_dict_parts(params: Params, pupils: Sequence[Pupil], offers: Sequence[Offer],
                           format_tag: str = INSTANCE_FORMAT) -> dict[str, Any]:
    """Write parts of an instance as the JSON document (no validation).

    Parameters
    ----------
    params : Params
    pupils : sequence of Pupil
    offers : sequence of Offer
    format_tag : str, optional
        ``INSTANCE_FORMAT``, or ``INSTANCE_FORMAT_V1`` (priorities are then not written).

    Returns
    -------
    dict
    """
    with_priority = format_tag != INSTANCE_FORMAT_V1
    return {
        "format": format_tag,
        "params": _params_dict(params),
        "pupils": [_pupil_dict(p, with_priority) for p in pupils],
        "offers": [_offer_dict(o) for o in offers],
    }


def instance_to_dict(instance: Instance) -> dict[str, Any]:
    """Write an instance as the JSON document of its version (``instance.format``).

    Parameters
    ----------
    instance : Instance

    Returns
    -------
    dict
        ``instance_from_dict(instance_to_dict(x)) == x``.
    """
    return instance_to_dict_parts(instance.params, instance.pupils, instance.offers,
                                  instance.format)
