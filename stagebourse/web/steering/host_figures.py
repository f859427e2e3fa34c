"""Steering: CSV exports of the host-decision figures (round audit, observatory, one host)."""

from __future__ import annotations

from flask import abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from stagebourse.services import host_decision_figures as figures
from stagebourse.web.exports import csv_response
from stagebourse.web.loaders import load_campaign, load_company, load_run
from stagebourse.web.steering import bp


def _export(filename: str, tables: list[figures.DecisionTable]) -> Response:
    """One group's table (``?dimension=gender``...), or, without it, every group's, one after
    the other with the group in the first column."""
    dimension = request.args.get("dimension")
    if dimension is not None:
        table = next((t for t in tables if t.dimension == dimension), None)
        if table is None:
            abort(404)
        return csv_response(f"{filename}-{dimension}.csv", table.csv_header(),
                            table.csv_rows())
    header = [_("Ventilation"), _("Groupe"), *(tables[0].cols if tables else [])]
    return csv_response(f"{filename}.csv", header,
                        ([table.csv_header()[0], *row] for table in tables
                         for row in table.csv_rows()))


@bp.route("/tours/<int:run_id>/decisions-structures.csv")
def host_decisions_run_csv(run_id: int) -> Response:
    run = load_run(run_id)
    return _export(f"tour-{run.id}-decisions-structures",
                   figures.run_tables(current_user, run))


@bp.route("/observatoire/campagnes/<int:campaign_id>/refus-avant-apres")
def name_refusals_page(campaign_id: int) -> str:
    """The observatory's indicator of name-based refusal: from the placements, not from the
    questionnaire's answers, so it is read live (the steering group sees each placement)."""
    campaign = load_campaign(campaign_id)
    return render_template("steering/observatory_name_refusals.html", campaign=campaign,
                           name_refusals=figures.name_refusals(campaign))


@bp.route("/observatoire/campagnes/<int:campaign_id>/refus-avant-apres.csv")
def name_refusals_csv(campaign_id: int) -> Response:
    campaign = load_campaign(campaign_id)
    return _export(f"observatoire-{campaign.year}-{campaign.level.value}-refus",
                   figures.name_refusals(campaign).tables)


@bp.route("/structures/<int:company_id>/decisions.csv")
def host_record_csv(company_id: int) -> Response:
    company = load_company(company_id)
    record = figures.host_record(current_user, company)
    return csv_response(
        f"structure-{company.id}-decisions.csv",
        [_("Campagne"), _("Propositions"), _("Refusées avant la levée de l'anonymat"),
         _("Retraits demandés après"), _("Retraits accordés")],
        ([r.campaign.name, r.proposals, r.declined_before, r.withdrawal_requests,
          r.withdrawals_accepted] for r in record.campaigns))
