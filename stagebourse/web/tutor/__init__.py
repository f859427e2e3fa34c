"""The tutor blueprint: every route here is for signed-in users with the tutor role only."""

from flask import Blueprint

from stagebourse.models import Role
from stagebourse.web.guards import guard_blueprint

bp = Blueprint("tutor", __name__, url_prefix="/tuteur")
guard_blueprint(bp, Role.TUTOR)

# Route modules register themselves on bp; add one import per module.
from stagebourse.web.tutor import routes  # noqa: E402, F401
