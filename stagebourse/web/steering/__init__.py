"""The steering blueprint: every route here is for signed-in users with the steering role only."""

from flask import Blueprint

from stagebourse.models import Role
from stagebourse.web.guards import guard_blueprint

bp = Blueprint("steering", __name__, url_prefix="/pilotage")
guard_blueprint(bp, Role.STEERING)

# Route modules register themselves on bp: one name per module, in alphabetical order.
from stagebourse.web.steering import (  # noqa: E402, F401
    accounts,
    agreements,
    campaigns,
    companies,
    host_figures,
    instance_export,
    matching,
    materials,
    outbox,
    personal_data,
    questionnaires,
    routes,
    teachers,
    tutors,
    withdrawals,
)
