"""Every page fits a 375 px phone: nothing wider than the screen, no sideways scrolling.

For every persona, every GET page that persona may open is shown in Chromium at 375 px; the
document must not be wider than the window (wide tables scroll inside their own region).
One browser, one context per persona, the access matrix's seeded world.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask

from stagebourse.extensions import db
from stagebourse.models import Agreement, Party
from stagebourse.services import agreements
from tests.e2e.conftest import VIEWPORTS
from tests.web.conftest import world  # noqa: F401 - the access matrix's seeded world
from tests.web.route_map import build_url, rules, sign_in

PERSONAS = ["anonymous", "pupil", "tutor", "company", "teacher", "steering", "observer"]
PHONE_WIDTH = 375
SKIPPED = {"auth.sign_out", "static", "public.set_language"}


def html_pages(app: Flask, client: Any, values: dict[str, Any]) -> list[str]:
    """The GET pages this client may open and that answer with HTML (no export, no file)."""
    pages = []
    for rule, method in rules(app):
        if method != "GET" or rule.endpoint in SKIPPED:
            continue
        # url_for may answer with the test configuration's host: keep the path only.
        url = urlsplit(build_url(rule, values))
        path = url.path + (f"?{url.query}" if url.query else "")
        response = client.get(path)
        if response.status_code == 200 and response.mimetype == "text/html":
            pages.append(path)
        response.close()
    return pages


def test_every_page_of_every_persona_fits_a_phone(app: Flask, live_server: str, browser: Any,
                                                  world: dict[str, Any]) -> None:  # noqa: F811
    problems = []
    for persona in PERSONAS:
        client = app.test_client()
        user = world["users"].get(persona)
        if user is not None:
            app.config["WTF_CSRF_ENABLED"] = False  # the test client signs in without a form
            sign_in(client, user)
            app.config["WTF_CSRF_ENABLED"] = True
        pages = html_pages(app, client, world["values"])
        assert pages, persona
        if persona == "anonymous":
            # The signing page behind a party's personal link (the matrix's token is invalid).
            agreement = db.session.get(Agreement, world["values"]["agreement_id"])
            signing = f"/convention/{agreements.make_token(agreement, Party.HOST)}"
            assert client.get(signing).status_code == 200
            pages.append(signing)
        context = browser.new_context(locale="fr-FR", **VIEWPORTS["phone"])
        cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
        if cookie is not None:  # the browser carries the test client's signed-in session
            context.add_cookies([{"name": cookie.key, "value": cookie.value,
                                  "url": live_server}])
        page = context.new_page()
        for path in pages:
            page.goto(live_server + path)
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE_WIDTH:
                culprit = page.evaluate(WIDEST_ELEMENT, PHONE_WIDTH)
                problems.append(f"{persona} {path}: {width} px ({culprit})")
        context.close()
    assert not problems, "\n".join(problems)


# Names the outermost element sticking out past the screen's right edge, to say what to fix.
WIDEST_ELEMENT = """(limit) => {
  const clipped = (el) => {
    for (let up = el.parentElement; up; up = up.parentElement) {
      if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(up).overflowX)) return true;
    }
    return false;
  };
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.right > limit + 0.5 && !clipped(el)) {
      const id = el.id ? '#' + el.id : '';
      const cls = el.className && typeof el.className === 'string'
        ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
      return el.tagName.toLowerCase() + id + cls + ' right=' + Math.round(box.right)
        + ' "' + (el.textContent || '').trim().slice(0, 40) + '"';
    }
  }
  return 'nothing found';
}"""
