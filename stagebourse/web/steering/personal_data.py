"""Steering group: a pupil's or guardian's request to see or erase the pupil's data."""

from __future__ import annotations

import json

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from stagebourse.services import ServiceError, retention
from stagebourse.web.confirm import confirmation_page, confirmed
from stagebourse.web.exports import csv_response
from stagebourse.web.forms import ActionForm
from stagebourse.web.loaders import load_pupil
from stagebourse.web.steering import bp


@bp.route("/donnees-personnelles")
def personal_data() -> str:
    query = request.args.get("q", "").strip()[:100]
    return render_template("steering/personal_data.html", query=query,
                           pupils=retention.find_pupils(current_user, query) if query else [])


@bp.route("/donnees-personnelles/<int:pupil_id>")
def personal_data_pupil(pupil_id: int) -> str | BaseResponse:
    pupil = load_pupil(pupil_id)
    fmt = request.args.get("format")
    if fmt == "json":
        data = retention.subject_export(current_user, pupil)
        return Response(json.dumps(data, ensure_ascii=False, indent=2),
                        mimetype="application/json",
                        headers={"Content-Disposition":
                                 f'attachment; filename="eleve-{pupil.id}.json"'})
    if fmt == "csv":
        data = retention.subject_export(current_user, pupil)
        rows = [("élève", key, value) for key, value in data["pupil"].items()]
        for section in ("requests", "wishes", "assignments", "agreements",
                        "agreement_versions", "signatures", "mails", "journal"):
            rows += [(section, str(index), json.dumps(item, ensure_ascii=False))
                     for index, item in enumerate(data[section], start=1)]
        return csv_response(f"eleve-{pupil.id}.csv", [_("Rubrique"), _("Champ"), _("Valeur")],
                            rows)
    return render_template("steering/personal_data_pupil.html", pupil=pupil, form=ActionForm(),
                           anonymised=pupil.last_name == retention.ANONYMOUS_NAME)


@bp.route("/donnees-personnelles/<int:pupil_id>/effacer", methods=["POST"])
def personal_data_erase(pupil_id: int) -> BaseResponse | tuple[str, int]:
    pupil = load_pupil(pupil_id)
    reason = request.form.get("reason", "")[:500]
    # Without a reason the service refuses at once: no confirmation to ask for.
    if reason.strip() and not confirmed():
        return confirmation_page(
            title=_("Effacer les données de %(first)s %(last)s ?", first=pupil.first_name,
                    last=pupil.last_name),
            action=url_for("steering.personal_data_erase", pupil_id=pupil.id),
            button=_("Oui, effacer définitivement"),
            back=url_for("steering.personal_data_pupil", pupil_id=pupil.id),
            facts=[(_("Établissement"), pupil.school.name), (_("Classe"), pupil.class_name),
                   (_("Raison"), reason or "—")],
            consequence=_("L'effacement ne se reprend pas : le nom, les vœux et le compte de "
                          "l'élève disparaissent ; seules les statistiques anonymes restent."),
            carry={"reason": reason})
    if ActionForm().validate_on_submit():
        try:
            retention.erase_pupil(current_user, pupil, reason)
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash(_("Les données de l'élève ont été effacées ; les statistiques anonymes "
                    "restent."), "success")
    return redirect(url_for("steering.personal_data_pupil", pupil_id=pupil.id))
