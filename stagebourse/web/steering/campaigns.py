"""Steering group: campaigns, their schools' weeks and their states."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from stagebourse.labels import label
from stagebourse.models import Level
from stagebourse.services import ServiceError, campaigns
from stagebourse.web.exports import csv_response
from stagebourse.web.forms import ActionForm
from stagebourse.web.loaders import load_campaign
from stagebourse.web.steering import bp
from stagebourse.web.steering.forms_campaigns import (
    WEEK_SLOTS,
    CampaignForm,
    DeadlinesForm,
    parse_school_weeks,
    week_field_name,
)


@bp.route("/campagnes")
def campaign_list() -> str | Response:
    rows = campaigns.list_campaigns()
    if request.args.get("format") == "csv":
        return csv_response(
            "campagnes.csv",
            [_("Identifiant"), _("Nom"), _("Année"), _("Niveau"), _("État"),
             _("Date limite des vœux"), _("Semaines")],
            ([c.id, c.name, c.year, label(c.level), label(c.state),
              c.requests_deadline.isoformat(), " ".join(campaigns.campaign_weeks(c))]
             for c in rows),
        )
    return render_template("steering/campaigns.html", campaigns=rows)


@bp.route("/campagnes/nouvelle", methods=["GET", "POST"])
def campaign_new() -> str | Response:
    form = CampaignForm()
    if form.validate_on_submit():
        try:
            campaign = campaigns.create_campaign(
                current_user, year=form.year.data, level=Level(form.level.data),
                name=form.name.data, requests_deadline=form.requests_deadline.data,
                confirmation_deadline=form.confirmation_deadline.data)
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash(_("Campagne créée. Indiquez maintenant les semaines de stage de chaque "
                    "établissement, puis ouvrez-la aux vœux."), "success")
            return redirect(url_for("steering.campaign_weeks", campaign_id=campaign.id))
    return render_template("steering/campaign_new.html", form=form)


@bp.route("/campagnes/<int:campaign_id>")
def campaign_detail(campaign_id: int) -> str:
    campaign = load_campaign(campaign_id)
    return render_template(
        "steering/campaign_detail.html", campaign=campaign,
        actions=[campaigns.TRANSITIONS[a] for a in campaigns.MANUAL_ACTIONS
                 if campaign.state in campaigns.TRANSITIONS[a].sources],
        action_form=ActionForm(),
        deadlines_form=DeadlinesForm(obj=campaign),
        weeks=campaigns.weeks_by_school(campaign), schools=campaigns.schools_for(campaign),
        entries=campaigns.campaign_journal(current_user, campaign))


@bp.route("/campagnes/<int:campaign_id>/dates", methods=["POST"])
def campaign_deadlines(campaign_id: int) -> Response:
    campaign = load_campaign(campaign_id)
    form = DeadlinesForm()
    if form.validate_on_submit():
        try:
            campaigns.update_deadlines(current_user, campaign, form.requests_deadline.data,
                                       form.confirmation_deadline.data)
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash(_("Dates enregistrées."), "success")
    else:
        for errors in form.errors.values():
            flash(errors[0], "error")
    return redirect(url_for("steering.campaign_detail", campaign_id=campaign.id))


@bp.route("/campagnes/<int:campaign_id>/<any(open, close, reopen, finish):action>",
          methods=["POST"])
def campaign_transition(campaign_id: int, action: str) -> Response:
    campaign = load_campaign(campaign_id)
    if ActionForm().validate_on_submit():
        try:
            campaigns.transition(current_user, campaign, action)
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash(_("La campagne est maintenant : %(state)s.", state=label(campaign.state)),
                  "success")
    return redirect(url_for("steering.campaign_detail", campaign_id=campaign.id))


@bp.route("/campagnes/<int:campaign_id>/semaines", methods=["GET", "POST"])
def campaign_weeks(campaign_id: int) -> str | Response:
    campaign = load_campaign(campaign_id)
    schools = campaigns.schools_for(campaign)
    form = ActionForm()
    current = campaigns.weeks_by_school(campaign)
    values = {week_field_name(s, slot + 1): week
              for s in schools for slot, week in enumerate(current.get(s.id, []))}
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        weeks, errors = parse_school_weeks(schools, request.form)
        values = {k: v for k, v in request.form.items() if k.startswith("week-")}
        if not errors:
            try:
                campaigns.set_school_weeks(current_user, campaign, weeks)
            except ServiceError as error:
                flash(str(error), "error")
            else:
                flash(_("Semaines enregistrées."), "success")
                return redirect(url_for("steering.campaign_detail", campaign_id=campaign.id))
    return render_template("steering/campaign_weeks.html", campaign=campaign, schools=schools,
                           form=form, values=values, errors=errors, slots=WEEK_SLOTS,
                           field_name=week_field_name)
