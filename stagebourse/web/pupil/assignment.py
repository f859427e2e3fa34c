"""The pupil's internship once a round is published: confirm or decline it, each after a
confirmation step, then a page that says what happens next; a sheet to print for the family."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from stagebourse.identifiers import week_label
from stagebourse.models import Assignment, AssignmentState
from stagebourse.services import ServiceError, matching, placement
from stagebourse.web.confirm import confirmation_page, confirmed
from stagebourse.web.forms import ActionForm
from stagebourse.web.loaders import load_assignment
from stagebourse.web.pupil import bp


@bp.route("/affectation")
def assignment_page() -> str:
    pupil = current_user.pupil
    rows = [(a, placement.describe(a)) for a in matching.pupil_assignments(pupil)]
    return render_template("pupil/assignment.html", rows=rows, form=ActionForm(),
                           week_label=week_label)


def _published(assignment_id: int) -> Assignment:
    """The pupil's assignment once published (a proposal of an unpublished round is 404)."""
    assignment = load_assignment(assignment_id)
    if not placement.is_published(assignment):
        abort(404)
    return assignment


@bp.route("/affectation/<int:assignment_id>/refuser")
def assignment_decline(assignment_id: int) -> str | Response:
    """The confirmation step of a decline: what happens next, before anything is written."""
    assignment = load_assignment(assignment_id)
    if assignment.state != AssignmentState.PUBLISHED or assignment.pupil_confirmed_at:
        return redirect(url_for("pupil.assignment_page"))
    return render_template("pupil/assignment_decline.html", a=assignment, form=ActionForm(),
                           consequence=matching.PUPIL_DECLINE_CONSEQUENCE,
                           where=placement.describe(assignment))


@bp.route("/affectation/<int:assignment_id>/<any(accept, decline):answer>", methods=["POST"])
def assignment_answer(assignment_id: int, answer: str) -> str | Response | tuple[str, int]:
    assignment = load_assignment(assignment_id)
    if not confirmed():
        if answer == "decline":
            # A decline is final: it goes through the page that says so.
            return assignment_decline(assignment.id)
        where = placement.describe(assignment)
        return confirmation_page(
            title=_("Accepter ce stage ?"),
            action=url_for("pupil.assignment_answer", assignment_id=assignment.id,
                           answer="accept"),
            button=_("Oui, j'accepte ce stage"), danger=False,
            back=url_for("pupil.assignment_page"),
            facts=[(_("Stage"), f"{where.offer_title}, {where.company}"),
                   (_("Où"), where.full_address), (_("Quand"), where.dates)],
            consequence=_("En acceptant, tu t'engages à y aller toute la semaine. Parles-en "
                          "avec ta famille avant de répondre."))
    if ActionForm().validate_on_submit():
        try:
            matching.answer_for_pupil(current_user, assignment, answer == "accept")
        except ServiceError as error:
            flash(str(error), "error")
        else:
            return redirect(url_for("pupil.assignment_next", assignment_id=assignment.id))
    return redirect(url_for("pupil.assignment_page"))


@bp.route("/affectation/<int:assignment_id>/suite")
def assignment_next(assignment_id: int) -> str:
    """What happens after the pupil's answer, whatever it was."""
    assignment = _published(assignment_id)
    return render_template("pupil/assignment_next.html", a=assignment,
                           where=placement.describe(assignment),
                           decline_next=matching.PUPIL_DECLINE_NEXT_STEP)


@bp.route("/affectation/<int:assignment_id>/fiche")
def assignment_sheet(assignment_id: int) -> str:
    """The sheet to print for the family: everything the e-mail says, on paper."""
    assignment = _published(assignment_id)
    return render_template("placement_sheet.html", a=assignment,
                           where=placement.describe(assignment),
                           back=url_for("pupil.assignment_page"))
