from flask import render_template
from flask_login import current_user

from stagebourse.services import dashboards
from stagebourse.web.steering import bp


@bp.route("/")
def home() -> str:
    return render_template("steering/home.html", home=dashboards.steering_home(current_user))
