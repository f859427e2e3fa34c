from flask import render_template
from flask_login import current_user

from stagebourse.services import dashboards
from stagebourse.web.tutor import bp


@bp.route("/")
def home() -> str:
    return render_template("tutor/home.html", offers=dashboards.tutor_home(current_user))
