"""Steering group: the return questionnaires of a campaign, their invitations, and the
observatory built from the answers."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from stagebourse.services import (
    ServiceError,
    host_decision_figures,
    observatory,
    questionnaires,
)
from stagebourse.web.exports import csv_response
from stagebourse.web.forms import ActionForm
from stagebourse.web.loaders import load_campaign, load_questionnaire
from stagebourse.web.steering import bp
from stagebourse.web.steering.forms_questionnaires import QuestionnaireJsonForm, ReminderForm


@bp.route("/campagnes/<int:campaign_id>/questionnaires")
def questionnaires_campaign(campaign_id: int) -> str:
    campaign = load_campaign(campaign_id)
    items = [(q, questionnaires.response_count(q))
             for q in questionnaires.current_questionnaires(campaign)]
    obs = observatory.campaign_observatory(campaign)
    return render_template("steering/questionnaires.html", campaign=campaign, items=items,
                           invite_form=ActionForm(), reminder_form=ReminderForm(), obs=obs)


@bp.route("/questionnaires/<int:questionnaire_id>", methods=["GET", "POST"])
def questionnaire_edit(questionnaire_id: int) -> str | Response:
    questionnaire = load_questionnaire(questionnaire_id)
    form = QuestionnaireJsonForm()
    if not form.is_submitted():
        form.document.data = questionnaires.questionnaire_json(questionnaire)
    if form.validate_on_submit():
        try:
            saved = questionnaires.save_questionnaire(current_user, questionnaire,
                                                      form.document.data)
        except ServiceError as error:
            flash(str(error), "error")
        else:
            if saved.id != questionnaire.id:
                flash(_("Des réponses existent déjà : la version %(v)s a été créée ; les "
                        "réponses reçues restent liées à la version précédente.",
                        v=saved.version), "success")
            else:
                flash(_("Questionnaire enregistré."), "success")
            return redirect(url_for("steering.questionnaire_edit", questionnaire_id=saved.id))
    return render_template("steering/questionnaire_edit.html", questionnaire=questionnaire,
                           form=form, responses=questionnaires.response_count(questionnaire),
                           sectors=questionnaires.sector_options())


@bp.route("/campagnes/<int:campaign_id>/questionnaires/inviter", methods=["POST"])
def questionnaires_invite(campaign_id: int) -> Response:
    campaign = load_campaign(campaign_id)
    if ActionForm().validate_on_submit():
        try:
            summary = questionnaires.invite(current_user, campaign)
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash(_("%(e)s élève(s) invité(s) par courriel, %(s)s code(s) à imprimer par les "
                    "professeurs, %(t)s tuteur(s) invité(s).", e=summary.pupils_by_email,
                    s=summary.pupils_for_class_sheet, t=summary.tutors), "success")
    return redirect(url_for("steering.questionnaires_campaign", campaign_id=campaign.id))


@bp.route("/campagnes/<int:campaign_id>/questionnaires/rappels", methods=["POST"])
def questionnaires_remind(campaign_id: int) -> Response:
    campaign = load_campaign(campaign_id)
    form = ReminderForm()
    if form.validate_on_submit():
        count = questionnaires.send_reminders(current_user, campaign, form.days.data)
        flash(_("%(n)s rappel(s) mis en file d'envoi.", n=count), "success")
    else:
        flash(_("Indiquez un nombre de jours entre 1 et 90."), "error")
    return redirect(url_for("steering.questionnaires_campaign", campaign_id=campaign.id))


# Observatory ----------------------------------------------------------------------------------

@bp.route("/observatoire")
def observatory_home() -> str:
    return render_template("steering/observatory.html", history=observatory.history())


@bp.route("/observatoire/campagnes/<int:campaign_id>")
def observatory_campaign(campaign_id: int) -> str:
    campaign = load_campaign(campaign_id)
    previous = observatory.previous_campaign(campaign)
    shown = request.args.get("dimension", "school_kind")
    if shown not in observatory.DIMENSIONS and shown != "all":
        shown = "school_kind"
    return render_template(
        "steering/observatory_campaign.html", obs=observatory.campaign_observatory(campaign),
        previous=observatory.campaign_observatory(previous) if previous else None,
        audit=observatory.matching_audit(campaign), dimensions=observatory.DIMENSIONS,
        shown=shown, name_refusals=host_decision_figures.name_refusals(campaign))


@bp.route("/observatoire/campagnes/<int:campaign_id>/export.csv")
def observatory_export(campaign_id: int) -> Response:
    campaign = load_campaign(campaign_id)
    return csv_response(f"observatoire-{campaign.year}-{campaign.level.value}.csv",
                        observatory.CSV_HEADER,
                        observatory.csv_rows(observatory.campaign_observatory(campaign)))


@bp.route("/observatoire/rapport/<int:year>")
def observatory_report(year: int) -> str:
    chosen = [c for c in observatory.campaigns() if c.year == year]
    if not chosen:
        abort(404)
    sections = []
    for campaign in chosen:
        previous = observatory.previous_campaign(campaign)
        sections.append((observatory.campaign_observatory(campaign),
                         observatory.campaign_observatory(previous) if previous else None,
                         observatory.matching_audit(campaign)))
    return render_template("steering/observatory_report.html", year=year, sections=sections,
                           dimensions=observatory.DIMENSIONS, threshold=11)
