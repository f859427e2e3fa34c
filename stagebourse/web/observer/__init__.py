"""The observers' room (/observation): the wider steering group reads aggregate figures.

Every route here is for signed-in users with the observer role only, and reads only: no form,
no person's data (services/observation.py says what it shows).
"""

from flask import Blueprint

from stagebourse.models import Role
from stagebourse.web.guards import guard_blueprint

bp = Blueprint("observer", __name__, url_prefix="/observation")
guard_blueprint(bp, Role.OBSERVER)

from stagebourse.web.observer import routes  # noqa: E402, F401
