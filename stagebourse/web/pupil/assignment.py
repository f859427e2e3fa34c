"""The pupil's internship once a round is published: confirm or decline it."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from stagebourse.identifiers import week_label
from stagebourse.models import AssignmentState
from stagebourse.services import ServiceError, matching
from stagebourse.web.forms import ActionForm
from stagebourse.web.loaders import load_assignment
from stagebourse.web.pupil import bp


@bp.route("/affectation")
def assignment_page() -> str:
    pupil = current_user.pupil
    return render_template("pupil/assignment.html", assignments=matching.pupil_assignments(pupil),
                           form=ActionForm(), week_label=week_label)


@bp.route("/affectation/<int:assignment_id>/refuser")
def assignment_decline(assignment_id: int) -> str | Response:
    """The confirmation step of a decline: what happens next, before anything is written."""
    assignment = load_assignment(assignment_id)
    if assignment.state != AssignmentState.PUBLISHED or assignment.pupil_confirmed_at:
        return redirect(url_for("pupil.assignment_page"))
    return render_template("pupil/assignment_decline.html", a=assignment, form=ActionForm(),
                           consequence=matching.PUPIL_DECLINE_CONSEQUENCE,
                           week_label=week_label)


@bp.route("/affectation/<int:assignment_id>/<any(accept, decline):answer>", methods=["POST"])
def assignment_answer(assignment_id: int, answer: str) -> Response:
    assignment = load_assignment(assignment_id)
    if answer == "decline" and not request.form.get("confirmed"):
        # A decline is final: it goes through the page that says so.
        return redirect(url_for("pupil.assignment_decline", assignment_id=assignment.id))
    if ActionForm().validate_on_submit():
        try:
            matching.answer_for_pupil(current_user, assignment, answer == "accept")
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash(_("C'est noté : tu as accepté ce stage.") if answer == "accept"
                  else str(matching.PUPIL_DECLINE_NEXT_STEP), "success")
    return redirect(url_for("pupil.assignment_page"))
