"""Walking the URL map: every (rule, method), a URL for it, signing a persona in."""

from __future__ import annotations

from typing import Any

from flask import Flask, url_for
from werkzeug.routing import Rule

from stagebourse.models import Role
from tests.factories import TEST_PASSWORD
from tests.personas import login_as

# Values for arguments whose rule restricts them (any(...)) or whose name is shared.
ACTION_VALUES = {"steering.campaign_transition": "open", "pupil.request_action": "confirm",
                 "teacher.pupil_request_action": "confirm"}


def rules(app: Flask) -> list[tuple[Rule, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule, method))
    # Signing out last: it ends the persona's session for every later request.
    return sorted(found, key=lambda item: (item[0].endpoint == "auth.sign_out", item[0].rule))


def build_url(rule: Rule, values: dict[str, Any]) -> str:
    arguments = {}
    for name in rule.arguments:
        if name == "action":
            arguments[name] = ACTION_VALUES[rule.endpoint]
        else:
            assert name in values, f"{rule.endpoint}: add a value for <{name}> in the matrix"
            arguments[name] = values[name]
    return url_for(rule.endpoint, **arguments)


def sign_in(client: Any, user: Any) -> None:
    if user.role == Role.PUPIL:
        login_as(client, user)
    else:
        response = client.post("/connexion", data={"email": user.email,
                                                   "password": TEST_PASSWORD})
        assert response.status_code == 302


