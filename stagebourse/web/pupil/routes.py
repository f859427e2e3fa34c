from flask import render_template
from flask_login import current_user

from stagebourse.services import dashboards
from stagebourse.web.pupil import bp


@bp.route("/")
def home() -> str:
    return render_template("pupil/home.html", home=dashboards.pupil_home(current_user))
