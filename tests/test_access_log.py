"""Tokens carried in link paths never reach an access log: neither gunicorn's (production, with
the project's gunicorn.conf.py) nor the development server's (werkzeug)."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from stagebourse.access_log import redact

ROOT = Path(__file__).resolve().parents[1]

RESET = "IjQ1Ig.Z0pVzg.q8e2rZlT5SecretReset"
SIGN = "eyJhIjoxLCJwIjoiaG9zdCJ9.Z0pV.SecretSign"
TUTOR = "k3Jx-SecretTutor_4f9QmW2pZr8uYtL0aBcDeFgHiJkLmNo"
PREPARATION = "eyJ0IjoxLCJjIjoxfQ.Z0pV.SecretPrep"
INVITATION = "SecretInvitation.abc"
TOKENS = (RESET, SIGN, TUTOR, PREPARATION, INVITATION)
PATHS = (f"/mot-de-passe/{RESET}", f"/convention/{SIGN}/pdf", f"/acces-tuteur/{TUTOR}",
         f"/preparation/{PREPARATION}/document/charte", f"/structures/invitation/{INVITATION}")


def test_a_combined_log_line_loses_its_tokens_and_keeps_the_rest():
    line = (f'203.0.113.7 - - [04/Dec/2026:15:02:11 +0100] "GET /acces-tuteur/{TUTOR} HTTP/1.1" '
            f'302 199 "https://stagebourse.fr/convention/{SIGN}?x=1" "Mozilla/5.0 (X11)"')
    assert redact(line) == (
        '203.0.113.7 - - [04/Dec/2026:15:02:11 +0100] "GET /acces-tuteur/[jeton] HTTP/1.1" '
        '302 199 "https://stagebourse.fr/convention/[jeton]?x=1" "Mozilla/5.0 (X11)"')
    # Paths that merely contain a prefix word keep their figures.
    for kept in ('"GET /pilotage/preparation/3 HTTP/1.1"', '"GET /mot-de-passe-oublie HTTP/1.1"',
                 '"GET /professeur/conventions/12/pdf HTTP/1.1"'):
        assert redact(kept) == kept


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # one request, one log line


_OPENER = urllib.request.build_opener(_NoRedirect)


def _get(url: str, referer: str | None = None) -> None:
    request = urllib.request.Request(url, headers={"Referer": referer} if referer else {})
    try:
        _OPENER.open(request, timeout=20).close()
    except urllib.error.HTTPError as error:  # 4xx/5xx still make a log line
        error.close()


def test_gunicorn_access_log_with_the_project_settings_holds_no_token(tmp_path: Path):
    port = _free_port()
    log = tmp_path / "access.log"
    env = {**os.environ, "STAGEBOURSE_ENV": "development",
           "SECRET_KEY": "log-test-secret-key-0123456789-abcdefghij",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
           "PRIVATE_FILES_DIR": str(tmp_path / "private")}
    env.pop("TEST_DATABASE_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
         "--workers", "1", "--bind", f"127.0.0.1:{port}", "--access-logfile", str(log),
         "stagebourse:create_app()"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None, process.stderr.read().decode()  # type: ignore
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        base = f"http://127.0.0.1:{port}"
        for path in PATHS:
            _get(base + path, referer=f"{base}/convention/{SIGN}")
        deadline = time.monotonic() + 20
        while log.read_text().count("\n") < len(PATHS) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        process.terminate()
        process.wait(timeout=30)
        assert process.stderr is not None
        process.stderr.close()
    lines = log.read_text().splitlines()
    assert len(lines) == len(PATHS)
    text = "\n".join(lines)
    assert [token for token in TOKENS if token in text] == []
    assert text.count("[jeton]") == 2 * len(PATHS)  # the path and the Referer of each line
    assert '"GET /acces-tuteur/[jeton] HTTP/1.1"' in text
    assert '"GET /preparation/[jeton]/document/charte HTTP/1.1"' in text


class _Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.mark.database
def test_development_server_access_log_holds_no_token(app: Flask):
    keep = _Keep()
    logger = logging.getLogger("werkzeug")
    logger.addHandler(keep)
    level = logger.level
    logger.setLevel(logging.INFO)
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        for path in (f"/mot-de-passe/{RESET}", f"/convention/{SIGN}",
                     f"/preparation/{PREPARATION}"):
            _get(base + path)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        logger.removeHandler(keep)
        logger.setLevel(level)
    text = "\n".join(keep.lines)
    assert len(keep.lines) == 3, keep.lines
    assert [token for token in TOKENS if token in text] == []
    assert "GET /convention/[jeton] HTTP/1.1" in text  # colour codes may wrap it
