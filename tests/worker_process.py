"""``stagebourse worker`` as a real process, against the test database and a loopback SMTP
server: started, stopped with SIGTERM, or killed outright."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

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
