from flask import Blueprint, render_template
from flask_login import current_user

from stagebourse.models import Role
from stagebourse.services import dashboards
from stagebourse.web.guards import guard_blueprint

bp = Blueprint("tutor", __name__, url_prefix="/tuteur")
guard_blueprint(bp, Role.TUTOR)


@bp.route("/")
def home() -> str:
    return render_template("tutor/home.html", offers=dashboards.tutor_home(current_user))
