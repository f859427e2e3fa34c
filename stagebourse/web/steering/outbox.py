"""The outbox as the steering group sees it: filter, export, retry failed messages."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from stagebourse.models import OutboxState
from stagebourse.services import ServiceError
from stagebourse.services import outbox as outbox_service
from stagebourse.web.exports import csv_response
from stagebourse.web.forms import ActionForm
from stagebourse.web.steering import bp
from stagebourse.web.steering.forms_mail import STATE_LABELS, OutboxFilterForm


@bp.route("/courriels")
def outbox() -> str | Response:
    form = OutboxFilterForm(request.args)
    state = OutboxState(form.state.data) if form.validate() and form.state.data else None
    search = form.q.data if not form.q.errors else None
    export = request.args.get("format") == "csv"
    messages = outbox_service.list_messages(current_user, state, search,
                                            limit=None if export else 500)
    if export:
        return csv_response(
            "courriels.csv",
            ["id", "destinataire", "objet", "modèle", "raison", "état", "tentatives",
             "créé le", "prochain essai", "envoyé le", "dernière erreur"],
            ([m.id, m.recipient, m.subject, m.template, m.reason, m.state.value, m.attempts,
              m.created_at.isoformat(timespec="seconds"),
              m.next_attempt_at.isoformat(timespec="seconds"),
              m.sent_at.isoformat(timespec="seconds") if m.sent_at else None,
              m.last_error] for m in messages),
        )
    counts = outbox_service.count_by_state()
    return render_template("steering/outbox.html", form=form, messages=messages,
                           counts=counts, failed_count=counts[OutboxState.FAILED],
                           labels=STATE_LABELS, retry_form=ActionForm())


@bp.route("/courriels/<int:message_id>/relancer", methods=["POST"])
def outbox_retry(message_id: int) -> Response:
    form = ActionForm()
    if form.validate_on_submit():
        try:
            outbox_service.retry_failed(current_user, [message_id])
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash(_("Le message est remis dans la file : il partira au prochain passage."),
                  "success")
    return redirect(url_for("steering.outbox", state="failed"))


@bp.route("/courriels/relancer-tout", methods=["POST"])
def outbox_retry_all() -> Response:
    form = ActionForm()
    if form.validate_on_submit():
        count = outbox_service.retry_failed(current_user)
        flash(_("%(count)d message(s) remis dans la file d'envoi.", count=count), "success")
    return redirect(url_for("steering.outbox", state="failed"))
