"""The class sheets of return-questionnaire codes: nameless slips, shuffled, handed out at
random in class; the unused ones can be reprinted (docs/privacy.md)."""

from __future__ import annotations

import segno
from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from stagebourse.services import ServiceError, pupils, questionnaires
from stagebourse.services.notifications import public_url
from stagebourse.web.loaders import load_campaign
from stagebourse.web.teacher import bp
from stagebourse.web.teacher.pupils import validated_only


@bp.route("/questionnaires")
@validated_only
def questionnaire_sheets() -> str:
    return render_template("teacher/questionnaire_sheets.html",
                           waiting=questionnaires.class_sheets_waiting(current_user))


def _slips_page(campaign_id: int, class_name: str, reprint: bool) -> str | Response:
    campaign = load_campaign(campaign_id)
    # A class is known only to its own school's teachers: as for the class board, 404.
    if not pupils.class_pupils(current_user, class_name):
        abort(404)
    issue = questionnaires.reprint_class_sheet if reprint else questionnaires.print_class_sheet
    try:
        codes = issue(current_user, campaign, class_name)
    except ServiceError as error:
        flash(str(error), "error")
        return redirect(url_for("teacher.questionnaire_sheets"))
    site = public_url("questionnaire.enter")
    # Like the access-code slips: the QR leads to the page, the code is never in a URL.
    qr = segno.make(site, error="m").svg_data_uri(scale=3, border=2)
    return render_template("teacher/questionnaire_print.html", codes=codes, qr=qr, site=site,
                           campaign=campaign, class_name=class_name, reprint=reprint)


@bp.route("/questionnaires/<int:campaign_id>/<class_name>", methods=["POST"])
@validated_only
def questionnaire_sheet_print(campaign_id: int, class_name: str) -> str | Response:
    return _slips_page(campaign_id, class_name, reprint=False)


@bp.route("/questionnaires/<int:campaign_id>/<class_name>/reimprimer", methods=["POST"])
@validated_only
def questionnaire_sheet_reprint(campaign_id: int, class_name: str) -> str | Response:
    return _slips_page(campaign_id, class_name, reprint=True)
