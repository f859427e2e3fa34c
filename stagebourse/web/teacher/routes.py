from flask import render_template
from flask_babel import gettext as _
from flask_login import current_user

from stagebourse.models import Audience
from stagebourse.services import dashboards, preparation
from stagebourse.web.teacher import bp


@bp.route("/")
def home() -> str:
    return render_template("teacher/home.html", home=dashboards.teacher_home(current_user))


@bp.route("/preparation")
def preparation_page() -> str:
    sections = [(_("Pour vous"), preparation.materials_for(current_user, Audience.TEACHER)),
                (_("Pour vos élèves (à lire en classe)"),
                 preparation.materials_for(current_user, Audience.PUPIL))]
    return render_template("preparation_materials.html", sections=sections,
                           title=_("Préparer les stagiaires"),
                           intro=_("Les documents pour préparer vos élèves à leur stage "
                                   "d'observation et les accompagner pendant la semaine."))
