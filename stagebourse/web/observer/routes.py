"""Observers' pages: the home figures, observatory releases, published rounds' audits."""

from __future__ import annotations

from flask import abort, render_template, request
from flask_login import current_user
from werkzeug.wrappers import Response

from stagebourse.services import matching_report, observation, observatory
from stagebourse.web.exports import csv_response
from stagebourse.web.loaders import found_or_404
from stagebourse.web.observer import bp


@bp.route("/")
def home() -> str:
    return render_template("observer/home.html",
                           home=observation.observer_home(current_user))


@bp.route("/publications/<int:release_id>")
def release(release_id: int) -> str:
    return render_template("observer/release.html",
                           release=found_or_404(observation.release(current_user, release_id)),
                           dimensions=observatory.DIMENSION_LABELS)


@bp.route("/publications/<int:release_id>/export.csv")
def release_export(release_id: int) -> Response:
    shown = found_or_404(observation.release(current_user, release_id))
    return csv_response(f"observatoire-{shown.row.scope.replace(':', '-')}.csv",
                        observatory.CSV_HEADER, observatory.csv_rows(shown))


@bp.route("/rapport/<int:year>")
def report(year: int) -> str:
    shown = observation.year_releases(current_user, year)
    if not shown:
        abort(404)
    return render_template("steering/observatory_report.html", year=year, releases=shown,
                           dimensions=observatory.DIMENSION_LABELS)


@bp.route("/tours/<int:run_id>")
def run_audit(run_id: int) -> str | Response:
    run = found_or_404(observation.published_run(current_user, run_id))
    tables = observation.run_tables(current_user, run)
    if request.args.get("format") == "csv":
        table = found_or_404(next((t for t in tables if t.id == request.args.get("table")),
                                  None))
        return csv_response(f"tour-{run.id}-{table.id}.csv", table.header, table.rows)
    return render_template("observer/run_audit.html", run=run, tables=tables,
                           chart_groups=matching_report.chart_groups)
