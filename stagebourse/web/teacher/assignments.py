"""Teachers see their pupils' published assignments and answer for them."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from stagebourse.labels import assignment_status
from stagebourse.models import AssignmentState
from stagebourse.services import ServiceError, matching, placement
from stagebourse.web.confirm import confirmed
from stagebourse.web.exports import csv_response
from stagebourse.web.forms import ActionForm
from stagebourse.web.loaders import load_assignment
from stagebourse.web.teacher import bp
from stagebourse.web.teacher.pupils import validated_only


@bp.route("/affectations")
@validated_only
def assignments_page() -> str | Response:
    rows = matching.school_assignments(current_user, current_user.school_id)
    state = request.args.get("state")
    if state:
        rows = [a for a in rows if a.state.value == state]
    if request.args.get("format") == "csv":
        return csv_response(
            "affectations.csv",
            [_("Élève"), _("Classe"), _("Offre"), _("Structure"), _("Adresse"), _("Semaine"),
             _("État")],
            ([f"{a.pupil.first_name} {a.pupil.last_name}", a.pupil.class_name, a.offer.title,
              a.offer.company.name, a.offer.address, a.week, assignment_status(a)] for a in rows))
    return render_template("teacher/assignments.html", rows=rows, form=ActionForm(),
                           state=state)


@bp.route("/affectations/<int:assignment_id>/refuser")
@validated_only
def assignment_decline(assignment_id: int) -> str | Response:
    """The confirmation step of a decline for a pupil: what happens next, before it is done."""
    assignment = load_assignment(assignment_id)
    if assignment.state != AssignmentState.PUBLISHED or assignment.pupil_confirmed_at:
        return redirect(url_for("teacher.assignments_page"))
    return render_template("teacher/assignment_decline.html", a=assignment, form=ActionForm(),
                           consequence=matching.TEACHER_DECLINE_CONSEQUENCE
                           % {"name": assignment.pupil.first_name})


@bp.route("/affectations/<int:assignment_id>/<any(accept, decline):answer>",
          methods=["POST"])
@validated_only
def assignment_answer(assignment_id: int, answer: str) -> Response:
    assignment = load_assignment(assignment_id)
    if answer == "decline" and not confirmed():
        # A decline is final: it goes through the page that says so.
        return redirect(url_for("teacher.assignment_decline", assignment_id=assignment.id))
    if ActionForm().validate_on_submit():
        try:
            matching.answer_for_pupil(current_user, assignment, answer == "accept")
        except ServiceError as error:
            flash(str(error), "error")
        else:
            name = assignment.pupil.first_name
            flash(_("Réponse enregistrée pour %(name)s.", name=name) if answer == "accept"
                  else matching.TEACHER_DECLINE_NEXT_STEP % {"name": name}, "success")
    return redirect(url_for("teacher.assignments_page"))


@bp.route("/affectations/<int:assignment_id>/fiche")
@validated_only
def assignment_sheet(assignment_id: int) -> str:
    """The family's sheet, to print for a family without e-mail."""
    assignment = load_assignment(assignment_id)
    if not placement.is_published(assignment):
        abort(404)
    return render_template("placement_sheet.html", a=assignment,
                           where=placement.describe(assignment),
                           back=url_for("teacher.assignments_page"))
