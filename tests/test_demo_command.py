"""The README's first command: `stagebourse demo` migrates, seeds and really serves."""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
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
        reset_mail = _ask_for_a_reset_link(port, tmp_path / "demo.sqlite3",
                                          "prof@demo.stagebourse.fr")
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    assert "pilotage@demo.stagebourse.fr" in output and "DEMO-ELEVE" in output
    # The links it gives and mails lead to the port it serves, not to a default one.
    assert f"Ouvrez http://127.0.0.1:{port}/" in output, output
    links = re.findall(r"https?://[^\s\"'<>]+", reset_mail)
    assert links and all(link.startswith(f"http://127.0.0.1:{port}/") for link in links), links
    # The worker ran beside the server, and stopped with it.
    started = re.search(r"Service de calcul démarré \(processus (\d+)\)", output)
    assert started is not None, output
    assert "Service de calcul arrêté." in output, output
    with pytest.raises(ProcessLookupError):
        os.kill(int(started.group(1)), 0)


def _ask_for_a_reset_link(port: int, database: Path, email: str) -> str:
    """As a person would: the forgotten-password form, then the mail it left in the outbox
    (the demo has no mail server; the outbox is read straight from its database)."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    url = f"http://127.0.0.1:{port}/mot-de-passe-oublie"
    with opener.open(url, timeout=10) as reply:
        form = reply.read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)
    assert token is not None, form
    data = urllib.parse.urlencode({"csrf_token": token.group(1), "email": email}).encode()
    with opener.open(url, data=data, timeout=10):
        pass
    with sqlite3.connect(database) as connection:
        bodies = [row[0] for row in connection.execute(
            "SELECT body_text FROM outbox_messages WHERE recipient = ? AND body_text LIKE ?",
            (email, "%/mot-de-passe/%"))]
    assert len(bodies) == 1, bodies
    return str(bodies[0])
