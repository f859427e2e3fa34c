"""A tutor's preparation pages, from their personal link: read the materials, say so."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from stagebourse.services import ServiceError, preparation
from stagebourse.web.forms import ActionForm
from stagebourse.web.tutor import preparation_bp


def _link_error(error: preparation.PreparationLinkError) -> tuple[str, int]:
    titles = {410: _("Lien expiré"), 403: _("Lien désactivé")}
    title = titles.get(error.status, _("Lien non valide"))
    return render_template("errors/error.html", status=error.status, title=title,
                           message=str(error)), error.status


@preparation_bp.route("/<token>", methods=["GET", "POST"])
def read(token: str) -> str | Response | tuple[str, int]:
    try:
        tutor, campaign = preparation.read_token(token)
    except preparation.PreparationLinkError as error:
        return _link_error(error)
    form = ActionForm()
    if form.validate_on_submit():
        try:
            preparation.acknowledge(tutor, campaign)
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash(_("Merci ! Votre lecture est enregistrée."), "success")
            return redirect(url_for("tutor_preparation.read", token=token))
    items = preparation.reading_list(tutor, campaign)
    return render_template(
        "tutor/preparation.html", tutor=tutor, campaign=campaign, form=form,
        materials=[(item.material, item.html, item.acknowledged_at) for item in items],
        all_done=bool(items) and all(item.acknowledged_at for item in items),
    )


@preparation_bp.route("/<token>/document/<slug>")
def attachment(token: str, slug: str) -> Response | tuple[str, int]:
    try:
        preparation.read_token(token)
    except preparation.PreparationLinkError as error:
        return _link_error(error)
    path = preparation.tutor_attachment(slug)
    if path is None:
        abort(404)
    return send_file(path, mimetype="application/pdf", as_attachment=True,
                     download_name=f"{slug}.pdf")
