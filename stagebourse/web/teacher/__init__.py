"""The teacher blueprint: every route here is for signed-in users with the teacher role only."""

from flask import Blueprint

from stagebourse.models import Role
from stagebourse.web.guards import guard_blueprint

bp = Blueprint("teacher", __name__, url_prefix="/professeur")
guard_blueprint(bp, Role.TEACHER)

# Route modules register themselves on bp; add one import per module.
from stagebourse.web.teacher import (  # noqa: E402, F401
    agreements,
    assignments,
    colleagues,
    pupils,
    questionnaires,
    routes,
)
