"""``stagebourse worker`` as a real process, against the test database and a loopback SMTP
server: started, stopped with SIGTERM, or killed outright."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask

ROOT = Path(__file__).resolve().parents[1]


def wait_for(condition: Callable[[], object], seconds: float = 60.0) -> bool:
    """Poll ``condition`` until it is true or ``seconds`` have passed (a bound, not a measure)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


class WorkerProcess:
    """One ``python -m stagebourse worker`` loop. Its output goes to a file, not a pipe: a
    worker that logs every failed attempt would otherwise block on a full pipe."""

    def __init__(self, env: dict[str, str], log_path: Path, poll: float) -> None:
        self.log_path = log_path
        self._log = log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "stagebourse", "worker", "--poll", str(poll)], cwd=ROOT,
            env=env, stdout=self._log, stderr=subprocess.STDOUT, text=True)

    @property
    def output(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text()

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 60.0) -> int:
        """SIGTERM (the worker finishes the message in hand), wait; return the exit code."""
        self.process.send_signal(signal.SIGTERM)
        return self._wait(timeout)

    def kill(self) -> int:
        """SIGKILL: the process dies wherever it is, nothing recorded after that point."""
        self.process.kill()
        return self._wait(60.0)

    def _wait(self, timeout: float) -> int:
        try:
            return self.process.wait(timeout=timeout)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            self._log.close()


@pytest.fixture(name="start_worker")
def start_worker_fixture(app: Flask, db_url: str,
                         tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    """Start worker processes on the test database; any still running at the end is killed.

    ``start_worker(smtp_port, MAIL_BATCH_SIZE=5, ...)``: keyword arguments are environment
    variables (the worker reads its settings from the environment, as in production).
    """
    started: list[WorkerProcess] = []

    def start(smtp_port: int, poll: float = 0.2, **settings: object) -> WorkerProcess:
        env = {**os.environ, "DATABASE_URL": db_url, "MAIL_SERVER": "127.0.0.1",
               "MAIL_PORT": str(smtp_port), "SECRET_KEY": app.config["SECRET_KEY"],
               "STAGEBOURSE_ENV": "test", "PUBLIC_URL": "http://stagebourse.test",
               **{name: str(value) for name, value in settings.items()}}
        worker = WorkerProcess(env, tmp_path / f"worker-{len(started) + 1}.log", poll)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        if worker.running:
            worker.kill()
