"""Sensitisation materials (list, create, edit as a new version) and the per-campaign
preparation dashboard of tutors."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from stagebourse.models import Audience
from stagebourse.services import ServiceError, campaigns, preparation
from stagebourse.services import materials as materials_service
from stagebourse.web.exports import csv_response
from stagebourse.web.loaders import load_campaign, load_material
from stagebourse.web.steering import bp
from stagebourse.web.steering.forms_materials import (
    AUDIENCE_LABELS,
    CampaignChoiceForm,
    EditMaterialForm,
    MaterialFilterForm,
    NewMaterialForm,
)


def _uploaded(form: NewMaterialForm | EditMaterialForm) -> bytes | None:
    upload = form.attachment.data
    return upload.read() if upload else None


@bp.route("/supports")
def materials() -> str | Response:
    form = MaterialFilterForm(request.args)
    audience = Audience(form.audience.data) if form.validate() and form.audience.data else None
    items = materials_service.current_materials(audience)
    if request.args.get("format") == "csv":
        return csv_response(
            "supports.csv", ["identifiant", "titre", "public", "version", "créé le"],
            ([m.slug, m.title, m.audience.value, m.version,
              m.created_at.isoformat(timespec="seconds")] for m in items))
    return render_template("steering/materials.html", form=form, materials=items,
                           labels=AUDIENCE_LABELS)


@bp.route("/supports/nouveau", methods=["GET", "POST"])
def material_new() -> str | Response:
    form = NewMaterialForm()
    if form.validate_on_submit():
        try:
            material = materials_service.create_material(current_user, form.data,
                                                         _uploaded(form))
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash(_("Support créé (version 1)."), "success")
            return redirect(url_for("steering.material", slug=material.slug))
    return render_template("steering/material_form.html", form=form, material=None,
                           preview=None)


@bp.route("/supports/<slug>")
def material(slug: str) -> str:
    current = load_material(slug)
    return render_template(
        "steering/material.html", material=current, labels=AUDIENCE_LABELS,
        html=materials_service.render_markdown(current.body_md, heading_offset=1),
        history=materials_service.material_history(slug),
    )


@bp.route("/supports/<slug>/modifier", methods=["GET", "POST"])
def material_edit(slug: str) -> str | Response:
    current = load_material(slug)
    form = EditMaterialForm(obj=current if request.method == "GET" else None)
    if request.method == "GET":
        form.audience.data = current.audience.value
    if form.validate_on_submit():
        try:
            saved, created = materials_service.edit_material(current_user, slug, form.data,
                                                             _uploaded(form))
        except ServiceError as error:
            flash(str(error), "error")
        else:
            if created:
                flash(_("Nouvelle version enregistrée (version %(version)d).",
                        version=saved.version), "success")
            else:
                flash(_("Le texte n'a pas changé : aucune nouvelle version."), "info")
            return redirect(url_for("steering.material", slug=slug))
    preview = materials_service.render_markdown(form.body_md.data or "", heading_offset=1)
    return render_template("steering/material_form.html", form=form, material=current,
                           preview=preview)


@bp.route("/supports/<slug>/document")
def material_attachment(slug: str) -> Response:
    path = materials_service.attachment_path(load_material(slug))
    if path is None:
        abort(404)
    return send_file(path, mimetype="application/pdf", as_attachment=True,
                     download_name=f"{slug}.pdf")


@bp.route("/preparation")
def preparation_dashboard() -> str | Response:
    every_campaign = campaigns.list_campaigns()
    form = CampaignChoiceForm(request.args)
    form.campaign.choices = [SelectChoice(c.id, c.name) for c in every_campaign]
    chosen = None
    if form.validate() and form.campaign.data:
        chosen = load_campaign(form.campaign.data)
    elif every_campaign:
        chosen = every_campaign[0]
        form.campaign.data = chosen.id
    dashboard = (preparation.preparation_dashboard(current_user, chosen)
                 if chosen is not None else None)
    if dashboard is not None and request.args.get("format") == "csv":
        return csv_response(
            f"tuteurs-sans-confirmation-{dashboard.campaign.id}.csv",
            ["tuteur", "structure", "e-mail", "premier jour", "élèves", "confirmé le"],
            ([row.tutor.full_name, row.tutor.company.name, row.tutor.email,
              row.first_day.isoformat(), row.pupils,
              row.acknowledged_at.isoformat(timespec="seconds") if row.acknowledged_at else None]
             for row in dashboard.not_in_time))
    return render_template("steering/preparation.html", form=form, dashboard=dashboard)
