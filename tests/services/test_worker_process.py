"""``stagebourse worker`` as a real process: it delivers, then stops cleanly on SIGTERM."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import func, select

from stagebourse.extensions import db
from stagebourse.models import OutboxMessage, OutboxState
from tests.factories import queue
from tests.smtp_server import LoopbackSmtp
from tests.worker_process import WorkerProcess, wait_for

pytestmark = pytest.mark.database


def test_worker_loop_delivers_and_stops_gracefully_on_sigterm(
        app: Flask, smtp_server: LoopbackSmtp,
        start_worker: Callable[..., WorkerProcess]) -> None:
    queue(5, prefix="loop")
    worker = start_worker(smtp_server.port)
    assert wait_for(lambda: len(smtp_server.raw) >= 5), "the worker sent nothing"
    assert worker.stop() == 0, worker.output
    assert "Arrêt demandé" in worker.output and "Worker arrêté." in worker.output
    db.session.expire_all()
    sent = db.session.scalar(select(func.count()).where(OutboxMessage.state == OutboxState.SENT))
    assert sent == 5
    assert len(smtp_server.raw) == 5
