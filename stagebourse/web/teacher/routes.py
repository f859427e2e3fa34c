from flask import render_template
from flask_login import current_user

from stagebourse.services import dashboards
from stagebourse.web.teacher import bp


@bp.route("/")
def home() -> str:
    return render_template("teacher/home.html", home=dashboards.teacher_home(current_user))
