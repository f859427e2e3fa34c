"""Steering group: the return questionnaires of a campaign, their invitations, and the
observatory built from the answers."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from stagebourse.models import Respondent
from stagebourse.services import ServiceError, observatory, questionnaires
from stagebourse.services import help as help_service
from stagebourse.web.exports import csv_response
from stagebourse.web.forms import ActionForm
from stagebourse.web.loaders import load_campaign, load_questionnaire
from stagebourse.web.steering import bp
from stagebourse.web.steering.forms_questionnaires import (
    QuestionnaireJsonForm,
    ReleaseForm,
    ReminderForm,
)


@bp.route("/campagnes/<int:campaign_id>/questionnaires")
def questionnaires_campaign(campaign_id: int) -> str:
    campaign = load_campaign(campaign_id)
    items = [(q, observatory.answer_band(questionnaires.response_count(q)))
             for q in questionnaires.current_questionnaires(campaign)]
    return render_template("steering/questionnaires.html", campaign=campaign, items=items,
                           invite_form=ActionForm(), reminder_form=ReminderForm(),
                           invited=observatory.invited(campaign),
                           tutors_invited=observatory.invited(campaign, Respondent.TUTOR))


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
                           form=form,
                           answered=questionnaires.response_count(questionnaire) > 0,
                           band=observatory.answer_band(
                               questionnaires.response_count(questionnaire)),
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


# Observatory: frozen releases only ------------------------------------------------------------

@bp.route("/observatoire")
def observatory_home() -> str:
    return render_template("steering/observatory.html",
                           statuses=observatory.campaign_statuses(),
                           releases=observatory.releases(), years=observatory.release_years(),
                           action_form=ActionForm(), release_form=ReleaseForm(),
                           minimum=current_app.config["RELEASE_MIN_RESPONDENTS"],
                           callbacks=help_service.callback_counts())


@bp.route("/observatoire/campagnes/<int:campaign_id>/cloturer", methods=["POST"])
def observatory_close(campaign_id: int) -> Response:
    campaign = load_campaign(campaign_id)
    if ActionForm().validate_on_submit():
        try:
            observatory.close_questionnaire(current_user, campaign)
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash(_("Questionnaire des élèves clôturé : les chiffres peuvent être publiés."),
                  "success")
    return redirect(url_for("steering.observatory_home"))


@bp.route("/observatoire/campagnes/<int:campaign_id>/publier", methods=["POST"])
def observatory_release_campaign(campaign_id: int) -> Response:
    campaign = load_campaign(campaign_id)
    form = ReleaseForm()
    if not form.validate_on_submit():
        flash(_("Cochez la case de confirmation : une publication est définitive."), "error")
        return redirect(url_for("steering.observatory_home"))
    try:
        release = observatory.compute_campaign_release(current_user, campaign)
    except ServiceError as error:
        flash(str(error), "error")
        return redirect(url_for("steering.observatory_home"))
    flash(_("Chiffres publiés."), "success")
    return redirect(url_for("steering.observatory_release", release_id=release.id))


@bp.route("/observatoire/rapport/<int:year>/publier", methods=["POST"])
def observatory_release_year(year: int) -> Response:
    form = ReleaseForm()
    if not form.validate_on_submit():
        flash(_("Cochez la case de confirmation : une publication est définitive."), "error")
        return redirect(url_for("steering.observatory_home"))
    try:
        observatory.compute_annual_release(current_user, year)
    except ServiceError as error:
        flash(str(error), "error")
        return redirect(url_for("steering.observatory_home"))
    flash(_("Rapport annuel publié."), "success")
    return redirect(url_for("steering.observatory_report", year=year))


def _load_release(release_id: int) -> observatory.Release:
    release = observatory.get_release(release_id)
    if release is None:
        abort(404)
    return release


@bp.route("/observatoire/publications/<int:release_id>")
def observatory_release(release_id: int) -> str:
    return render_template("steering/observatory_release.html",
                           release=_load_release(release_id),
                           dimensions=observatory.DIMENSION_LABELS)


@bp.route("/observatoire/publications/<int:release_id>/export.csv")
def observatory_export(release_id: int) -> Response:
    release = _load_release(release_id)
    return csv_response(f"observatoire-{release.row.scope.replace(':', '-')}.csv",
                        observatory.CSV_HEADER, observatory.csv_rows(release))


@bp.route("/observatoire/rapport/<int:year>")
def observatory_report(year: int) -> str:
    shown = [r for r in observatory.releases() if r.row.year == year]
    if not shown:
        abort(404)
    return render_template("steering/observatory_report.html", year=year, releases=shown,
                           dimensions=observatory.DIMENSION_LABELS)
