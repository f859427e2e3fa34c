"""Tutors' preparation pages, opened from a personal signed link: no sign-in needed.

The link itself is the credential (signed, expiring, bound to one tutor and one campaign), so
these pages show nothing about pupils.
"""

from flask import Blueprint

bp = Blueprint("preparation", __name__, url_prefix="/preparation")

from stagebourse.web.preparation import routes  # noqa: E402, F401
