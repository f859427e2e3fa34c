"""The steering blueprint: every route here is for signed-in users with the steering role only."""

from flask import Blueprint

from stagebourse.models import Role
from stagebourse.web.guards import guard_blueprint

bp = Blueprint("steering", __name__, url_prefix="/pilotage")
guard_blueprint(bp, Role.STEERING)

# Route modules register themselves on bp; add one import per module.
from stagebourse.web.steering import materials  # noqa: E402, F401
from stagebourse.web.steering import outbox  # noqa: E402, F401
from stagebourse.web.steering import routes  # noqa: E402, F401
