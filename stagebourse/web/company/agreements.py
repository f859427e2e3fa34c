"""The structure's agreements: its own list, review and correction of its part, PDF."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from stagebourse.labels import label
from stagebourse.models import PARTIES, Agreement, AgreementState, Party
from stagebourse.services import ServiceError, agreements
from stagebourse.web.company import bp
from stagebourse.web.company.forms_agreements import CompanyPartForm
from stagebourse.web.exports import csv_response, pdf_response
from stagebourse.web.loaders import load_agreement


@bp.route("/conventions")
def agreement_board() -> str | Response:
    state, waiting = request.args.get("etat") or None, request.args.get("attente") or None
    rows = agreements.company_board(current_user, current_user.company, state, waiting)
    if request.args.get("format") == "csv":
        return csv_response("conventions.csv", [
            "élève", "établissement", "semaine", "premier jour", "état",
            "signatures manquantes"], [
            (r.pupil_name, r.agreement.content["school"]["name"], r.week,
             r.agreement.first_day.isoformat(), label(r.agreement.state),
             ", ".join(label(p) for p in r.waiting)) for r in rows])
    return render_template("company/agreements.html", rows=rows, state=state, waiting=waiting,
                           states=list(AgreementState), parties=PARTIES)


def _detail(agreement: Agreement, form: CompanyPartForm | None = None,
            status: int = 200) -> tuple[str, int]:
    return render_template(
        "company/agreement.html", form=form or CompanyPartForm(data=agreement.content["host"]),
        waiting=agreements.missing_parties(agreement),
        signed=agreements.active_signatures(agreement),
        editable=agreement.state in (AgreementState.DRAFT, AgreementState.TO_SIGN),
        **agreements.document_context(agreement)), status


@bp.route("/conventions/<int:agreement_id>")
def agreement_detail(agreement_id: int) -> tuple[str, int]:
    return _detail(load_agreement(agreement_id))


@bp.route("/conventions/<int:agreement_id>/corriger", methods=["POST"])
def agreement_correct(agreement_id: int) -> Response | tuple[str, int]:
    agreement = load_agreement(agreement_id)
    form = CompanyPartForm()
    if not form.validate_on_submit():
        return _detail(agreement, form, 422)
    had_signatures = bool(agreements.active_signatures(agreement))
    try:
        changed = agreements.correct(current_user, agreement, Party.HOST, form.data)
    except ServiceError as error:
        flash(str(error), "error")
        return _detail(agreement, form, 422)
    if changed and had_signatures:
        flash(_("Correction enregistrée. Les signatures déjà données portaient sur l'ancienne "
                "version : elles sont annulées, et les parties en sont prévenues par e-mail."),
              "warning")
    else:
        flash(_("Correction enregistrée.") if changed else _("Rien n'a changé."),
              "success" if changed else "info")
    return redirect(url_for("company.agreement_detail", agreement_id=agreement.id))


@bp.route("/conventions/<int:agreement_id>/pdf")
def agreement_pdf(agreement_id: int) -> Response:
    return pdf_response(load_agreement(agreement_id))
