"""Steering group: the download of a round's instance and result for an auditor, after its
re-identification risk, with a recipient and a purpose (docs/privacy.md)."""

from __future__ import annotations

from flask import Response as FlaskResponse
from flask import render_template
from flask_login import current_user

from stagebourse.services import ServiceError, matching
from stagebourse.web.loaders import load_run
from stagebourse.web.steering import bp
from stagebourse.web.steering.forms_export import InstanceDownloadForm


@bp.route("/tours/<int:run_id>/instance", methods=["GET", "POST"])
def matching_instance_download(run_id: int) -> str | tuple[str, int] | FlaskResponse:
    run = load_run(run_id)
    form = InstanceDownloadForm()
    error = None
    try:
        risk = matching.instance_export_risk(current_user, run)
    except ServiceError as refused:
        risk, error = None, str(refused)
    if risk is not None and form.validate_on_submit():
        data = matching.download_instance(current_user, run, form.recipient.data or "",
                                          form.purpose.data or "")
        return FlaskResponse(data, mimetype="application/zip", headers={
            "Content-Disposition": f'attachment; filename="tour-{run.id}-instance.zip"'})
    page = render_template("steering/matching_instance.html", run=run, form=form, risk=risk,
                           error=error, quasi_identifiers=matching.QUASI_IDENTIFIERS)
    return (page, 400) if form.errors else page
