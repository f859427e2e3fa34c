"""The structure itself: Charter commitment, members, and what it may know of its pupils."""

from __future__ import annotations

import io

from flask import abort, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from stagebourse.services import ServiceError, companies, offers
from stagebourse.web.company import bp
from stagebourse.web.company.forms_structure import CharterForm, InviteForm


@bp.route("/charte", methods=["GET", "POST"])
def charter() -> str | Response:
    company = current_user.company
    form = CharterForm(obj=None)
    if form.validate_on_submit():
        upload = form.evidence_file.data
        data = upload.read() if upload and getattr(upload, "filename", "") else None
        try:
            companies.declare_charter(current_user, form.signed_on.data,
                                      form.evidence_url.data, data)
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash(_("Votre engagement est enregistré ; le groupe de pilotage le vérifiera."),
                  "success")
            return redirect(url_for("company.charter"))
    elif not form.is_submitted():
        form.signed_on.data = company.charter_signed_on
        form.evidence_url.data = company.charter_evidence_url
    return render_template("company/charter.html", form=form, company=company)


@bp.route("/charte/justificatif")
def charter_evidence() -> Response:
    path = companies.evidence_path(current_user.company)
    if path is None:
        abort(404)
    return send_file(io.BytesIO(path.read_bytes()), as_attachment=True,
                     download_name=f"charte{path.suffix}")


@bp.route("/membres", methods=["GET", "POST"])
def members() -> str | Response:
    form = InviteForm()
    if form.validate_on_submit():
        try:
            companies.invite_member(current_user, form.email.data)
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash(_("Invitation envoyée à %(email)s (lien valable 7 jours).",
                    email=form.email.data), "success")
            return redirect(url_for("company.members"))
    return render_template("company/members.html", form=form, company=current_user.company,
                           join_requests=companies.join_requests(current_user))


@bp.route("/eleves")
def audience() -> str:
    return render_template("company/audience.html",
                           audience=offers.company_audience(current_user.company))
