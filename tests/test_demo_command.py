"""The README's first command: `stagebourse demo` migrates, seeds and really serves."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_demo_command_serves_the_demo(tmp_path: Path):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/demo.sqlite3",
           "SECRET_KEY": "demo-command-test-secret-key-0123456789abcdef"}
    env.pop("STAGEBOURSE_ENV", None)
    process = subprocess.Popen([sys.executable, "-m", "stagebourse", "demo", "--port", str(port)],
                               cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        page = None
        for _ in range(240):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/connexion",
                                            timeout=1) as reply:
                    page = reply.read().decode()
                    break
            except OSError:
                assert process.poll() is None, process.stdout.read() if process.stdout else ""
                time.sleep(0.25)
        assert page is not None and "Connexion" in page
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    assert "pilotage@demo.stagebourse.fr" in output and "DEMO-ELEVE" in output
    # The worker ran beside the server, and stopped with it.
    started = re.search(r"Service de calcul démarré \(processus (\d+)\)", output)
    assert started is not None, output
    assert "Service de calcul arrêté." in output, output
    with pytest.raises(ProcessLookupError):
        os.kill(int(started.group(1)), 0)
