"""The pupil blueprint: every route here is for signed-in users with the pupil role only."""

from flask import Blueprint

from stagebourse.models import Role
from stagebourse.web.guards import guard_blueprint

bp = Blueprint("pupil", __name__, url_prefix="/eleve")
guard_blueprint(bp, Role.PUPIL)

# Route modules register themselves on bp; add one import per module.
from stagebourse.web.pupil import assignment, requests, routes  # noqa: E402, F401
