from flask import Blueprint, render_template
from flask_login import current_user

from stagebourse.models import Role
from stagebourse.services import dashboards
from stagebourse.web.guards import guard_blueprint

bp = Blueprint("pupil", __name__, url_prefix="/eleve")
guard_blueprint(bp, Role.PUPIL)


@bp.route("/")
def home() -> str:
    return render_template("pupil/home.html", home=dashboards.pupil_home(current_user))
