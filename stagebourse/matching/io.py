"""The public file formats: instance, result and groups files.

* Instance: ``stagebourse-instance/2``, or ``/1`` without priority classes (see
  :mod:`stagebourse.matching.instance`).
* Result: ``stagebourse-result/1`` with the fields ``instance_sha256``, ``mechanism``,
  ``seed``, ``solver``, ``solve_seconds``, ``objective``, ``assignments`` (``pupil``,
  ``offer``, ``week``, ``rank``, ``distance_km``, ``cost``) and ``unassigned``. Extra fields
  are allowed; we add ``placed``, ``pupils``, ``cost_unit`` and ``engine``, and
  ``priority_classes`` when some pupil has a priority class.
* Groups: a CSV file with a ``pupil`` column, then one column per audit label.

``instance_sha256`` is the SHA-256 of the RFC 8785 (JSON Canonicalization Scheme)
serialisation of the instance's ``format``, ``params``, ``pupils`` and ``offers`` (other
top-level fields are ignored), so any JCS library reproduces it.
"""

from __future__ import annotations

import csv
import hashlib
import io as _io
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .instance import (
    INSTANCE_FORMAT_V1,
    Instance,
    InstanceError,
    instance_from_dict,
)
from .mechanisms import MatchResult

__all__ = [
    "RESULT_FORMAT",
    "ResultFile",
    "canonical_json",
    "instance_sha256",
    "load_groups",
    "load_instance",
    "load_json",
    "load_result",
    "result_to_dict",
    "write_json",
]

RESULT_FORMAT = "stagebourse-result/1"
_encode_string = json.encoder.encode_basestring  # the C escaper: same escapes as RFC 8785


