"""People of a host structure become users: the structure signs up, a colleague asks to join
it, an invited colleague accepts. Once signed in they use the company room (web/company/)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_user
from werkzeug.wrappers import Response

from stagebourse.services import ServiceError, companies, offers, outreach
from stagebourse.web.auth.forms_company import (
    AcceptInvitationForm,
    CompanySignUpForm,
    JoinRequestForm,
)
from stagebourse.web.auth.routes import bp
from stagebourse.web.client import client_address
from stagebourse.web.forms import ActionForm, select_choices


@bp.route("/structures/inscription", methods=["GET", "POST"])
def company_sign_up() -> str | Response:
    form = CompanySignUpForm()
    form.commune_code.choices = select_choices([("", _("— choisir —"))] + [
        (c.code_insee, f"{c.name} ({c.postcodes})") for c in offers.communes()])
    duplicate = None
    if request.method == "GET" and request.args.get("invitation"):
        _prefill(form, request.args["invitation"])
    if form.validate_on_submit():
        error = companies.siret_error(form.siret.data)
        if error:
            form.siret.errors = [error]
        else:
            try:
                companies.sign_up_company(form.data)
            except companies.DuplicateSiret as refusal:
                duplicate = refusal.company
                flash(str(refusal), "error")
            except ServiceError as refusal:
                flash(str(refusal), "error")
            else:
                # The same answer whether the address was new or had an account (no
                # probing): the newcomer signs in from the link the mail gives.
                flash(_("Merci. Un e-mail vient d'être envoyé à l'adresse indiquée : il "
                        "explique la suite. Pensez à regarder dans les indésirables."),
                      "success")
                return redirect(url_for("auth.sign_in"))
    return render_template("auth/company_sign_up.html", form=form, duplicate=duplicate,
                           join_form=JoinRequestForm(siret=duplicate.siret) if duplicate else None)


def _prefill(form: CompanySignUpForm, token: str) -> None:
    """A Charter signatory's personal link fills in what the steering group's list knew."""
    try:
        prospect = outreach.prospect_by_token(token)
    except ServiceError as error:
        flash(str(error), "warning")
        return
    form.invitation.data = token
    form.name.data = prospect.name
    form.siret.data = prospect.siret or ""
    form.email.data = prospect.email or ""


@bp.route("/structures/signataire/<token>", methods=["GET", "POST"])
def signatory_decline(token: str) -> str | tuple[str, int]:
    """« Pas intéressé », from the invitation mail: no sign-in, the link is the credential."""
    try:
        prospect = outreach.prospect_by_token(token)
    except ServiceError as error:
        return render_template("auth/signatory_decline.html", error=str(error), prospect=None,
                               form=None, done=False), 404
    form = ActionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        outreach.decline(token)
        return render_template("auth/signatory_decline.html", error=None, prospect=prospect,
                               form=None, done=True)
    return render_template("auth/signatory_decline.html", error=None, prospect=prospect,
                           form=form, done=False, token=token)


@bp.route("/structures/rejoindre", methods=["POST"])
def company_join_request() -> str | Response:
    form = JoinRequestForm()
    company = companies.company_by_siret(form.siret.data)
    if company is None:
        flash(_("Structure introuvable : vérifiez le SIRET."), "error")
        return redirect(url_for("auth.company_sign_up"))
    if form.validate_on_submit():
        try:
            companies.request_to_join(company, form.name.data, form.email.data,
                                      form.message.data, client_address())
        except ServiceError as refusal:
            flash(str(refusal), "error")
        else:
            flash(_("Votre demande est transmise aux membres de la structure : ils pourront "
                    "vous inviter par e-mail."), "success")
            return redirect(url_for("public.index"))
    return render_template("auth/company_sign_up.html", form=None, duplicate=company,
                           join_form=form)


@bp.route("/structures/invitation/<token>", methods=["GET", "POST"])
def company_invitation(token: str) -> str | Response:
    try:
        invitation = companies.read_invitation(token)
    except ServiceError as error:
        flash(str(error), "error")
        return redirect(url_for("public.index"))
    form = AcceptInvitationForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            user = companies.accept_invitation(token, form.display_name.data, form.password.data)
        except ServiceError as error:
            flash(str(error), "error")
        else:
            session.clear()
            login_user(user)
            flash(_("Bienvenue : vous êtes membre de %(name)s.", name=invitation.company.name),
                  "success")
            return redirect(url_for("company.home"))
    return render_template("auth/company_invitation.html", form=form, invitation=invitation)
