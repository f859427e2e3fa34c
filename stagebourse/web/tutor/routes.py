"""The tutor's space: their offers, their interns once the placement is confirmed, the
agreements of those placements (without the family's contact details), and the sensitisation
materials to read and acknowledge."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from stagebourse.services import ServiceError, agreements, preparation, tutors
from stagebourse.web.exports import pdf_response
from stagebourse.web.forms import ActionForm
from stagebourse.web.loaders import found_or_404
from stagebourse.web.tutor import bp


@bp.route("/")
def home() -> str:
    return render_template("tutor/home.html", space=tutors.tutor_space(current_user),
                           parties_waiting=agreements.missing_parties)


@bp.route("/documents", methods=["GET", "POST"])
def materials() -> str | Response:
    form = ActionForm()
    if form.validate_on_submit():
        try:
            tutors.acknowledge_materials(current_user)
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash(_("Merci ! Votre lecture est enregistrée."), "success")
            return redirect(url_for("tutor.materials"))
    items = tutors.reading_list(current_user)
    return render_template(
        "tutor/materials.html", form=form,
        materials=[(item.material, item.html, item.acknowledged_at) for item in items],
        all_done=bool(items) and all(item.acknowledged_at for item in items))


@bp.route("/documents/<slug>")
def material_attachment(slug: str) -> Response:
    path = preparation.tutor_attachment(slug)
    if path is None:
        abort(404)
    return send_file(path, mimetype="application/pdf", as_attachment=True,
                     download_name=f"{slug}.pdf")


@bp.route("/conventions/<int:agreement_id>")
def agreement(agreement_id: int) -> str:
    found = found_or_404(tutors.tutor_agreement(current_user, agreement_id))
    return render_template("tutor/agreement.html", waiting=agreements.missing_parties(found),
                           **agreements.document_context(found, family_hidden=True))


@bp.route("/conventions/<int:agreement_id>/pdf")
def agreement_pdf(agreement_id: int) -> Response:
    found = found_or_404(tutors.tutor_agreement(current_user, agreement_id))
    return pdf_response(found, family_hidden=True)
