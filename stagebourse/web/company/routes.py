from flask import Blueprint, render_template
from flask_login import current_user

from stagebourse.models import Role
from stagebourse.services import dashboards
from stagebourse.web.guards import guard_blueprint

bp = Blueprint("company", __name__, url_prefix="/structure")
guard_blueprint(bp, Role.COMPANY)


@bp.route("/")
def home() -> str:
    return render_template("company/home.html", home=dashboards.company_home(current_user))
