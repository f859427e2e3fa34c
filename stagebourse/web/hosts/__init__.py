"""Public pages for host structures: sign-up, asking to join, accepting an invitation."""

from flask import Blueprint

bp = Blueprint("hosts", __name__, url_prefix="/structures")

from stagebourse.web.hosts import routes  # noqa: E402, F401
