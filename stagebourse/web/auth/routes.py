"""Sign in (password or pupil access code), sign out, password reset."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from stagebourse.models import User
from stagebourse.services import ServiceError, accounts
from stagebourse.web.auth.forms import (
    CodeSignInForm,
    PasswordSignInForm,
    ResetPasswordForm,
    ResetRequestForm,
)
from stagebourse.web.client import client_address
from stagebourse.web.forms import safe_next
from stagebourse.web.guards import home_url_for

bp = Blueprint("auth", __name__)


def _start_session(user: User) -> None:
    session.clear()  # a fresh session on sign-in (no fixation)
    login_user(user)


@bp.route("/connexion", methods=["GET", "POST"])
def sign_in() -> str | Response:
    if current_user.is_authenticated:
        return redirect(home_url_for(current_user.role))
    form = PasswordSignInForm(next=request.args.get("next"))
    if form.validate_on_submit():
        try:
            user = accounts.sign_in_with_password(form.email.data, form.password.data,
                                                  client_address())
        except ServiceError as error:
            flash(str(error), "error")
        else:
            _start_session(user)
            return redirect(safe_next(form.next.data) or home_url_for(user.role))
    return render_template("auth/sign_in.html", form=form, code_form=CodeSignInForm())


@bp.route("/connexion/eleve", methods=["GET", "POST"])
def sign_in_with_code() -> str | Response:
    if current_user.is_authenticated:
        return redirect(home_url_for(current_user.role))
    form = CodeSignInForm()
    if form.validate_on_submit():
        try:
            user = accounts.sign_in_with_code(form.code.data, client_address())
        except ServiceError as error:
            flash(str(error), "error")
        else:
            _start_session(user)
            return redirect(home_url_for(user.role))
    return render_template("auth/sign_in_code.html", form=form)


@bp.route("/deconnexion", methods=["POST"])
@login_required  # type: ignore[untyped-decorator]  # Flask-Login ships no type hints
def sign_out() -> Response:
    accounts.sign_out(current_user)
    logout_user()
    session.clear()
    flash(_("Vous êtes déconnecté(e)."), "success")
    return redirect(url_for("public.index"))


@bp.route("/mot-de-passe-oublie", methods=["GET", "POST"])
def forgot_password() -> str | Response:
    form = ResetRequestForm()
    if form.validate_on_submit():
        try:
            accounts.request_password_reset(form.email.data, client_address())
        except ServiceError as error:
            flash(str(error), "error")
            return render_template("auth/forgot_password.html", form=form)
        flash(_("Si un compte existe pour cette adresse, un e-mail vient de lui être envoyé "
                "avec un lien valable une heure. Pensez à regarder dans les indésirables."),
              "success")
        return redirect(url_for("auth.sign_in"))
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/mot-de-passe/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> str | Response:
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(token, form.password.data)
        except ServiceError as error:
            flash(str(error), "error")
            return redirect(url_for("auth.forgot_password"))
        flash(_("Votre mot de passe a été changé. Connectez-vous avec le nouveau."), "success")
        return redirect(url_for("auth.sign_in"))
    return render_template("auth/reset_password.html", form=form)

# Route modules registering themselves on bp.
from stagebourse.web.auth import company_sign_up, teacher_sign_up  # noqa: E402, F401
