from flask import render_template

from stagebourse.services import dashboards
from stagebourse.web.steering import bp


@bp.route("/")
def home() -> str:
    return render_template("steering/home.html", home=dashboards.steering_home())
