from flask import Blueprint, render_template

from stagebourse.models import Role
from stagebourse.services import dashboards
from stagebourse.web.guards import guard_blueprint

bp = Blueprint("steering", __name__, url_prefix="/pilotage")
guard_blueprint(bp, Role.STEERING)


@bp.route("/")
def home() -> str:
    return render_template("steering/home.html", home=dashboards.steering_home())
