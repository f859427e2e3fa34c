"""End-to-end fixtures: the app served on loopback, driven by Debian's Chromium via Playwright.

Never downloads a browser: the executable is /usr/bin/chromium (Debian package ``chromium``).
Set STAGEBOURSE_E2E_OPTIONAL=1 to skip these tests on a machine without it; CI never does.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "e2e"
VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {"viewport": {"width": 375, "height": 740}, "is_mobile": True, "has_touch": True,
              "device_scale_factor": 2},
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("STAGEBOURSE_E2E_OPTIONAL"):
            pytest.skip("Chromium absent (apt-get install chromium)")
        pytest.fail("Chromium is required: apt-get install chromium chromium-driver")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The test app on a free loopback port, in a thread, sharing the test database."""
    app.config.update(SERVER_NAME=None, WTF_CSRF_ENABLED=True, PUBLIC_URL="http://127.0.0.1")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def job_worker(app: Flask, live_server: str) -> Iterator[None]:
    """``stagebourse worker``'s job loop beside the live server, in a thread with an application
    context (hence a database session) of its own: the pages queue matching runs, the worker
    code computes them, exactly as the worker process does."""
    from stagebourse.cli.worker import run_due_jobs
    from stagebourse.extensions import db

    stop = threading.Event()
    failures: list[BaseException] = []

    def loop() -> None:
        with app.app_context():
            while not stop.is_set():
                try:
                    run_due_jobs("e2e-worker", stop)
                except Exception as error:  # noqa: BLE001 - shown by the test's teardown
                    failures.append(error)
                    db.session.rollback()
                db.session.remove()
                stop.wait(0.2)

    thread = threading.Thread(target=loop, name="e2e-job-worker", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=120)
    assert not failures, failures


@pytest.fixture(params=sorted(VIEWPORTS))
def page(request: pytest.FixtureRequest, browser: object) -> Iterator[object]:
    context = browser.new_context(locale="fr-FR", **VIEWPORTS[request.param])  # type: ignore[attr-defined]
    page = context.new_page()
    page.viewport_name = request.param
    yield page
    context.close()


def assert_accessible(page: object) -> None:
    """axe-core (bundled by axe-playwright-python): no serious or critical violation."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']]}"
        for v in bad
    )


def screenshot(page: object, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}-{page.viewport_name}.png"  # type: ignore[attr-defined]
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    return path
