"""Signing personas in through the real sign-in forms, and reading pages as a person would."""

from __future__ import annotations

import html

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from stagebourse.models import Role, User
from tests.factories import TEST_PASSWORD, access_code


def login_as(client: FlaskClient, user: User) -> None:
    """Sign ``user`` in: a pupil with the access code make_pupil_user gave them, anyone else
    with TEST_PASSWORD."""
    if user.role == Role.PUPIL:
        response = client.post("/connexion/eleve", data={"code": access_code(user)})
    else:
        response = client.post("/connexion", data={"email": user.email,
                                                   "password": TEST_PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)


def page_text(response: TestResponse) -> str:
    """The response body with HTML entities decoded, for assertions on French text."""
    return html.unescape(response.get_data(as_text=True))


# People whose account the steering group closed while they were signed in, and a member of a
# structure refused after it signed up: each reaches nothing but the public pages.
CLOSED_PERSONAS = ("deactivated_teacher", "deactivated_company", "deactivated_tutor",
                   "deactivated_steering", "deactivated_observer", "rejected_company")


def close_account(client: FlaskClient, steering: User, user: User) -> None:
    """Close ``user``'s account the way the steering group does, through its pages (the
    confirmation step, then the confirmed form with its reason)."""
    form = client.get(f"/pilotage/comptes/{user.id}/desactiver")
    assert form.status_code == 200, form.status_code
    done = client.post(f"/pilotage/comptes/{user.id}/desactiver",
                       data={"reason": "A quitté son poste en juin"})
    assert done.status_code == 302, page_text(done)
