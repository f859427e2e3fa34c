from flask import render_template
from flask_babel import gettext as _
from flask_login import current_user

from stagebourse.models import Audience
from stagebourse.services import dashboards, preparation
from stagebourse.web.pupil import bp


@bp.route("/")
def home() -> str:
    return render_template("pupil/home.html", home=dashboards.pupil_home(current_user))


@bp.route("/preparation")
def preparation_page() -> str:
    pages = preparation.materials_for(current_user, Audience.PUPIL)
    return render_template("preparation_materials.html", sections=[(None, pages)],
                           title=_("Préparer mon stage"),
                           intro=_("Lis ces documents avec ta famille avant ton stage : ce "
                                   "qui t'attend, tes droits, et à qui parler si quelque chose "
                                   "ne va pas."))
