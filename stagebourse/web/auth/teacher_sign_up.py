"""Teachers create their account for a school; a colleague or the steering group validates."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from stagebourse.services import ServiceError, teachers
from stagebourse.web.auth.forms_teacher import TeacherSignUpForm
from stagebourse.web.auth.routes import bp
from stagebourse.web.guards import home_url_for


@bp.route("/inscription/professeur", methods=["GET", "POST"])
def teacher_sign_up() -> str | Response:
    if current_user.is_authenticated:
        return redirect(home_url_for(current_user.role))
    form = TeacherSignUpForm()
    form.school_id.choices = [SelectChoice(0, _("— choisissez votre établissement —"))] + [
        SelectChoice(s.id, f"{s.town} — {s.name} ({s.uai})")
        for s in teachers.schools_for_sign_up()]
    if form.validate_on_submit():
        try:
            teachers.sign_up_teacher(form.email.data, form.display_name.data,
                                     form.password.data, form.school_id.data)
        except ServiceError as error:
            flash(str(error), "error")
        else:
            # The same answer whether the address was new or had an account (no probing).
            flash(_("Merci. Un e-mail vient d'être envoyé à l'adresse indiquée : il explique "
                    "la suite. Pensez à regarder dans les indésirables."), "success")
            return redirect(url_for("auth.sign_in"))
    return render_template("auth/teacher_sign_up.html", form=form)
