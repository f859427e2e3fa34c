"""Random and hostile values posted into every form: never a 500, never live HTML.

The forms are found from the pages themselves (every ``<form method="post">`` of every page
reachable by a GET in the URL map), so a new form is fuzzed without anyone listing it.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.web.route_map import build_url, rules, sign_in

OWNER = {"pupil": "pupil", "teacher": "teacher", "company": "company", "tutor": "tutor",
         "steering": "steering", "offers": "steering"}
MARKER = "<script>alert('x')</script>"
HOSTILE = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=31), max_size=20),
    st.sampled_from([
        MARKER, "<img src=x onerror=alert(1)>", "'; DROP TABLE pupils; --", "\" OR 1=1 --",
        "0000-00-00", "9999-12-31", "0001-01-01", "31/02/2012", "-1", "0", "1e308",
        "99999999999999999999999", "NaN", "∞", "１２", "\u202e", "%00", "../../etc/passwd",
        "a" * 5000, "2027-W99", "", " ", "null", "true", "[]", "{}",
    ]),
)


class FormFinder(HTMLParser):
    """Collects (action, field names) of every POST form of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, list[str]]] = []
        self._current: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form" and (values.get("method") or "").lower() == "post":
            self._current = (values.get("action") or "", [])
            self.forms.append(self._current)
        elif tag in ("input", "select", "textarea") and self._current is not None:
            name = values.get("name")
            if name and name != "csrf_token" and values.get("type") != "file":
                self._current[1].append(name)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


def discover_forms(app: Flask, clients: dict[str, Any], values: dict[str, Any]
                   ) -> list[tuple[str, str, list[str]]]:
    """(persona, action URL, field names) for every POST form on every GET page."""
    found: dict[tuple[str, str], list[str]] = {}
    for rule, method in rules(app):
        blueprint = rule.endpoint.split(".")[0]
        if method != "GET" or blueprint in ("static", "api") or "export" in rule.endpoint:
            continue
        persona = OWNER.get(blueprint, "anonymous")
        url = build_url(rule, values)
        response = clients[persona].get(url)
        if response.mimetype != "text/html" or response.status_code != 200:
            response.close()
            continue
        finder = FormFinder()
        finder.feed(response.get_data(as_text=True))
        for action, names in finder.forms:
            target = action or url
            if "/deconnexion" in target or not names:
                continue
            found.setdefault((persona, target), names)
    return [(persona, target, names) for (persona, target), names in sorted(found.items())]


@pytest.mark.committing  # side writes (throttle, rate counter, outbox)
def test_every_form_survives_hostile_values(app: Flask, world: dict[str, Any]):
    clients: dict[str, Any] = {"anonymous": app.test_client()}
    for persona in set(OWNER.values()):
        clients[persona] = app.test_client()
        sign_in(clients[persona], world["users"][persona])
    forms = discover_forms(app, clients, world["values"])
    assert len(forms) >= 30, forms  # the discovery itself must keep finding the app's forms

    @settings(max_examples=250, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(index=st.integers(0, len(forms) - 1), data=st.data())
    def post_hostile(index: int, data: st.DataObject) -> None:
        persona, target, names = forms[index]
        payload = {name: data.draw(HOSTILE, label=name) for name in names}
        response = clients[persona].post(target, data=payload)
        body = response.get_data(as_text=True)
        assert response.status_code < 500, (target, payload, response.status_code)
        assert MARKER not in body, f"unescaped HTML echoed by {target}"
        assert not re.search(r"<img src=x onerror", body), target

    post_hostile()
