"""Steering: validating structures, the Charter list, API tokens, supply vs demand."""

from __future__ import annotations

import datetime as dt
import io

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from stagebourse import clock
from stagebourse.models import CompanyState
from stagebourse.services import (
    ServiceError,
    campaigns,
    companies,
    host_decision_figures,
    offers,
    outreach,
)
from stagebourse.web.confirm import confirmation_page, confirmed
from stagebourse.web.exports import csv_response
from stagebourse.web.forms import ActionForm, select_choices
from stagebourse.web.loaders import load_api_token, load_company
from stagebourse.web.steering import bp
from stagebourse.web.steering.forms_companies import RejectForm, SignatoriesForm, TokenForm
from stagebourse.web.uploads import read_file


@bp.route("/structures")
def companies_list() -> str | Response:
    state = request.args.get("state") or None
    if state not in (None, *(s.value for s in CompanyState)):
        state = None
    q = request.args.get("q") or None
    items = companies.list_companies(current_user, state, q)
    if request.args.get("format") == "csv":
        return csv_response("structures.csv", ["siret", "nom", "type", "commune", "etat",
                                               "charte", "contact", "email"],
                            [[c.siret, c.name, c.kind.value,
                              c.commune.name if c.commune else "", c.state.value,
                              c.charter_status.value, c.contact_name, c.contact_email]
                             for c in items])
    return render_template("steering/companies.html", companies=items, state=state, q=q or "",
                           states=list(CompanyState))


@bp.route("/structures/<int:company_id>")
def company_view(company_id: int) -> str:
    company = load_company(company_id)
    return render_template("steering/company.html", company=company, approve=ActionForm(),
                           reject=RejectForm(), offers=offers.company_offers(company),
                           host=host_decision_figures.host_record(current_user, company),
                           gated=companies.charter_gate_blocks(company))


