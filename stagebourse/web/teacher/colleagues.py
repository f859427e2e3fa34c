"""Colleagues of the same school waiting for validation."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from stagebourse.services import ServiceError, teachers
from stagebourse.web.teacher import bp


@bp.route("/collegues")
def colleagues() -> str:
    return render_template("teacher/colleagues.html",
                           pending=teachers.pending_teachers(current_user),
                           validated=current_user.validated_at is not None)


@bp.route("/collegues/<int:teacher_id>/valider", methods=["POST"])
def colleague_validate(teacher_id: int) -> Response:
    try:
        teacher = teachers.validate_teacher(current_user, teacher_id)
    except ServiceError as error:
        flash(str(error), "error")
    else:
        flash(_("Le compte de %(name)s est validé ; un e-mail l'en informe.",
                name=teacher.display_name), "success")
    return redirect(url_for("teacher.colleagues"))
