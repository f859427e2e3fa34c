"""The school's agreements: settings per campaign, board by state, review, sending, paper
signatures, PDF."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from stagebourse.labels import label
from stagebourse.models import PARTIES, Agreement, AgreementState, Party
from stagebourse.services import ServiceError, agreements, campaigns
from stagebourse.web.confirm import confirmation_page, confirmed
from stagebourse.web.exports import csv_response, pdf_response
from stagebourse.web.forms import ActionForm, select_choices
from stagebourse.web.loaders import load_agreement
from stagebourse.web.teacher import bp
from stagebourse.web.teacher.forms_agreements import (
    PaperSignatureForm,
    SchoolPartForm,
    SettingsForm,
)
from stagebourse.web.teacher.pupils import validated_only


@bp.route("/conventions")
@validated_only
def agreement_board() -> str | Response:
    state, waiting = request.args.get("etat") or None, request.args.get("attente") or None
    class_name = request.args.get("classe") or None
    rows = agreements.school_board(current_user, current_user.school, state, waiting, class_name)
    if request.args.get("format") == "csv":
        return csv_response("conventions.csv", [
            "élève", "classe", "structure", "semaine", "premier jour", "état", "version",
            "signatures manquantes", "signée le"], [
            (r.pupil_name, r.class_name, r.host, r.week, r.agreement.first_day.isoformat(),
             label(r.agreement.state), r.agreement.version,
             ", ".join(label(p) for p in r.waiting),
             r.agreement.signed_at.date().isoformat() if r.agreement.signed_at else "")
            for r in rows])
    classes = sorted({r.class_name
                      for r in agreements.school_board(current_user, current_user.school)})
    return render_template(
        "teacher/agreements.html", rows=rows, state=state, waiting=waiting,
        class_name=class_name, classes=classes, states=list(AgreementState), parties=PARTIES,
        form=ActionForm(), to_draft=len(agreements.confirmed_without_agreement(
            current_user, current_user.school)))


@bp.route("/conventions/preparer", methods=["POST"])
@validated_only
def agreement_draft_missing() -> Response:
    if ActionForm().validate_on_submit():
        count = agreements.draft_missing(current_user, current_user.school)
        flash(_("%(n)s convention(s) préparée(s) à partir des affectations confirmées.",
                n=count), "success")
    return redirect(url_for("teacher.agreement_board"))


@bp.route("/conventions/parametres", methods=["GET", "POST"])
@validated_only
def agreement_settings() -> str | Response:
    offered = agreements.campaigns_for_settings()
    if not offered:
        flash(_("Aucune campagne en cours : les paramètres se règlent par campagne."), "info")
        return redirect(url_for("teacher.agreement_board"))
    chosen_id = request.values.get("campaign", type=int) or offered[0].id
    campaign = campaigns.get_campaign(chosen_id) or offered[0]
    current = agreements.settings_for(current_user.school, campaign)
    form = SettingsForm(obj=current, campaign=str(campaign.id))
    if current is None and not form.is_submitted():
        form.head_name.data = current_user.school.head_name
    form.campaign.choices = select_choices((str(c.id), c.name) for c in offered)
    if form.validate_on_submit():
        try:
            agreements.save_settings(current_user, campaign, form.data)
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash(_("Paramètres enregistrés : les conventions en préparation les reprennent."),
                  "success")
            return redirect(url_for("teacher.agreement_settings", campaign=campaign.id))
    return render_template("teacher/agreement_settings.html", form=form, campaign=campaign)


def _detail(agreement: Agreement, part_form: SchoolPartForm | None = None,
            paper_form: PaperSignatureForm | None = None, status: int = 200) -> tuple[str, int]:
    if part_form is None:
        part_form = SchoolPartForm(data=agreement.content["school"])
    signed = agreements.active_signatures(agreement)
    return render_template(
        "teacher/agreement.html", part_form=part_form, send_form=ActionForm(),
        paper_form=paper_form or PaperSignatureForm(), missing=agreements.missing_fields(
            agreement.content), waiting=agreements.missing_parties(agreement),
        emails={p: agreements.party_email(agreement, p) for p in PARTIES}, signed=signed,
        editable=agreement.state in (AgreementState.DRAFT, AgreementState.TO_SIGN),
        **agreements.document_context(agreement)), status


@bp.route("/conventions/<int:agreement_id>")
@validated_only
def agreement_detail(agreement_id: int) -> tuple[str, int]:
    return _detail(load_agreement(agreement_id))


@bp.route("/conventions/<int:agreement_id>/corriger", methods=["POST"])
@validated_only
def agreement_correct(agreement_id: int) -> Response | tuple[str, int]:
    agreement = load_agreement(agreement_id)
    form = SchoolPartForm()
    if not form.validate_on_submit():
        return _detail(agreement, part_form=form, status=422)
    had_signatures = bool(agreements.active_signatures(agreement))
    try:
        changed = agreements.correct(current_user, agreement, Party.SCHOOL, form.data)
    except ServiceError as error:
        flash(str(error), "error")
        return _detail(agreement, part_form=form, status=422)
    if changed and had_signatures:
        flash(_("Correction enregistrée. Les signatures déjà données portaient sur l'ancienne "
                "version : elles sont annulées, et les parties en sont prévenues par e-mail."),
              "warning")
    elif changed:
        flash(_("Correction enregistrée."), "success")
    else:
        flash(_("Rien n'a changé."), "info")
    return redirect(url_for("teacher.agreement_detail", agreement_id=agreement.id))


@bp.route("/conventions/<int:agreement_id>/envoyer", methods=["POST"])
@validated_only
def agreement_send(agreement_id: int) -> Response | tuple[str, int]:
    agreement = load_agreement(agreement_id)
    if not confirmed():
        return confirmation_page(
            title=_("Envoyer la convention pour signature ?"),
            action=url_for("teacher.agreement_send", agreement_id=agreement.id),
            button=_("Oui, envoyer aux signataires"), danger=False,
            back=url_for("teacher.agreement_detail", agreement_id=agreement.id),
            consequence=_("Chaque signataire reçoit un e-mail avec son lien de signature ; "
                          "un envoi ne se reprend pas. Relisez la convention avant."))
    if ActionForm().validate_on_submit():
        try:
            count = agreements.send_for_signature(current_user, agreement)
        except ServiceError as error:
            flash(str(error), "error")
            return _detail(agreement, status=422)
        flash(_("Convention envoyée pour signature : %(n)s e-mail(s) en file d'envoi.", n=count),
              "success")
    return redirect(url_for("teacher.agreement_detail", agreement_id=agreement.id))


@bp.route("/conventions/<int:agreement_id>/renvoyer/<party>", methods=["POST"])
@validated_only
def agreement_resend(agreement_id: int, party: str) -> Response:
    agreement = load_agreement(agreement_id)
    if party not in {p.value for p in PARTIES}:
        abort(404)
    if ActionForm().validate_on_submit():
        try:
            address = agreements.resend_link(current_user, agreement, Party(party))
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash(_("Lien renvoyé à %(email)s.", email=address), "success")
    return redirect(url_for("teacher.agreement_detail", agreement_id=agreement.id))


@bp.route("/conventions/<int:agreement_id>/papier", methods=["POST"])
@validated_only
def agreement_paper(agreement_id: int) -> Response | tuple[str, int]:
    agreement = load_agreement(agreement_id)
    form = PaperSignatureForm()
    if not form.validate_on_submit():
        return _detail(agreement, paper_form=form, status=422)
    try:
        agreements.record_paper_signature(current_user, agreement, Party(form.party.data),
                                          form.signer_name.data or "", form.scan.data.read())
    except ServiceError as error:
        flash(str(error), "error")
        return _detail(agreement, paper_form=form, status=422)
    flash(_("Signature sur papier enregistrée."), "success")
    return redirect(url_for("teacher.agreement_detail", agreement_id=agreement.id))


@bp.route("/conventions/<int:agreement_id>/pdf")
@validated_only
def agreement_pdf(agreement_id: int) -> Response:
    return pdf_response(load_agreement(agreement_id))


@bp.route("/conventions/<int:agreement_id>/scan/<int:signature_id>")
@validated_only
def agreement_scan(agreement_id: int, signature_id: int) -> Response:
    signature = agreements.signature_of(load_agreement(agreement_id), signature_id)
    path = agreements.scan_path(signature) if signature is not None else None
    if path is None:
        abort(404)
    return send_file(path, as_attachment=True, download_name=path.name)