def load_json(path: str | Path, what: str) -> Any:
    """Read a JSON file, turning every failure into one :class:`InstanceError`.

    Parameters
    ----------
    path : str or Path
    what : str
        How to name the file in messages (``"instance"``, ``"result"``).

    Returns
    -------
    Any
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InstanceError(f"{what}: file not found: {path}") from None
    except UnicodeDecodeError as exc:
        raise InstanceError(f"{what}: {path} is not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise InstanceError(f"{what}: cannot read {path}: {exc.strerror}") from None
    return parse_json(text, what)


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def parse_json(text: str, what: str) -> Any:
    """Parse JSON text strictly (``NaN`` and ``Infinity`` are not JSON).

    Parameters
    ----------
    text : str
    what : str

    Returns
    -------
    Any
    """
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise InstanceError(f"{what}: not valid JSON: {exc.msg} at line {exc.lineno} column "
                            f"{exc.colno}") from None
    except ValueError as exc:
        raise InstanceError(f"{what}: not valid JSON: {exc}") from None


def load_instance(path: str | Path) -> tuple[Instance, str]:
    """Read and validate an instance file.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    instance : Instance
    sha256 : str
        :func:`instance_sha256` of the file's content.
    """
    raw = load_json(path, "instance")
    instance = instance_from_dict(raw)
    return instance, instance_sha256(instance)


# ------------------------------------------------------------------------- canonical JSON

def _jcs_number(value: float | int) -> str:
    if isinstance(value, int) and abs(value) < 2**53:
        return str(value)
    x = float(value)
    if not math.isfinite(x):
        raise ValueError("JCS cannot write a non-finite number")
    if x == 0:
        return "0"
    if x.is_integer() and abs(x) < 2**53:
        return str(int(x))
    text = repr(x)
    if "e" not in text:
        return text[:-2] if text.endswith(".0") else text
    # ECMAScript Number::toString: decimal notation for 1e-6 <= |x| < 1e21
    digits, exponent = text.split("e")
    exp = int(exponent)
    if -6 <= exp < 21:
        return format(Decimal(text), "f")
    return f"{digits}e{'+' if exp > 0 else '-'}{abs(exp)}"


def canonical_json(value: Any) -> str:
    """RFC 8785 (JCS) serialisation of a JSON value.

    Parameters
    ----------
    value : Any
        dict / list / str / int / float / bool / None.

    Returns
    -------
    str
    """
    out: list[str] = []
    dumps = json.dumps

    def walk(v: Any) -> None:
        if isinstance(v, str):
            out.append(dumps(v, ensure_ascii=False))
        elif v is True:
            out.append("true")
        elif v is False:
            out.append("false")
        elif v is None:
            out.append("null")
        elif isinstance(v, int | float):
            out.append(_jcs_number(v))
        elif isinstance(v, Mapping):
            out.append("{")
            keys = sorted(v, key=lambda k: k.encode("utf-16-be"))
            for n, k in enumerate(keys):
                if n:
                    out.append(",")
                out.append(dumps(k, ensure_ascii=False))
                out.append(":")
                walk(v[k])
            out.append("}")
        elif isinstance(v, list | tuple):
            out.append("[")
            for n, item in enumerate(v):
                if n:
                    out.append(",")
                walk(item)
            out.append("]")
        else:
            raise TypeError(f"not a JSON value: {type(v).__name__}")

    walk(value)
    return "".join(out)


def canonical_instance_json(instance: Instance) -> str:
    """RFC 8785 text of an instance, written directly from its fields.

    Equal to ``canonical_json(instance_to_dict(instance))`` (a test checks it) but several
    times faster: the keys of the format are known and already in canonical order.

    Parameters
    ----------
    instance : Instance

    Returns
    -------
    str
    """
    enc = _encode_string
    num = _jcs_number
    prm = instance.params
    with_priority = instance.format != INSTANCE_FORMAT_V1
    parts = ['{"format":', enc(instance.format), ',"offers":[']
    offers = []
    for o in instance.offers:
        seats = ",".join(f"{enc(w)}:{c}" for w, c in o.seats)
        offers.append(
            f'{{"accessible":{"true" if o.accessible else "false"},"id":{enc(o.id)},'
            f'"lat":{num(o.lat)},"levels":[{",".join(map(enc, o.levels))}],'
            f'"lon":{num(o.lon)},"min_age":{o.min_age},"seats":{{{seats}}},'
            f'"sector":{enc(o.sector)}}}')
    parts.append(",".join(offers))
    parts.append(
        f'],"params":{{"allow_unranked":{"true" if prm.allow_unranked else "false"},'
        f'"km_cost":{num(prm.km_cost)},'
        f'"rank_costs":[{",".join(num(c) for c in prm.rank_costs)}],"seed":{num(prm.seed)},'
        f'"unassigned_cost":{num(prm.unassigned_cost)},'
        f'"unranked_cost":{num(prm.unranked_cost)}}},"pupils":[')
    pupils = []
    for p in instance.pupils:
        pupils.append(
            f'{{"age":{p.age},"id":{enc(p.id)},"lat":{num(p.lat)},"level":{enc(p.level)},'
            f'"lon":{num(p.lon)},"max_km":{num(p.max_km)},'
            f'"needs_accessible":{"true" if p.needs_accessible else "false"},'
            + (f'"priority":{p.priority},' if with_priority else "")
            + f'"weeks":[{",".join(map(enc, p.weeks))}],'
            f'"wishes":[{",".join(map(enc, p.wishes))}]}}')
    parts.append(",".join(pupils))
    parts.append("]}")
    return "".join(parts)


def instance_sha256(instance: Instance) -> str:
    """SHA-256 (hex) of the canonical (RFC 8785) form of an instance.

    Parameters
    ----------
    instance : Instance

    Returns
    -------
    str
    """
    text = canonical_instance_json(instance)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ------------------------------------------------------------------------- result files

def result_to_dict(result: MatchResult, instance_hash: str) -> dict[str, Any]:
    """The ``stagebourse-result/1`` document of a result.

    Parameters
    ----------
    result : MatchResult
    instance_hash : str
        :func:`instance_sha256` of the instance.

    Returns
    -------
    dict
    """
    from stagebourse import __version__

    pb = result.problem
    inst = result.instance
    placed = np.flatnonzero(result.choice >= 0)
    arcs = result.choice[placed]
    slots = pb.arc_slot[arcs]
    offers = pb.slot_offer[slots].tolist()
    weeks = pb.slot_week[slots].tolist()
    ranks = pb.arc_rank[arcs].tolist()
    km = (pb.arc_metres[arcs] / 1000.0).tolist()
    costs = pb.scale.to_points(pb.arc_cost[arcs]).tolist()
    assignments = [
        {"pupil": inst.pupils[i].id, "offer": inst.offers[o].id, "week": pb.weeks[w],
         "rank": r if r else None, "distance_km": d, "cost": c}
        for i, o, w, r, d, c in zip(placed.tolist(), offers, weeks, ranks, km, costs,
                                    strict=True)
    ]
    unplaced = [inst.pupils[i].id for i in np.flatnonzero(result.choice < 0).tolist()]
    ppu = pb.scale.point_per_unit
    document: dict[str, Any] = {
        "format": RESULT_FORMAT,
        "instance_sha256": instance_hash,
        "mechanism": result.mechanism,
        "seed": result.seed,
        "solver": result.solver,
        "solve_seconds": round(result.solve_seconds, 6),
        "objective": result.objective,
        "assignments": assignments,
        "unassigned": unplaced,
        "pupils": pb.n_pupils,
        "placed": int(placed.size),
        "cost_unit": f"{ppu.numerator}/{ppu.denominator}",
        "engine": f"stagebourse {__version__}",
    }
    if np.any(pb.pupil_priority > 0):
        document["priority_classes"] = priority_classes(pb.pupil_priority, result.choice)
    return document


def priority_classes(priority: npt.NDArray[np.int64], choice: npt.NDArray[np.int64]
                     ) -> list[dict[str, int]]:
    """Pupils and placed pupils of every priority class, highest class first.

    Parameters
    ----------
    priority : ndarray of int64
        Priority class of every pupil.
    choice : ndarray of int64
        Chosen arc of every pupil, -1 when unplaced.

    Returns
    -------
    list of dict
        ``{"priority": k, "pupils": n_k, "placed": placed_k}`` for every class present.
    """
    placed = choice >= 0
    return [{"priority": int(k), "pupils": int(np.count_nonzero(priority == k)),
             "placed": int(np.count_nonzero(placed & (priority == k)))}
            for k in np.unique(priority)[::-1].tolist()]


def write_json(path: str | Path, document: Mapping[str, Any]) -> None:
    """Write a JSON document (UTF-8, compact, one trailing newline).

    Parameters
    ----------
    path : str or Path
    document : mapping
    """
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    Path(path).write_text(text + "\n", encoding="utf-8")


@dataclass(frozen=True, slots=True)
class ResultAssignment:
    """One assignment as written in a result file.

    Attributes
    ----------
    index : int
        Position in ``assignments``.
    pupil, offer, week : str
    rank : int or None
    distance_km, cost : float
    """

    index: int
    pupil: str
    offer: str
    week: str
    rank: int | None
    distance_km: float
    cost: float


@dataclass(frozen=True, slots=True)
class ResultFile:
    """A parsed ``stagebourse-result/1`` document (fields checked for type only).

    Attributes
    ----------
    instance_sha256, mechanism, solver : str
    seed : int
    solve_seconds, objective : float
    assignments : tuple of ResultAssignment
    unassigned : tuple of str
    """

    instance_sha256: str
    mechanism: str
    seed: int
    solver: str
    solve_seconds: float
    objective: float
    assignments: tuple[ResultAssignment, ...]
    unassigned: tuple[str, ...]


def _field(obj: Mapping[str, Any], name: str, where: str) -> Any:
    if name not in obj:
        raise InstanceError(f'{where}: missing field "{name}"')
    return obj[name]


def _num(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InstanceError(f"{where}: must be a finite number, got {value!r}")
    return float(value)


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise InstanceError(f"{where}: must be a string, got {value!r}")
    return value


def result_from_dict(raw: Any) -> ResultFile:
    """Check the shape of a parsed result document.

    Parameters
    ----------
    raw : Any

    Returns
    -------
    ResultFile

    Raises
    ------
    InstanceError
        Wrong format tag, missing field or wrong type, naming the field and the item.
    """
    if not isinstance(raw, Mapping):
        raise InstanceError("result: must be a JSON object")
    tag = raw.get("format")
    if tag != RESULT_FORMAT:
        raise InstanceError(f'result.format: must be "{RESULT_FORMAT}", got {tag!r}')
    seed = _field(raw, "seed", "result")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InstanceError(f"result.seed: must be a non-negative integer, got {seed!r}")
    items = _field(raw, "assignments", "result")
    if not isinstance(items, list):
        raise InstanceError("result.assignments: must be a list")
    assignments: list[ResultAssignment] = []
    for k, item in enumerate(items):
        where = f"result.assignments[{k}]"
        if not isinstance(item, Mapping):
            raise InstanceError(f"{where}: must be an object")
        rank = _field(item, "rank", where)
        if rank is not None and (isinstance(rank, bool) or not isinstance(rank, int)):
            raise InstanceError(f"{where}.rank: must be an integer or null, got {rank!r}")
        assignments.append(ResultAssignment(
            index=k,
            pupil=_str(_field(item, "pupil", where), f"{where}.pupil"),
            offer=_str(_field(item, "offer", where), f"{where}.offer"),
            week=_str(_field(item, "week", where), f"{where}.week"),
            rank=rank,
            distance_km=_num(_field(item, "distance_km", where), f"{where}.distance_km"),
            cost=_num(_field(item, "cost", where), f"{where}.cost"),
        ))
    unassigned = _field(raw, "unassigned", "result")
    if not isinstance(unassigned, list):
        raise InstanceError("result.unassigned: must be a list of pupil ids")
    return ResultFile(
        instance_sha256=_str(_field(raw, "instance_sha256", "result"), "result.instance_sha256"),
        mechanism=_str(_field(raw, "mechanism", "result"), "result.mechanism"),
        seed=seed,
        solver=_str(_field(raw, "solver", "result"), "result.solver"),
        solve_seconds=_num(_field(raw, "solve_seconds", "result"), "result.solve_seconds"),
        objective=_num(_field(raw, "objective", "result"), "result.objective"),
        assignments=tuple(assignments),
        unassigned=tuple(_str(u, f"result.unassigned[{k}]") for k, u in enumerate(unassigned)),
    )


def load_result(path: str | Path) -> ResultFile:
    """Read a result file and check its shape.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    ResultFile
    """
    return result_from_dict(load_json(path, "result"))


# ------------------------------------------------------------------------- groups files

def parse_groups(text: str, instance: Instance | None = None) -> dict[str, dict[str, str]]:
    """Parse a groups CSV: a ``pupil`` column, then one column per label.

    Parameters
    ----------
    text : str
    instance : Instance, optional
        When given, every pupil id must belong to it.

    Returns
    -------
    dict
        ``groups[pupil_id][label] = value``.
    """
    reader = csv.reader(_io.StringIO(text))
    header = next(reader, None)
    if not header or header[0].strip().lstrip("\ufeff") != "pupil":
        raise InstanceError('groups: the first column must be named "pupil"')
    labels = [h.strip() for h in header[1:]]
    if any(not h for h in labels) or len(set(labels)) != len(labels):
        raise InstanceError("groups: column names must be non-empty and distinct")
    known = {p.id for p in instance.pupils} if instance is not None else None
    groups: dict[str, dict[str, str]] = {}
    for line, row in enumerate(reader, start=2):
        if not row:
            continue
        if len(row) != len(header):
            raise InstanceError(f"groups: line {line}: expected {len(header)} columns, got "
                                f"{len(row)}")
        pid = row[0].strip()
        if pid in groups:
            raise InstanceError(f'groups: line {line}: pupil "{pid}" appears twice')
        if known is not None and pid not in known:
            raise InstanceError(f'groups: line {line}: pupil "{pid}" is not in the instance')
        groups[pid] = {label: value.strip() for label, value in zip(labels, row[1:],
                                                                    strict=True)}
    return groups


def load_groups(path: str | Path, instance: Instance | None = None) -> dict[str, dict[str, str]]:
    """Read a groups CSV file (see :func:`parse_groups`).

    Parameters
    ----------
    path : str or Path
    instance : Instance, optional

    Returns
    -------
    dict
    """
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InstanceError(f"groups: file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InstanceError(f"groups: cannot read {path}: {exc}") from None
    return parse_groups(text, instance)


def groups_to_csv(groups: Mapping[str, Mapping[str, str]]) -> str:
    """Write groups as CSV (columns in first-seen order).

    Parameters
    ----------
    groups : mapping

    Returns
    -------
    str
    """
    labels: list[str] = []
    for row in groups.values():
        for label in row:
            if label not in labels:
                labels.append(label)
    buffer = _io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["pupil", *labels])
    for pid, row in groups.items():
        writer.writerow([pid, *(row.get(label, "") for label in labels)])
    return buffer.getvalue()
