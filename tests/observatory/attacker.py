"""A reader who attacks published tables, written without the suppression module's help.

It sees only what is printed: each table's cells, with ``None`` where "secret" is printed, and
which printed cells are the same quantity (their keys). It knows that counts are whole numbers
and never negative, and that every row and column adds up to its printed (or secret) total.
Structural zeros are printed as 0, so they are known like any printed value. For each secret it
computes the least and the greatest value it can take: two linear programmes, and the integer
programme when a linear optimum is fractional (an integer table is what a reader looks for).

A secret is *pinned* when its interval is narrower than the protection width.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from typing import Protocol

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components


class Printed(Protocol):
    """What the attacker needs of a published table: its cells and the key of each."""

    cells: list[list[int | None]]

    @property
    def table(self) -> object: ...


def _system(printed: Sequence[tuple[list[list[int | None]], object]]
            ) -> tuple[list[Hashable], np.ndarray, np.ndarray]:
    """Unknowns (the secret keys) and the equations ``matrix @ unknowns == rhs``."""
    unknowns: dict[Hashable, int] = {}
    shown: dict[Hashable, int] = {}
    for cells, key_of in printed:
        for i, row in enumerate(cells):
            for j, value in enumerate(row):
                key = key_of(i, j)  # type: ignore[operator]
                if value is None:
                    unknowns.setdefault(key, len(unknowns))
                else:
                    shown[key] = value
    equations: list[tuple[dict[int, float], float]] = []
    for cells, key_of in printed:
        height, width = len(cells), len(cells[0])
        lines = [[(i, j) for j in range(width)] for i in range(height)]
        lines += [[(i, j) for i in range(height)] for j in range(width)]
        for line in lines:
            *parts, total = line
            coefficients: dict[int, float] = {}
            rhs = 0.0
            for (i, j), sign in [(p, 1.0) for p in parts] + [(total, -1.0)]:
                key = key_of(i, j)  # type: ignore[operator]
                if key in unknowns:
                    coefficients[unknowns[key]] = coefficients.get(unknowns[key], 0.0) + sign
                else:
                    rhs -= sign * shown[key]
            if any(coefficients.values()):
                equations.append((coefficients, rhs))
    matrix = np.zeros((len(equations), len(unknowns)))
    rhs_vector = np.zeros(len(equations))
    for row, (coefficients, rhs) in enumerate(equations):
        for column, value in coefficients.items():
            matrix[row, column] = value
        rhs_vector[row] = rhs
    return list(unknowns), matrix, rhs_vector


def _extreme(objective: np.ndarray, matrix: np.ndarray, rhs: np.ndarray
             ) -> tuple[float, np.ndarray | None]:
    """Least value of ``objective @ x`` over whole-number solutions; -inf when unbounded."""
    if matrix.shape[0] == 0:
        return (-math.inf, None) if (objective < 0).any() else (0.0, np.zeros_like(objective))
    result = linprog(objective, A_eq=matrix, b_eq=rhs, bounds=(0, None), method="highs")
    if result.status == 3:
        return -math.inf, None
    assert result.status == 0, result.message  # the true table is always a solution
    if np.allclose(result.x, np.round(result.x), atol=1e-7):
        return float(result.fun), np.round(result.x)
    exact = milp(objective, constraints=LinearConstraint(matrix, rhs, rhs),
                 integrality=np.ones_like(objective), bounds=Bounds(0, np.inf))
    assert exact.status == 0, exact.message
    return float(exact.fun), np.round(exact.x)


def intervals(published: Sequence[Printed], *, screen: int = 0, enough: float = math.inf,
              seed: int = 0) -> dict[Hashable, tuple[float, float]]:
    """The interval of every secret. With ``screen`` > 0, that many random directions are
    tried first: two whole-number tables ``enough`` apart in a secret prove it wide, and only
    the secrets not proven so get their exact bounds (the others are reported as the spread
    seen, a lower estimate of their interval, already ``enough``)."""
    printed = [(p.cells, p.table.key) for p in published]  # type: ignore[attr-defined]
    keys, matrix, rhs = _system(printed)
    # Secrets that share no equation, even through other secrets, are attacked apart.
    linked = csr_matrix(np.abs(matrix).T @ np.abs(matrix) > 0)
    _, component = connected_components(linked, directed=False)
    rng = np.random.default_rng(seed)
    result: dict[Hashable, tuple[float, float]] = {}
    for part in np.unique(component):
        columns = np.flatnonzero(component == part)
        rows = np.flatnonzero(np.abs(matrix[:, columns]).sum(axis=1) > 0)
        sub, sub_rhs = matrix[np.ix_(rows, columns)], rhs[rows]
        seen_low = np.full(len(columns), math.inf)
        seen_high = np.full(len(columns), -math.inf)
        for _ in range(screen):
            direction = rng.normal(size=len(columns))
            for sign in (1.0, -1.0):
                _, point = _extreme(sign * direction, sub, sub_rhs)
                if point is not None:
                    seen_low = np.minimum(seen_low, point)
                    seen_high = np.maximum(seen_high, point)
        for k, column in enumerate(columns):
            if seen_high[k] - seen_low[k] >= enough:
                result[keys[column]] = (float(seen_low[k]), float(seen_high[k]))
                continue
            unit = np.zeros(len(columns))
            unit[k] = 1.0
            low, _ = _extreme(unit, sub, sub_rhs)
            high, _ = _extreme(-unit, sub, sub_rhs)
            result[keys[column]] = (max(low, 0.0), -high)
    return result


def pinned(published: Sequence[Printed], width: int = 11, *, screen: int = 0
           ) -> dict[Hashable, tuple[float, float]]:
    """The secrets a reader can bound to an interval narrower than ``width``."""
    return {key: (low, high) for key, (low, high)
            in intervals(published, screen=screen, enough=width).items() if high - low < width}
