"""Every structure's tutors, and cutting a tutor's access; hosts' paper signatures waiting to
be checked."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from stagebourse.services import ServiceError, agreements, tutors
from stagebourse.web.forms import ActionForm
from stagebourse.web.loaders import found_or_404, load_tutor
from stagebourse.web.steering import bp
from stagebourse.web.steering.forms_tutors import RefuseScanForm


@bp.route("/tuteurs")
def tutor_list() -> str:
    return render_template("steering/tutors.html", rows=tutors.all_tutors(current_user),
                           form=ActionForm())


@bp.route("/tuteurs/<int:tutor_id>/revoquer", methods=["POST"])
def tutor_revoke(tutor_id: int) -> Response:
    tutor = load_tutor(tutor_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    tutors.revoke_links(current_user, tutor)
    flash(_("L'accès de %(name)s est coupé : ses liens ne fonctionnent plus et ses sessions "
            "ouvertes sont fermées.", name=tutor.full_name), "success")
    return redirect(url_for("steering.tutor_list"))


def _refuse_form(scan_id: int) -> RefuseScanForm:
    # One form per scan on the page, each with its own field ids.
    return RefuseScanForm(prefix=f"scan{scan_id}")


def _scans(refused: RefuseScanForm | None = None, refused_id: int | None = None,
           status: int = 200) -> tuple[str, int]:
    scans = agreements.pending_host_scans(current_user)
    forms = {scan.id: refused if refused is not None and scan.id == refused_id
             else _refuse_form(scan.id) for scan in scans}
    return render_template("steering/host_scans.html", scans=scans, form=ActionForm(),
                           refuse_forms=forms), status


def _scan(scan_id: int) -> agreements.AgreementPaperScan:
    agreements.pending_host_scans(current_user)  # the policy check, before any lookup
    return found_or_404(agreements.host_scan(scan_id))


@bp.route("/conventions/scans")
def host_scans() -> tuple[str, int]:
    return _scans()


@bp.route("/conventions/scans/<int:scan_id>/fichier")
def host_scan_file(scan_id: int) -> Response:
    path = agreements.host_scan_path(_scan(scan_id))
    if path is None:
        abort(404)
    return send_file(path, mimetype="application/pdf", as_attachment=True,
                     download_name=path.name)


@bp.route("/conventions/scans/<int:scan_id>/valider", methods=["POST"])
def host_scan_validate(scan_id: int) -> Response:
    scan = _scan(scan_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        agreements.validate_host_scan(current_user, scan)
    except ServiceError as error:
        flash(str(error), "error")
    else:
        flash(_("Signature de la structure validée."), "success")
    return redirect(url_for("steering.host_scans"))


@bp.route("/conventions/scans/<int:scan_id>/refuser", methods=["POST"])
def host_scan_refuse(scan_id: int) -> Response | tuple[str, int]:
    scan = _scan(scan_id)
    form = _refuse_form(scan_id)
    if not form.validate_on_submit():
        return _scans(form, scan_id, 422)
    try:
        agreements.refuse_host_scan(current_user, scan, form.reason.data)
    except ServiceError as error:
        flash(str(error), "error")
        return _scans(form, scan_id, 422)
    flash(_("Scan refusé ; la structure pourra en envoyer un autre ou signer avec son lien."),
          "success")
    return redirect(url_for("steering.host_scans"))
