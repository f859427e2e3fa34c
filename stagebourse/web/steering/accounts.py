"""Steering: every adult's account, closing and reopening it, inviting observers."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from stagebourse.models import User
from stagebourse.services import ServiceError, account_lifecycle
from stagebourse.services.account_lifecycle import AccountFilter
from stagebourse.web.exports import csv_response
from stagebourse.web.loaders import found_or_404
from stagebourse.web.steering import bp
from stagebourse.web.steering.forms_accounts import AccountReasonForm, ObserverInviteForm


def _filter() -> AccountFilter:
    return AccountFilter(role=request.args.get("role") or None,
                         state=request.args.get("state") or None,
                         q=request.args.get("q") or None)


def _page(invite: ObserverInviteForm) -> str | Response:
    wanted = _filter()
    users = account_lifecycle.list_accounts(current_user, wanted)
    if request.args.get("format") == "csv":
        return csv_response("comptes.csv", account_lifecycle.CSV_HEADER,
                            account_lifecycle.csv_rows(users))
    return render_template("steering/accounts.html", users=users, wanted=wanted,
                           roles=account_lifecycle.MANAGED_ROLES, invite=invite,
                           attachment=account_lifecycle.attachment,
                           closed_by_structure=account_lifecycle.closed_by_structure)


@bp.route("/comptes")
def accounts() -> str | Response:
    return _page(ObserverInviteForm(formdata=None))


@bp.route("/comptes/observateurs", methods=["POST"])
def observer_invite() -> str | Response:
    form = ObserverInviteForm()
    if form.validate_on_submit():
        try:
            account_lifecycle.invite_observer(current_user, form.email.data,
                                              form.display_name.data)
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash(_("Compte d'observation créé : %(email)s reçoit un lien pour choisir son "
                    "mot de passe.", email=form.email.data), "success")
            return redirect(url_for("steering.accounts"))
    return _page(form)


def _load(user_id: int) -> User:
    return found_or_404(account_lifecycle.get_account(current_user, user_id))


@bp.route("/comptes/<int:user_id>/desactiver", methods=["GET", "POST"])
def account_deactivate(user_id: int) -> str | Response:
    # No script: the first step shows what will happen and asks the reason; posting confirms.
    user = _load(user_id)
    form = AccountReasonForm()
    if form.validate_on_submit():
        try:
            account_lifecycle.deactivate_account(current_user, user, form.reason.data)
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash(_("Le compte de %(name)s est désactivé ; ses sessions sont fermées.",
                    name=user.display_name), "success")
            return redirect(url_for("steering.accounts"))
    return render_template("steering/account_confirm.html", user=user, form=form,
                           deactivate=True, attachment=account_lifecycle.attachment(user))


@bp.route("/comptes/<int:user_id>/reactiver", methods=["GET", "POST"])
def account_reactivate(user_id: int) -> str | Response:
    user = _load(user_id)
    form = AccountReasonForm()
    if form.validate_on_submit():
        try:
            account_lifecycle.reactivate_account(current_user, user, form.reason.data)
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash(_("Le compte de %(name)s est réactivé.", name=user.display_name), "success")
            return redirect(url_for("steering.accounts"))
    return render_template("steering/account_confirm.html", user=user, form=form,
                           deactivate=False, attachment=account_lifecycle.attachment(user))
