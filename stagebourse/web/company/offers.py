"""A structure's offers: create, edit, duplicate, withdraw, CSV import."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from stagebourse.models import Offer
from stagebourse.services import ServiceError, offer_import, offers
from stagebourse.services.offer_rules import DAYS, format_day_ranges
from stagebourse.services.offers import OfferRefused
from stagebourse.web.company import bp
from stagebourse.web.company.forms_offers import (
    NEW_TUTOR,
    ImportConfirmForm,
    ImportUploadForm,
    form_to_input,
    offer_form_class,
    seats_field_name,
)
from stagebourse.web.exports import csv_response
from stagebourse.web.forms import ActionForm, select_choices
from stagebourse.web.loaders import load_own_offer
from stagebourse.web.uploads import read_file

FIELD_TO_FORM = {"title": "title", "sector": "sector", "description": "description",
                 "address": "address", "commune": "commune", "levels": "for_3e",
                 "min_age": "min_age", "safety_attested": "safety_attested", "tutor": "tutor",
                 "lat": "lat"}


def _build_form(offer: Offer | None) -> tuple[Any, list[offers.CampaignWeeks]]:
    groups = offers.offerable_weeks(offer)
    form_class = offer_form_class(groups)
    form = form_class(obj=None) if request.method == "POST" else form_class()
    form.sector.choices = select_choices(
        [("", _("— choisir —"))] + [(s.code, s.label) for s in offers.sectors()])
    form.commune.choices = select_choices(
        [("", _("— choisir —"))] + [(c.code_insee, c.name) for c in offers.communes()])
    tutors = current_user.company.tutors
    form.tutor.choices = select_choices(
        [(str(t.id), f"{t.full_name} – {t.job_title}") for t in tutors]
        + [(NEW_TUTOR, _("Un nouveau tuteur (à saisir ci-dessous)"))])
    if request.method == "GET":
        if offer is not None:
            form.title.data, form.sector.data = offer.title, offer.sector_code
            form.external_ref.data = offer.external_ref
            form.description.data, form.address.data = offer.description, offer.address
            form.commune.data = offer.commune_code
            commune = offer.commune
            if commune is None or (offer.lat, offer.lon) != (commune.lat, commune.lon):
                form.lat.data, form.lon.data = offer.lat, offer.lon
            form.for_3e.data, form.for_2de.data = offer.for_3e, offer.for_2de
            form.min_age.data, form.accessible.data = offer.min_age, offer.accessible
            form.safety_attested.data = offer.safety_attested
            form.tutor.data = str(offer.tutor_id) if offer.tutor_id else NEW_TUTOR
            form.publish.data = offer.state.value != "draft"
            for day in DAYS:
                form[f"day_{day}"].data = format_day_ranges(offer.schedule, day)
            for week in offer.weeks:
                name = seats_field_name(week.week)
                if name in form:
                    form[name].data = week.seats
        else:
            form.for_3e.data = True
            form.tutor.data = str(tutors[0].id) if tutors else NEW_TUTOR
    return form, groups


def _save(offer: Offer | None) -> str | Response:
    form, groups = _build_form(offer)
    problems: dict[str, str] = {}
    if form.validate_on_submit():
        data, error = form_to_input(form, groups)
        if data is None:
            flash(error or "", "error")
        else:
            try:
                saved = offers.save_offer(current_user, current_user.company, data, offer)
            except OfferRefused as refusal:
                problems = refusal.fields
                for key, message in refusal.fields.items():
                    if key in FIELD_TO_FORM:
                        form[FIELD_TO_FORM[key]].errors = [message]
                flash(_("L'offre n'a pas été enregistrée : corrigez les points signalés."),
                      "error")
            except ServiceError as error_:
                flash(str(error_), "error")
            else:
                for warning in data.warnings:
                    flash(warning, "warning")
                flash(_("Offre enregistrée."), "success")
                return redirect(url_for("company.offer_view", offer_id=saved.id))
    return render_template("company/offer_form.html", form=form, groups=groups, offer=offer,
                           days=DAYS, problems=problems, seats_field_name=seats_field_name)


@bp.route("/offres")
def offer_list() -> str | Response:
    items = offers.company_offers(current_user.company)
    state = request.args.get("state") or None
    if state in ("draft", "published", "withdrawn"):
        items = [o for o in items if o.state.value == state]
    q = (request.args.get("q") or "").strip().casefold()
    if q:
        items = [o for o in items if q in o.title.casefold() or q in (o.external_ref or "")
                 .casefold()]
    if request.args.get("format") == "csv":
        header, rows = offer_import.export_rows(items)
        return csv_response("offres.csv", header, rows)
    return render_template("company/offer_list.html", offers=items, form=ActionForm(),
                           state=state, q=request.args.get("q", ""))


@bp.route("/offres/nouvelle", methods=["GET", "POST"])
def offer_new() -> str | Response:
    return _save(None)


@bp.route("/offres/<int:offer_id>")
def offer_view(offer_id: int) -> str:
    offer = load_own_offer(offer_id)
    return render_template("company/offer_view.html", offer=offer, form=ActionForm(),
                           days=DAYS, format_day_ranges=format_day_ranges)


@bp.route("/offres/<int:offer_id>/modifier", methods=["GET", "POST"])
def offer_edit(offer_id: int) -> str | Response:
    return _save(load_own_offer(offer_id))


@bp.route("/offres/<int:offer_id>/dupliquer", methods=["POST"])
def offer_duplicate(offer_id: int) -> Response:
    offer = load_own_offer(offer_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    copy = offers.duplicate_offer(current_user, offer)
    flash(_("Copie créée en brouillon : ajustez-la, indiquez les places, puis publiez-la."),
          "success")
    return redirect(url_for("company.offer_edit", offer_id=copy.id))


@bp.route("/offres/<int:offer_id>/retirer", methods=["POST"])
def offer_withdraw(offer_id: int) -> Response:
    offer = load_own_offer(offer_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        offers.withdraw_offer(current_user, offer)
    except ServiceError as error:
        flash(str(error), "error")
    else:
        flash(_("L'offre est retirée : les élèves ne la voient plus."), "success")
    return redirect(url_for("company.offer_view", offer_id=offer.id))


@bp.route("/offres/import/modele.csv")
def offer_import_template() -> Response:
    header, rows = offer_import.template_rows()
    return csv_response("modele-import-offres.csv", header, rows)


@bp.route("/offres/import", methods=["GET", "POST"])
def offer_import_upload() -> str | Response:
    form = ImportUploadForm()
    preview = None
    try:
        # A structure not yet validated is told so before its file is read.
        offer_import.check_may_import(current_user.company)
    except ServiceError as error:
        flash(str(error), "error")
        return render_template("company/offer_import.html", form=None, preview=None,
                               confirm=None, max_rows=offer_import.max_rows(),
                               columns=offer_import.COLUMNS)
    if form.validate_on_submit():
        try:
            preview = offer_import.preview_import(current_user.company,
                                                  read_file(form.file.data))
        except ServiceError as error:
            flash(str(error), "error")
    return render_template("company/offer_import.html", form=form, preview=preview,
                           confirm=ImportConfirmForm(), max_rows=offer_import.max_rows(),
                           columns=offer_import.COLUMNS)


@bp.route("/offres/import/<token>", methods=["POST"])
def offer_import_confirm(token: str) -> str | Response:
    form = ImportConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        result = offer_import.run_import(current_user, current_user.company, token,
                                         bool(form.only_valid.data))
    except ServiceError as error:
        flash(str(error), "error")
        return redirect(url_for("company.offer_import_upload"))
    flash(_("Import terminé : %(c)s offre(s) créée(s), %(u)s mise(s) à jour, %(s)s ligne(s) "
            "ignorée(s).", c=result.created, u=result.updated, s=result.skipped), "success")
    return redirect(url_for("company.offer_list"))
