"""The company blueprint: every route here is for signed-in users with the company role only."""

from flask import Blueprint

from stagebourse.models import Role
from stagebourse.web.guards import guard_blueprint

bp = Blueprint("company", __name__, url_prefix="/structure")
guard_blueprint(bp, Role.COMPANY)

# Route modules register themselves on bp; add one import per module.
from stagebourse.web.company import (  # noqa: E402, F401
    agreements,
    assignments,
    offers,
    routes,
    structure,
    tutors,
)
