"""``stagebourse worker`` as a real process: it delivers, then stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from stagebourse.extensions import db
from stagebourse.models import OutboxMessage, OutboxState
from stagebourse.services.notifications import queue_email
from tests.smtp_server import LoopbackSmtp, smtp_server_fixture  # noqa: F401 - fixture

pytestmark = pytest.mark.database
ROOT = Path(__file__).resolve().parents[2]


def wait_for(condition, seconds: float = 60.0) -> bool:  # noqa: ANN001 - a callable
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_worker_loop_delivers_and_stops_gracefully_on_sigterm(
        app: Flask, db_url: str, smtp_server: LoopbackSmtp):
    for i in range(5):
        queue_email(f"personne{i}@atelier-test.fr", "password_reset", key=f"loop:{i}",
                    reason="test.", user={"display_name": "Camille"},
                    reset_url="http://stagebourse.test/r", minutes=60)
    db.session.commit()
    env = {**os.environ, "DATABASE_URL": db_url, "MAIL_SERVER": "127.0.0.1",
           "MAIL_PORT": str(smtp_server.port), "SECRET_KEY": app.config["SECRET_KEY"],
           "STAGEBOURSE_ENV": "test", "PUBLIC_URL": "http://stagebourse.test"}
    process = subprocess.Popen(
        [sys.executable, "-m", "stagebourse", "worker", "--poll", "0.2"], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert wait_for(lambda: len(smtp_server.raw) >= 5), "the worker sent nothing"
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, output
    assert "Arrêt demandé" in output and "Worker arrêté." in output
    db.session.expire_all()
    sent = db.session.scalar(select(func.count()).where(OutboxMessage.state == OutboxState.SENT))
    assert sent == 5
    assert len(smtp_server.raw) == 5
