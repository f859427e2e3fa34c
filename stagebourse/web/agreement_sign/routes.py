from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from stagebourse.models import Agreement, Party, User
from stagebourse.services import ServiceError, agreements
from stagebourse.web.agreement_sign import bp
from stagebourse.web.agreement_sign.forms import SignForm
from stagebourse.web.client import client_address
from stagebourse.web.exports import pdf_response
from stagebourse.web.forms import ActionForm


def _link_error(error: agreements.AgreementLinkError) -> tuple[str, int]:
    titles = {410: _("Lien expiré"), 403: _("Lien destiné à une autre personne")}
    return render_template("errors/error.html", status=error.status,
                           title=titles.get(error.status, _("Lien non valide")),
                           message=str(error)), error.status


def _viewer() -> User | None:
    """The signed-in user, or None."""
    return current_user if current_user.is_authenticated else None


def _page(token: str, agreement: Agreement, party: Party, sign_form: SignForm,
          status: int = 200) -> tuple[str, int]:
    sign_form.version.data = str(agreement.version)  # the version this page shows
    return render_template(
        "agreements/sign.html", token=token, party=party,
        party_label=agreements.PARTY_LABELS[party], code_form=ActionForm(),
        form=sign_form, code_minutes=agreements.CODE_MINUTES,
        needs_name=not agreements.party_signer_name(agreement, party),
        already=party in agreements.active_signatures(agreement),
        **agreements.document_context(agreement, family_hidden=party == Party.HOST)), status


@bp.route("/<token>", methods=["GET", "POST"])
def sign(token: str) -> Response | tuple[str, int]:
    try:
        agreement, party = agreements.read_token(token, _viewer())
    except agreements.AgreementLinkError as error:
        return _link_error(error)
    form = SignForm(version=str(agreement.version))
    if form.validate_on_submit():
        try:
            read = form.version.data
            agreements.sign_with_code(agreement, party, form.code.data, form.signer_name.data,
                                      viewer=_viewer(),
                                      read_version=int(read) if read.isdigit() else None,
                                      client_ip=client_address())
        except agreements.WrongPerson as error:
            return _link_error(error)
        except ServiceError as error:
            flash(str(error), "error")
            return _page(token, agreement, party, form, 422)
        flash(_("Merci ! Votre signature est enregistrée."), "success")
        return redirect(url_for("agreement_sign.sign", token=token))
    return _page(token, agreement, party, form, 422 if form.errors else 200)


@bp.route("/<token>/code", methods=["POST"])
def request_code(token: str) -> Response | tuple[str, int]:
    try:
        agreement, party = agreements.read_token(token, _viewer())
    except agreements.AgreementLinkError as error:
        return _link_error(error)
    if ActionForm().validate_on_submit():
        try:
            address = agreements.request_code(agreement, party)
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash(_("Un code à 6 chiffres vient d'être envoyé à %(email)s. Il est valable "
                    "%(minutes)s minutes.", email=address, minutes=agreements.CODE_MINUTES),
                  "success")
    return redirect(url_for("agreement_sign.sign", token=token) + "#signer")


@bp.route("/<token>/pdf")
def pdf(token: str) -> Response | tuple[str, int]:
    try:
        agreement, party = agreements.read_token(token, _viewer())
    except agreements.AgreementLinkError as error:
        return _link_error(error)
    return pdf_response(agreement, family_hidden=party == Party.HOST)

