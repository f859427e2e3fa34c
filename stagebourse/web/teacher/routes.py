from flask import Blueprint, render_template
from flask_login import current_user

from stagebourse.models import Role
from stagebourse.services import dashboards
from stagebourse.web.guards import guard_blueprint

bp = Blueprint("teacher", __name__, url_prefix="/professeur")
guard_blueprint(bp, Role.TEACHER)


@bp.route("/")
def home() -> str:
    return render_template("teacher/home.html", home=dashboards.teacher_home(current_user))
