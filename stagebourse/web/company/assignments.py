"""Structures confirm the pupils assigned to their offers (first name, level, school)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from stagebourse.labels import label
from stagebourse.services import ServiceError, matching
from stagebourse.web.company import bp
from stagebourse.web.exports import csv_response
from stagebourse.web.forms import ActionForm
from stagebourse.web.loaders import load_assignment


@bp.route("/accueils")
def assignments_page() -> str | Response:
    rows = matching.company_assignments(current_user, current_user.company)
    if request.args.get("format") == "csv":
        # Only what a structure needs: first name, level, school (MISSION.md, rule 6).
        return csv_response(
            "accueils.csv",
            [_("Prénom"), _("Niveau"), _("Établissement"), _("Offre"), _("Semaine"),
             _("État")],
            ([a.pupil.first_name, label(a.pupil.level), a.pupil.school.name, a.offer.title,
              a.week, label(a.state)] for a in rows))
    return render_template("company/assignments.html", rows=rows, form=ActionForm())


@bp.route("/accueils/<int:assignment_id>/<any(accept, decline):answer>", methods=["POST"])
def assignment_answer(assignment_id: int, answer: str) -> Response:
    assignment = load_assignment(assignment_id)
    if ActionForm().validate_on_submit():
        try:
            matching.answer_for_company(current_user, assignment, answer == "accept")
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash(_("Réponse enregistrée."), "success")
    return redirect(url_for("company.assignments_page"))
