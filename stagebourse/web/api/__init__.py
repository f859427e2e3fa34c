"""JSON API for partner organisations, under /api/v1 (bearer tokens, no cookies, no CSRF)."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from stagebourse.web.api import routes  # noqa: E402, F401
