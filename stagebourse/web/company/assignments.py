"""A structure's proposals: blind until both sides confirmed (week, level, age on the first
day, accessibility need), then the pupil's name and school. Declining asks for a reason and a
confirmation; after the reveal, the structure can only ask the steering group to withdraw."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from stagebourse.labels import label
from stagebourse.services import ServiceError, matching
from stagebourse.web.company import bp
from stagebourse.web.company.forms_decisions import DeclineForm, WithdrawalForm
from stagebourse.web.exports import csv_response
from stagebourse.web.forms import ActionForm
from stagebourse.web.loaders import load_assignment


@bp.route("/accueils")
def assignments_page() -> str | Response:
    rows = matching.host_proposals(current_user, current_user.company)
    if request.args.get("format") == "csv":
        return csv_response(
            "accueils.csv",
            [_("N° proposition"), _("Offre"), _("Semaine"), _("Niveau"),
             _("Âge le premier jour"), _("Besoin d'un lieu accessible"), _("État"),
             _("Prénom"), _("Nom"), _("Établissement")],
            ([p.id, p.offer_title, p.week, label(p.level), p.age_on_first_day,
              _("oui") if p.needs_accessible else _("non"), p.status,
              *((p.pupil.first_name, p.pupil.last_name, p.pupil.school) if p.pupil
                else ("", "", ""))] for p in rows))
    return render_template("company/assignments.html", rows=rows, form=ActionForm())


@bp.route("/accueils/<int:assignment_id>/accept", methods=["POST"])
def assignment_accept(assignment_id: int) -> Response:
    assignment = load_assignment(assignment_id)
    if ActionForm().validate_on_submit():
        try:
            matching.answer_for_company(current_user, assignment, True)
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash(_("Accueil confirmé. Le nom et l'établissement de l'élève apparaîtront dès "
                    "que sa famille aura confirmé aussi."), "success")
    return redirect(url_for("company.assignments_page"))


@bp.route("/accueils/<int:assignment_id>/refuser", methods=["GET", "POST"])
def assignment_decline(assignment_id: int) -> str | Response | tuple[str, int]:
    assignment = load_assignment(assignment_id)
    proposal = matching.host_proposal(current_user, assignment)
    if not proposal.awaits_host:
        flash(_("Cette proposition n'attend plus votre réponse."), "info")
        return redirect(url_for("company.assignments_page"))
    form = DeclineForm()
    if form.validate_on_submit():
        try:
            matching.decline_proposal(current_user, assignment, form.reason.data,
                                      form.note.data)
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash(_("Refus enregistré. L'élève passe en priorité au prochain tour ; sa "
                    "famille, son professeur et le groupe de pilotage sont prévenus."),
                  "success")
            return redirect(url_for("company.assignments_page"))
    status = 422 if form.is_submitted() else 200
    return render_template("company/assignment_decline.html", proposal=proposal,
                           form=form), status


@bp.route("/accueils/<int:assignment_id>/retrait", methods=["GET", "POST"])
def assignment_withdrawal(assignment_id: int) -> str | Response | tuple[str, int]:
    assignment = load_assignment(assignment_id)
    proposal = matching.host_proposal(current_user, assignment)
    if not proposal.may_ask_withdrawal:
        flash(_("Une demande de retrait n'est possible que pour un stage confirmé des deux "
                "côtés, et une seule à la fois."), "info")
        return redirect(url_for("company.assignments_page"))
    form = WithdrawalForm()
    if form.validate_on_submit():
        try:
            matching.request_withdrawal(current_user, assignment, form.reason.data,
                                        form.note.data)
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash(_("Demande envoyée au groupe de pilotage. Le stage reste prévu tant qu'il "
                    "n'a pas décidé ; vous recevrez sa réponse par e-mail."), "success")
            return redirect(url_for("company.assignments_page"))
    status = 422 if form.is_submitted() else 200
    return render_template("company/assignment_withdrawal.html", proposal=proposal,
                           form=form), status
