"""The structure's agreements: its own list, review and correction of its part, PDF, and the
scan of a signature given on paper (checked by the steering group before it counts).

The host never sees how to reach the pupil's family: every document shown here is rendered
with ``family_hidden``."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from stagebourse.labels import label
from stagebourse.models import PARTIES, Agreement, AgreementState, Party
from stagebourse.services import ServiceError, agreements
from stagebourse.web.company import bp
from stagebourse.web.company.forms_agreements import CompanyPartForm, HostPaperForm
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
            status: int = 200, paper_form: HostPaperForm | None = None) -> tuple[str, int]:
    signed = agreements.active_signatures(agreement)
    return render_template(
        "company/agreement.html", form=form or CompanyPartForm(data=agreement.content["host"]),
        waiting=agreements.missing_parties(agreement), signed=signed,
        editable=agreement.state in (AgreementState.DRAFT, AgreementState.TO_SIGN),
        paper_form=paper_form or HostPaperForm(),
        pending_scan=agreements.pending_host_scan(agreement),
        refused_scan=agreements.refused_host_scan(agreement),
        can_upload=agreement.state == AgreementState.TO_SIGN and Party.HOST not in signed,
        **agreements.document_context(agreement, family_hidden=True)), status


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


@bp.route("/conventions/<int:agreement_id>/papier", methods=["POST"])
def agreement_paper(agreement_id: int) -> Response | tuple[str, int]:
    agreement = load_agreement(agreement_id)
    form = HostPaperForm()
    if not form.validate_on_submit():
        return _detail(agreement, status=422, paper_form=form)
    try:
        agreements.upload_host_paper_signature(current_user, agreement,
                                               form.signer_name.data or "",
                                               form.scan.data.read())
    except ServiceError as error:
        flash(str(error), "error")
        return _detail(agreement, status=422, paper_form=form)
    flash(_("Scan envoyé. Le groupe de pilotage le vérifie : votre signature comptera dès sa "
            "validation."), "success")
    return redirect(url_for("company.agreement_detail", agreement_id=agreement.id))


@bp.route("/conventions/<int:agreement_id>/pdf")
def agreement_pdf(agreement_id: int) -> Response:
    return pdf_response(load_agreement(agreement_id), family_hidden=True)
