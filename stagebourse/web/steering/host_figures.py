"""Steering: CSV exports of the host-decision figures (round audit, observatory, one host)."""

from __future__ import annotations

from flask import abort
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from stagebourse.services import host_decision_figures as figures
from stagebourse.web.exports import csv_response
from stagebourse.web.loaders import load_campaign, load_company, load_run
from stagebourse.web.steering import bp


def _table(tables: list[figures.DecisionTable], dimension: str) -> figures.DecisionTable:
    found = next((t for t in tables if t.dimension == dimension), None)
    if found is None:
        abort(404)
    return found


@bp.route("/tours/<int:run_id>/decisions-structures-<dimension>.csv")
def host_decisions_run_csv(run_id: int, dimension: str) -> Response:
    run = load_run(run_id)
    table = _table(figures.run_tables(current_user, run), dimension)
    return csv_response(f"tour-{run.id}-decisions-structures-{dimension}.csv",
                        table.csv_header(), table.csv_rows())


@bp.route("/observatoire/campagnes/<int:campaign_id>/refus-avant-apres-<dimension>.csv")
def name_refusals_csv(campaign_id: int, dimension: str) -> Response:
    campaign = load_campaign(campaign_id)
    table = _table(figures.name_refusals(campaign).tables, dimension)
    return csv_response(f"observatoire-{campaign.year}-{campaign.level.value}-refus-"
                        f"{dimension}.csv", table.csv_header(), table.csv_rows())


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
