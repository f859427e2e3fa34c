"""The teacher's pupils: roster import, one pupil, access codes, consent, class board, and the
request filled on a pupil's behalf."""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Callable
from typing import Any

import segno
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from stagebourse.models import ConsentMethod, Level
from stagebourse.services import ServiceError, pupils, rosters
from stagebourse.services.campaigns import current_campaign
from stagebourse.services.notifications import public_url
from stagebourse.web.exports import csv_response
from stagebourse.web.loaders import load_pupil
from stagebourse.web.requests_shared import ACTIONS, apply_action, page_context, yes_no
from stagebourse.web.teacher import bp
from stagebourse.web.teacher.forms_pupils import (
    ConsentForm,
    PupilForm,
    RosterImportForm,
    RosterUploadForm,
    WithdrawConsentForm,
)
from stagebourse.web.uploads import read_file


def validated_only(view: Callable[..., Any]) -> Callable[..., Any]:
    """Pages that act on pupils wait for the account's validation."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_user.validated_at is None:
            flash(_("Votre compte attend la validation d'un collègue de votre établissement "
                    "ou du groupe de pilotage."), "info")
            return redirect(url_for("teacher.home"))
        return view(*args, **kwargs)

    return wrapper


# Roster import ------------------------------------------------------------------------------

@bp.route("/import", methods=["GET", "POST"])
@validated_only
def roster_import() -> str | Response:
    form = RosterUploadForm(level=pupils.default_level(current_user).value)
    preview = None
    if form.validate_on_submit():
        try:
            preview = rosters.read_roster(read_file(form.file.data), current_user.school)
        except ServiceError as error:
            flash(str(error), "error")
    import_form = RosterImportForm(
        payload=base64.b64encode(preview.text.encode()).decode() if preview else "",
        level=form.level.data)
    return render_template("teacher/roster_import.html", form=form, preview=preview,
                           import_form=import_form, max_rows=rosters.max_rows())


@bp.route("/import/confirmer", methods=["POST"])
@validated_only
def roster_import_confirm() -> str | Response:
    form = RosterImportForm()
    try:
        text = base64.b64decode(form.payload.data or "", validate=True).decode()
        level = Level(form.level.data)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        flash(_("L'aperçu a expiré : envoyez le fichier de nouveau."), "error")
        return redirect(url_for("teacher.roster_import"))
    only_valid = request.form.get("which") == "valid"
    try:
        created = rosters.import_roster(current_user, text, level, only_valid=only_valid)
    except ServiceError as error:
        flash(str(error), "error")
        return redirect(url_for("teacher.roster_import"))
    flash(_("%(n)s élève(s) importé(s). Imprimez maintenant leurs codes d'accès.",
            n=len(created)), "success")
    first_class = sorted({p.class_name for p in created})[0]
    return redirect(url_for("teacher.class_board", class_name=first_class))


@bp.route("/import/modele.csv")
def roster_template() -> Response:
    header, rows = rosters.template_rows()
    return csv_response("modele-classe.csv", header, rows)


# One pupil ----------------------------------------------------------------------------------

@bp.route("/eleves/nouveau", methods=["GET", "POST"])
@validated_only
def pupil_new() -> str | Response:
    form = PupilForm(level=pupils.default_level(current_user).value,
                     class_name=request.args.get("classe", ""))
    if form.validate_on_submit():
        try:
            pupil = pupils.add_pupil(current_user, form.service_data())
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash(_("Élève ajouté(e)."), "success")
            return redirect(url_for("teacher.pupil_edit", pupil_id=pupil.id))
    return render_template("teacher/pupil_form.html", form=form, pupil=None)


@bp.route("/eleves/<int:pupil_id>", methods=["GET", "POST"])
@validated_only
def pupil_edit(pupil_id: int) -> str | Response:
    pupil = load_pupil(pupil_id)
    if request.method == "GET":
        form = PupilForm(obj=pupil, level=pupil.level.value,
                         gender=pupil.gender.value if pupil.gender else "",
                         qpv_resident=yes_no(pupil.qpv_resident),
                         version=str(pupil.version))
    else:
        form = PupilForm()
    if form.validate_on_submit():
        try:
            expected = int(form.version.data or 0)
            pupils.update_pupil(current_user, pupil, form.service_data(), expected)
        except ServiceError as error:
            flash(str(error), "error")
            pupil = load_pupil(pupil_id)
            form.version.data = str(pupil.version)
        else:
            flash(_("Fiche enregistrée."), "success")
            return redirect(url_for("teacher.pupil_edit", pupil_id=pupil.id))
    campaign = current_campaign(pupil.level)
    return render_template(
        "teacher/pupil_form.html", form=form, pupil=pupil, consent_form=ConsentForm(),
        withdraw_form=WithdrawConsentForm(), campaign=campaign,
        eligibility=pupils.eligible_for_matching(pupil, campaign) if campaign else None,
        needs_consent=pupils.needs_consent(pupil, campaign) if campaign else True)


@bp.route("/eleves/<int:pupil_id>/consentement", methods=["POST"])
@validated_only
def pupil_consent(pupil_id: int) -> Response:
    pupil = load_pupil(pupil_id)
    form = ConsentForm()
    if not form.validate():
        flash(_("Indiquez une date valide (jour/mois/année) et la façon dont l'accord a été "
                "donné."), "error")
    else:
        try:
            pupils.record_consent(current_user, pupil, form.consent_on.data,
                                  ConsentMethod(form.method.data))
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash(_("Consentement enregistré."), "success")
    return redirect(request.form.get("next_board") and url_for(
        "teacher.class_board", class_name=pupil.class_name)
        or url_for("teacher.pupil_edit", pupil_id=pupil.id))


@bp.route("/eleves/<int:pupil_id>/consentement/retrait", methods=["POST"])
@validated_only
def pupil_consent_withdraw(pupil_id: int) -> Response:
    pupil = load_pupil(pupil_id)
    form = WithdrawConsentForm()
    try:
        withdrawn = pupils.withdraw_consent(current_user, pupil, form.reason.data or "")
    except ServiceError as error:
        flash(str(error), "error")
    else:
        flash(_("Consentement retiré ; %(n)s demande(s) retirée(s) de la campagne.",
                n=withdrawn), "success")
    return redirect(url_for("teacher.pupil_edit", pupil_id=pupil.id))


# Access codes -------------------------------------------------------------------------------

def _qr_data_uri() -> str:
    # The QR leads to the code sign-in page; the code itself is never put in a URL.
    return str(segno.make(public_url("auth.sign_in_with_code"), error="m")
               .svg_data_uri(scale=3, border=2))


def _print_sheet(slips: list[pupils.CodeSlip]) -> str:
    return render_template("teacher/codes_print.html", slips=slips, qr=_qr_data_uri(),
                           site=public_url("auth.sign_in_with_code"))


@bp.route("/classes/<class_name>/codes", methods=["GET", "POST"])
@validated_only
def class_codes(class_name: str) -> str | Response:
    class_pupils = pupils.class_pupils(current_user, class_name)
    if not class_pupils:
        abort(404)
    if request.method == "POST":
        chosen = {int(v) for v in request.form.getlist("pupil_id") if v.isdigit()}
        only_missing = request.form.get("which") == "missing"
        selected = class_pupils if only_missing else [p for p in class_pupils if p.id in chosen]
        if not selected:
            flash(_("Cochez au moins un élève, ou choisissez « les élèves qui n'ont pas encore "
                    "de code »."), "error")
        else:
            try:
                slips = pupils.issue_codes(current_user, selected, only_missing=only_missing)
            except ServiceError as error:
                flash(str(error), "error")
            else:
                return _print_sheet(slips)
    return render_template("teacher/codes_choose.html", class_name=class_name,
                           pupils=class_pupils)


@bp.route("/eleves/<int:pupil_id>/code", methods=["POST"])
@validated_only
def pupil_code(pupil_id: int) -> str | Response:
    pupil = load_pupil(pupil_id)
    try:
        slip = pupils.regenerate_code(current_user, pupil)
    except ServiceError as error:
        flash(str(error), "error")
        return redirect(url_for("teacher.pupil_edit", pupil_id=pupil.id))
    return _print_sheet([slip])


# Class board --------------------------------------------------------------------------------

def _board(class_name: str) -> tuple[list[pupils.BoardRow], Any, str | None]:
    state = request.args.get("etat") or None
    rows, campaign = pupils.current_class_board(current_user, class_name, state)
    return rows, campaign, state


@bp.route("/classes/<class_name>")
@validated_only
def class_board(class_name: str) -> str:
    state = request.args.get("etat") or None
    rows, campaign, missing = pupils.current_class_board_with_consent(current_user, class_name,
                                                                     state)
    if not rows and not state:
        abort(404)
    filters = [(s.value, str(label)) for s, label in pupils.BOARD_LABELS.items()]
    filters.append((pupils.NO_CONSENT_FILTER, _("consentement manquant")))
    return render_template("teacher/class_board.html", class_name=class_name, rows=rows,
                           campaign=campaign, state=state, filters=filters,
                           consent_missing=missing, no_consent=pupils.NO_CONSENT_FILTER)


@bp.route("/classes/<class_name>/export.csv")
@validated_only
def class_export(class_name: str) -> Response:
    rows, _campaign, state = _board(class_name)
    if not rows and not state:
        abort(404)
    return csv_response(
        f"classe-{class_name}.csv",
        ["nom", "prenom", "classe", "etat", "consentement", "code_remis", "connecte", "voeux"],
        [[r.pupil.last_name, r.pupil.first_name, r.pupil.class_name, r.label,
          "manquant" if r.consent_missing else ("oui" if r.pupil.consent_on else "non requis"),
          "oui" if r.has_code else "non", "oui" if r.signed_in else "non", r.wishes]
         for r in rows])


# The request on a pupil's behalf ------------------------------------------------------------

@bp.route("/eleves/<int:pupil_id>/demande")
@validated_only
def pupil_request(pupil_id: int) -> str:
    pupil = load_pupil(pupil_id)

    def action_url(action: str, rank: int | None = None) -> str:
        return url_for("teacher.pupil_request_action", pupil_id=pupil.id, action=action,
                       rank=rank)

    return render_template("teacher/pupil_request.html", **page_context(pupil),
                           action_url=action_url)


@bp.route("/eleves/<int:pupil_id>/demande/<action>", methods=["POST"])
@bp.route("/eleves/<int:pupil_id>/demande/voeux/<int:rank>/<action>", methods=["POST"])
@validated_only
def pupil_request_action(pupil_id: int, action: str, rank: int | None = None) -> Response:
    pupil = load_pupil(pupil_id)
    if action not in ACTIONS:
        abort(404)
    apply_action(current_user, pupil, action, rank)
    return redirect(url_for("teacher.pupil_request", pupil_id=pupil.id, _anchor="voeux"))
