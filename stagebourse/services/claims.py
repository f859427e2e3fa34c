"""Claiming queued rows under a lease: the one rule shared by the outbox and the job queue.

A claim is a single UPDATE that moves due rows to the "in hand" state and stamps them with a
fresh token; every later transition of a claimed row is guarded by that token. On PostgreSQL
the rows are chosen with ``FOR UPDATE SKIP LOCKED``, so concurrent workers never wait on each
other nor take the same row; on SQLite the UPDATE takes the database write lock before it reads,
so two claims are serialised and cannot pick the same row either (one worker is enough there).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Update, select, update


def claim_token(worker_id: str) -> str:
    """A token that names the worker (for people reading the table) and is unique per claim."""
    return f"{worker_id}:{uuid.uuid4().hex}"[:100]


def claim_statement(model: Any, *, claimable: ColumnElement[bool], order_by: Sequence[Any],
                    limit: int, values: dict[str, Any], dialect: str) -> Update:
    """The UPDATE that claims up to ``limit`` rows of ``model`` matching ``claimable``.

    ``values`` is what a claim writes (state, token, lease, attempts + 1...). ``dialect`` is the
    name of the database the statement will run on.
    """
    candidates = select(model.id).where(claimable).order_by(*order_by).limit(limit)
    chosen: Any
    if dialect == "postgresql":
        # Chosen once, in a materialised CTE: as a plain subquery the planner may rescan it for
        # every row of the UPDATE (a nested-loop semi-join), and each rescan skips the rows the
        # UPDATE has just locked and yields the next ones, so LIMIT 1 claimed every due row.
        locked = candidates.with_for_update(skip_locked=True).cte("claim_candidates")
        chosen = select(locked.prefix_with("MATERIALIZED").c.id)
    else:
        chosen = candidates.scalar_subquery()
    # The condition is repeated on the UPDATE itself: even if a candidate list were stale, a row
    # another worker took in between no longer matches and is left alone.
    return (
        update(model)
        .where(model.id.in_(chosen), claimable)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
