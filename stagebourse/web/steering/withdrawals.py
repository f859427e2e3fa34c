"""Hosts' requests to withdraw a placement after the reveal: the list, its CSV, the decision."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from stagebourse.labels import assignment_status, label
from stagebourse.models import WithdrawalState
from stagebourse.services import ServiceError, matching
from stagebourse.web.exports import csv_response
from stagebourse.web.steering import bp
from stagebourse.web.steering.forms_withdrawals import ACCEPT, WithdrawalDecisionForm


def _state_filter() -> WithdrawalState | None:
    try:
        return WithdrawalState(request.args.get("etat") or "")
    except ValueError:
        return None


@bp.route("/retraits", methods=["GET", "POST"])
def withdrawal_requests() -> str | Response | tuple[str, int]:
    form = WithdrawalDecisionForm()
    if form.validate_on_submit():
        found = matching.withdrawal_request(current_user, form.request_id.data)
        if found is None:
            flash(_("Demande inconnue."), "error")
        else:
            try:
                matching.decide_withdrawal(current_user, found, form.decision.data == ACCEPT,
                                           form.note.data)
            except ServiceError as error:
                flash(str(error), "error")
            else:
                flash(_("Décision enregistrée ; la structure, et si le stage est retiré "
                        "l'élève et son professeur, sont prévenus."), "success")
                return redirect(url_for("steering.withdrawal_requests"))
    elif not form.is_submitted() and request.args.get("demande", "").isdigit():
        form.request_id.data = int(request.args["demande"])
    state = _state_filter()
    rows = matching.withdrawal_requests(current_user, state)
    if request.args.get("format") == "csv":
        return csv_response(
            "demandes-de-retrait.csv",
            [_("N° demande"), _("N° affectation"), _("Élève"), _("Établissement"),
             _("Structure"), _("Offre"), _("Semaine"), _("Raison"), _("Précision"),
             _("Demandée le"), _("État"), _("Décision"), _("Affectation")],
            ([r.id, r.assignment_id,
              f"{r.assignment.pupil.first_name} {r.assignment.pupil.last_name}",
              r.assignment.pupil.school.name, r.assignment.offer.company.name,
              r.assignment.offer.title, r.assignment.week, label(r.reason), r.note or "",
              r.requested_at.date().isoformat(), label(r.state), r.decision_note or "",
              assignment_status(r.assignment)] for r in rows))
    status = 422 if form.is_submitted() else 200
    return render_template("steering/withdrawals.html", rows=rows, form=form, state=state,
                           states=list(WithdrawalState),
                           counts=matching.withdrawal_counts(current_user)), status
