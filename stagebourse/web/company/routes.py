from flask import render_template
from flask_login import current_user

from stagebourse.services import dashboards
from stagebourse.web.company import bp


@bp.route("/")
def home() -> str:
    return render_template("company/home.html", home=dashboards.company_home(current_user))
