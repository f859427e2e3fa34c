"""Teachers of every school waiting for validation."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from stagebourse.services import ServiceError, teachers
from stagebourse.web.steering import bp


@bp.route("/professeurs")
def pending_teachers() -> str:
    return render_template("steering/pending_teachers.html",
                           pending=teachers.pending_teachers(current_user))


@bp.route("/professeurs/<int:teacher_id>/valider", methods=["POST"])
def teacher_validate(teacher_id: int) -> Response:
    try:
        teacher = teachers.validate_teacher(current_user, teacher_id)
    except ServiceError as error:
        flash(str(error), "error")
    else:
        flash(_("Le compte de %(name)s est validé ; un e-mail l'en informe.",
                name=teacher.display_name), "success")
    return redirect(url_for("steering.pending_teachers"))
