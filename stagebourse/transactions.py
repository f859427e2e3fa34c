"""Where transactions end: the only module, with the request's commit point in
``web/__init__.py``, that commits.

Services add and flush, never commit, so that two service calls made for one request or one
command stand or fall together. Then:

- a web request commits once when it ends well (``web/__init__.py``, ``_end_transaction``);
- work outside a request is one :func:`unit_of_work`: each ``stagebourse`` command that
  writes (decorated with :func:`in_unit_of_work`), each pass of the worker's loop, a matching
  run computed beside the server;
- the few writes that must survive the rollback of the work around them go through
  :func:`side_write`: a failed sign-in attempt (the throttle counts it although the request
  answers "refused"), the outbox worker's claim, lease renewal and delivery record of each
  message, the failure of a matching run that crashed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

from sqlalchemy.orm import Session

from stagebourse.extensions import db

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def unit_of_work() -> Iterator[None]:
    """Commit the application's session when the block ends, roll everything back if it
    raises (the exception goes on)."""
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def in_unit_of_work(command: Callable[P, R]) -> Callable[P, R]:
    """Run a command as one :func:`unit_of_work`: it writes everything or nothing (an error,
    a ``click.ClickException`` or a ``sys.exit`` rolls back). Put it under
    ``@with_appcontext``."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with unit_of_work():
            return command(*args, **kwargs)

    return run


@contextmanager
def side_write() -> Iterator[Session]:
    """A session of its own, on its own connection, committed when the ``with`` block ends
    (rolled back if it raises), whatever becomes of the caller's transaction.

    Keep such writes small and self-contained. On SQLite a second connection cannot write
    while the caller's session holds uncommitted writes (it would wait, then fail): call it
    before the caller has written anything, or after it rolled back.
    """
    session = Session(db.engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