@bp.route("/structures/<int:company_id>/valider", methods=["POST"])
def company_approve(company_id: int) -> Response:
    company = load_company(company_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        companies.approve_company(current_user, company)
    except ServiceError as error:
        flash(str(error), "error")
    else:
        flash(_("%(name)s est validée ; la structure est prévenue par e-mail.",
                name=company.name), "success")
        if companies.charter_gate_blocks(company):
            flash(_("Ses offres restent invisibles pour les élèves tant que la signature de la "
                    "Charte n'est pas vérifiée."), "warning")
    return redirect(url_for("steering.companies_list", state="pending"))


@bp.route("/structures/<int:company_id>/charte-verifiee", methods=["POST"])
def company_charter_verify(company_id: int) -> Response:
    company = load_company(company_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        companies.verify_charter(current_user, company)
    except ServiceError as error:
        flash(str(error), "error")
    else:
        flash(_("Signature de la Charte de %(name)s vérifiée : ses offres publiées peuvent "
                "être vues par les élèves dès que la structure est validée.", name=company.name),
              "success")
    return redirect(url_for("steering.company_view", company_id=company.id))


@bp.route("/structures/<int:company_id>/refuser", methods=["POST"])
def company_reject(company_id: int) -> str | Response | tuple[str, int]:
    company = load_company(company_id)
    form = RejectForm()
    if form.validate_on_submit():
        if not confirmed():
            return confirmation_page(
                title=_("Refuser l'inscription de %(name)s ?", name=company.name),
                action=url_for("steering.company_reject", company_id=company.id),
                button=_("Oui, refuser l'inscription"),
                back=url_for("steering.company_view", company_id=company.id),
                facts=[(_("Raison envoyée à la structure"), form.reason.data)],
                consequence=_("Le refus ne se reprend pas : la structure reçoit la raison "
                              "par e-mail et devra se réinscrire."),
                carry={"reason": form.reason.data})
        try:
            companies.reject_company(current_user, company, form.reason.data)
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash(_("Inscription refusée ; la structure reçoit la raison par e-mail."),
                  "success")
            return redirect(url_for("steering.companies_list", state="pending"))
    return render_template("steering/company.html", company=company, approve=ActionForm(),
                           reject=form, offers=offers.company_offers(company),
                           host=host_decision_figures.host_record(current_user, company),
                           gated=companies.charter_gate_blocks(company))


@bp.route("/structures/<int:company_id>/justificatif")
def company_evidence(company_id: int) -> Response:
    path = companies.evidence_path(load_company(company_id))
    if path is None:
        abort(404)
    return send_file(io.BytesIO(path.read_bytes()), as_attachment=True,
                     download_name=f"charte-{company_id}{path.suffix}")


@bp.route("/charte/import", methods=["GET", "POST"])
def charter_import() -> str:
    form = SignatoriesForm()
    report = None
    if form.validate_on_submit():
        try:
            report = companies.import_charter_signatories(current_user,
                                                          read_file(form.file.data))
        except ServiceError as error:
            flash(str(error), "error")
    return render_template("steering/charter_import.html", form=form, report=report)


@bp.route("/jetons-api", methods=["GET", "POST"])
def api_tokens() -> str:
    form = TokenForm()
    form.company.choices = select_choices([("", _("— choisir —"))] + [
        (str(c.id), f"{c.name} ({c.siret})")
        for c in companies.list_companies(current_user, CompanyState.VALIDATED.value)])
    clear = None
    if form.validate_on_submit():
        try:
            clear = companies.create_api_token(current_user, load_company(int(form.company.data)),
                                               form.label.data, form.expires_on.data)
        except ServiceError as error:
            flash(str(error), "error")
    return render_template("steering/api_tokens.html", form=form, clear=clear,
                           tokens=companies.list_api_tokens(current_user), revoke=ActionForm())


@bp.route("/jetons-api/<int:token_id>/revoquer", methods=["POST"])
def api_token_revoke(token_id: int) -> Response:
    token = load_api_token(token_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        companies.revoke_api_token(current_user, token)
    except ServiceError as error:
        flash(str(error), "error")
    else:
        flash(_("Jeton révoqué : il ne fonctionne plus."), "success")
    return redirect(url_for("steering.api_tokens"))


@bp.route("/offre-et-demande")
def supply_demand() -> str | Response:
    active = offers.active_campaigns()
    campaign = None
    chosen = request.args.get("campaign", "")
    if chosen.isdigit():
        campaign = campaigns.get_campaign(int(chosen))
    rows = offers.supply_and_demand(campaign)
    if request.args.get("format") == "csv":
        return csv_response("offre-et-demande.csv",
                            ["secteur", "places", "voeux", "voeux_rang_1", "places_manquantes"],
                            [[r.label, r.seats, r.wishes, r.first_wishes, r.missing]
                             for r in rows])
    weeks = offers.seats_by_week(campaign) if campaign is not None else {}
    return render_template("steering/supply_demand.html", rows=rows, campaigns=active,
                           campaign=campaign, weeks=weeks)


# Reaching the Charter signatories not registered yet -----------------------------------------

_STATUS_LABELS = {"joined": "inscrite", "declined": "pas intéressée", "reminded": "relancée",
                  "invited": "invitée", "waiting": "à inviter", "no_email": "sans adresse"}


def _day(instant: dt.datetime | None) -> str:
    return clock.paris_date(instant).isoformat() if instant else ""


@bp.route("/signataires")
def signatories() -> str | Response:
    outreach_state = outreach.outreach_status(current_user)
    if request.args.get("format") == "csv":
        return csv_response(
            "signataires.csv",
            ["nom", "siret", "email", "etat", "invitee_le", "relancee_le", "inscrite_le",
             "pas_interessee_le"],
            [[line.prospect.name, line.prospect.siret or "", line.prospect.email or "",
              _STATUS_LABELS[line.status], _day(line.prospect.invited_at),
              _day(line.prospect.reminded_at), _day(line.prospect.joined_at),
              _day(line.prospect.declined_at)] for line in outreach_state.lines])
    return render_template("steering/signatories.html", outreach=outreach_state,
                           invitable=len(outreach.invitable(current_user)), form=ActionForm(),
                           reminder_days=outreach.reminder_days())


@bp.route("/signataires/inviter", methods=["POST"])
def signatories_invite() -> str | Response | tuple[str, int]:
    if not ActionForm().validate_on_submit():
        abort(400)
    if not confirmed():
        waiting = outreach.invitable(current_user)
        return confirmation_page(
            title=_("Inviter %(n)s signataire(s) de la Charte ?", n=len(waiting)),
            action=url_for("steering.signatories_invite"),
            button=_("Oui, envoyer les invitations"),
            back=url_for("steering.signatories"),
            facts=[(_("Structures invitées"), ", ".join(p.name for p in waiting[:20])
                    + (" …" if len(waiting) > 20 else ""))],
            consequence=_("Chaque structure reçoit un seul e-mail d'invitation (et une seule "
                          "relance %(days)s jours plus tard) ; un envoi ne se reprend pas.",
                          days=outreach.reminder_days()),
            danger=False)
    try:
        sent = outreach.invite_prospects(current_user)
    except ServiceError as error:
        flash(str(error), "error")
    else:
        flash(_("%(n)s invitation(s) mise(s) en file d'envoi.", n=sent), "success")
    return redirect(url_for("steering.signatories"))
