"""Steering group: matching rounds, their progress, comparison, audit, publication."""

from __future__ import annotations

from flask import Response as FlaskResponse
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from werkzeug.wrappers import Response

from stagebourse.identifiers import week_label
from stagebourse.labels import assignment_status
from stagebourse.models import MatchingRun, RunState
from stagebourse.services import (
    ServiceError,
    host_decision_figures,
    matching,
    matching_jobs,
    matching_report,
)
from stagebourse.web.confirm import confirmation_page, confirmed
from stagebourse.web.exports import csv_response
from stagebourse.web.forms import ActionForm
from stagebourse.web.loaders import load_campaign, load_run
from stagebourse.web.steering import bp
from stagebourse.web.steering.forms_matching import CancelForm, ManualMoveForm, RunForm


@bp.route("/campagnes/<int:campaign_id>/tours", methods=["GET", "POST"])
def matching_runs(campaign_id: int) -> str | Response:
    campaign = load_campaign(campaign_id)
    form = RunForm()
    round_number = matching.next_round(campaign)
    form.offer_round(round_number)
    if form.validate_on_submit():
        options = matching.RunOptions(
            rank_costs=form.rank_costs(), km_cost=form.km_cost.data,
            allow_unranked=form.allow_unranked.data, unranked_cost=form.unranked_cost.data,
            seed=form.seed.data, round_number=int(form.round_number.data))
        try:
            run = matching_jobs.start_run(current_user, campaign, options)
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash(_("Calcul lancé (graine %(seed)s).", seed=run.seed), "success")
            return redirect(url_for("steering.matching_progress", run_id=run.id))
    runs = matching.campaign_runs(campaign)
    feasibility = (matching.preview(current_user, campaign,
                                    matching.RunOptions(round_number=round_number))
                   if matching.can_preview(campaign) else None)
    return render_template("steering/matching_runs.html", campaign=campaign, form=form,
                           runs=runs, feasibility=feasibility,
                           summaries={s.run.id: s for s in
                                      matching.compare_runs(current_user, runs)},
                           answers={r.id: matching.answer_counts(r) for r in runs
                                    if r.state == RunState.PUBLISHED})


@bp.route("/tours/<int:run_id>/progression")
def matching_progress(run_id: int) -> str | Response:
    run = load_run(run_id)
    if run.state in (RunState.DONE, RunState.PUBLISHED) and request.args.get("stay") is None:
        return redirect(url_for("steering.matching_audit", run_id=run.id))
    return render_template("steering/matching_progress.html", run=run,
                           working=run.state in (RunState.QUEUED, RunState.RUNNING),
                           progress=matching_jobs.progress_of(run))


@bp.route("/campagnes/<int:campaign_id>/comparer")
def matching_compare(campaign_id: int) -> str | Response:
    campaign = load_campaign(campaign_id)
    chosen = set(request.args.getlist("run", type=int))
    runs = [r for r in matching.campaign_runs(campaign) if r.id in chosen or not chosen]
    summaries = matching.compare_runs(current_user, runs)
    labels = list(matching_report.LABEL_TITLES)
    if request.args.get("format") == "csv":
        return csv_response(
            f"comparaison-campagne-{campaign.id}.csv",
            [_("Essai"), _("Tour"), _("Graine"), _("Paramètres"), _("Élèves"), _("Placés"),
             _("Vœu 1"), _("Rang moyen"), _("Distance moyenne (km)"), _("Distance P90 (km)")]
            + [_("Plus grand écart de placement : %(l)s", l=matching_report.LABEL_TITLES[k])
               for k in labels],
            ([s.run.id, s.run.round_number, s.run.seed, _params_text(s.run), s.pupils,
              s.placed, s.wish1_share, s.mean_rank, s.mean_km, s.p90_km]
             + [s.largest_gaps.get(k) for k in labels] for s in summaries))
    return render_template("steering/matching_compare.html", campaign=campaign,
                           summaries=summaries, labels=labels,
                           label_titles=matching_report.LABEL_TITLES,
                           params_text=_params_text, action_form=ActionForm())


def _params_text(run: MatchingRun) -> str:
    p = run.params or {}
    costs = "/".join(f"{c:g}" for c in p.get("rank_costs", []))
    text: str = _("vœux %(costs)s ; %(km)s par km", costs=costs, km=f"{p.get('km_cost', 0):g}")
    if p.get("allow_unranked"):
        text += _(" ; hors vœux %(c)s", c=f"{p.get('unranked_cost', 0):g}")
    return text


@bp.route("/tours/<int:run_id>")
def matching_audit(run_id: int) -> str | Response:
    run = load_run(run_id)
    tables = matching_report.audit_tables(current_user, run)
    wanted = request.args.get("table")
    if request.args.get("format") == "csv":
        table = next((t for t in tables if t.id == wanted), None)
        if table is None:
            abort(404)
        return csv_response(f"tour-{run.id}-{table.id}.csv", table.header, table.rows)
    printed = bool(request.args.get("print"))
    template = "steering/matching_report.html" if printed else "steering/matching_audit.html"
    return render_template(
        template, run=run, tables_html=_tables_html(tables, run, exports=not printed),
        blind=matching.blindness(current_user, run),
        host_tables=host_decision_figures.run_tables(current_user, run),
        no_seat_reason=matching.reason_text,
        changes=matching.manual_changes(current_user, run),
        params_text=_params_text(run), action_form=ActionForm(),
        can_publish=run.state == RunState.DONE)


# The audit's charts and tables, rendered: escaping their hundreds of cells took about 20 ms
# a view at a département's scale. matching_report keeps one tables object for as long as
# the audit, the language and the settings are the same, so that object is the key; it is
# held here too, so that a reused id is never mistaken for it.
_RENDERED_TABLES: dict[tuple[int, int, bool], tuple[list[matching_report.Table], Markup]] = {}


def _tables_html(tables: list[matching_report.Table], run: MatchingRun, exports: bool
                 ) -> Markup:
    key = (id(tables), run.id, exports)
    kept = _RENDERED_TABLES.get(key)
    if kept is not None and kept[0] is tables:
        return kept[1]
    html = Markup(render_template("steering/_audit_tables.html", tables=tables, run=run,
                                  exports=exports, chart_groups=matching_report.chart_groups))
    if len(_RENDERED_TABLES) >= 32:
        _RENDERED_TABLES.clear()
    _RENDERED_TABLES[key] = (tables, html)
    return html


@bp.route("/tours/<int:run_id>/audit.xlsx")
def matching_audit_xlsx(run_id: int) -> FlaskResponse:
    run = load_run(run_id)
    data = matching_report.xlsx_bytes(matching_report.audit_tables(current_user, run),
                                      _("Audit du tour %(id)s", id=run.id))
    return FlaskResponse(data, mimetype="application/vnd.openxmlformats-officedocument."
                                         "spreadsheetml.sheet",
                         headers={"Content-Disposition":
                                  f'attachment; filename="audit-tour-{run.id}.xlsx"'})


@bp.route("/tours/<int:run_id>/publier", methods=["POST"])
def matching_publish(run_id: int) -> Response | tuple[str, int]:
    run = load_run(run_id)
    if not confirmed():
        placed = sum(1 for a in run.assignments if a.state.value == "proposed")
        return confirmation_page(
            title=_("Publier le tour %(n)s ?", n=run.round_number),
            action=url_for("steering.matching_publish", run_id=run.id),
            button=_("Oui, publier et prévenir tout le monde"),
            back=url_for("steering.matching_audit", run_id=run.id),
            facts=[(_("Campagne"), run.campaign.name),
                   (_("Élèves placés par ce tour"), placed)],
            consequence=_("Une publication ne se reprend pas : les familles, les professeurs, "
                          "les structures et les tuteurs reçoivent leurs e-mails, et les "
                          "affectations deviennent visibles."))
    if ActionForm().validate_on_submit():
        try:
            matching.publish(current_user, run)
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash(_("Tour publié : les élèves, leurs professeurs, les structures et les tuteurs "
                    "sont prévenus."), "success")
    return redirect(url_for("steering.matching_audit", run_id=run_id))


@bp.route("/tours/<int:run_id>/reproduire", methods=["POST"])
def matching_reproduce(run_id: int) -> Response:
    run = load_run(run_id)
    if ActionForm().validate_on_submit():
        try:
            same = matching.reproduce(current_user, run)
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash(run.reproduced_message or "", "success" if same else "error")
    return redirect(url_for("steering.matching_audit", run_id=run_id) + "#reproducibility")


@bp.route("/tours/<int:run_id>/affectations", methods=["GET", "POST"])
def matching_assignments(run_id: int) -> str | Response | tuple[str, int]:
    run = load_run(run_id)
    move_form = ManualMoveForm(prefix="move")
    cancel_form = CancelForm(prefix="cancel")
    if request.method == "POST":
        if "move-submit" in request.form and move_form.validate_on_submit():
            try:
                matching.manual_assign(current_user, run, move_form.pupil_id.data,
                                       move_form.offer_id.data, move_form.week.data,
                                       move_form.reason.data)
            except ServiceError as error:
                flash(str(error), "error")
            else:
                flash(_("Affectation modifiée ; le changement figure dans l'audit."), "success")
                return redirect(url_for("steering.matching_assignments", run_id=run.id))
        elif "cancel-submit" in request.form and cancel_form.validate_on_submit():
            assignment = matching.run_assignment(run, cancel_form.assignment_id.data)
            if assignment is None:
                flash(_("Affectation inconnue dans ce tour."), "error")
            elif not confirmed():
                return confirmation_page(
                    title=_("Annuler l'affectation n° %(n)s ?", n=assignment.id),
                    action=url_for("steering.matching_assignments", run_id=run.id),
                    button=_("Oui, annuler cette affectation"),
                    back=url_for("steering.matching_assignments", run_id=run.id),
                    facts=[(_("Élève"), f"{assignment.pupil.first_name} "
                                        f"{assignment.pupil.last_name}"),
                           (_("Stage"), f"{assignment.offer.title}, "
                                        f"{assignment.offer.company.name}"),
                           (_("Semaine"), week_label(assignment.week)),
                           (_("Raison"), cancel_form.reason.data)],
                    consequence=_("Une annulation ne se reprend pas : la place revient au "
                                  "tour suivant."),
                    carry={"cancel-assignment_id": assignment.id,
                           "cancel-reason": cancel_form.reason.data,
                           "cancel-csrf_token": request.form.get("cancel-csrf_token"),
                           "cancel-submit": "1"})
            else:
                try:
                    matching.cancel_assignment(current_user, assignment,
                                               cancel_form.reason.data)
                except ServiceError as error:
                    flash(str(error), "error")
                else:
                    flash(_("Affectation annulée ; la place revient au tour suivant."),
                          "success")
                    return redirect(url_for("steering.matching_assignments", run_id=run.id))
    rows = sorted(run.assignments, key=lambda a: (a.pupil.school.name, a.pupil.class_name,
                                                  a.pupil.last_name, a.pupil.first_name))
    state = request.args.get("state")
    if state:
        rows = [a for a in rows if a.state.value == state]
    if request.args.get("format") == "csv":
        return csv_response(
            f"tour-{run.id}-affectations.csv",
            [_("N° affectation"), _("N° élève"), _("Élève"), _("Établissement"), _("Classe"),
             _("N° offre"), _("Offre"), _("Structure"), _("Semaine"), _("Vœu"),
             _("Distance (km)"), _("État"), _("Raison d'un changement manuel")],
            ([a.id, a.pupil_id, f"{a.pupil.first_name} {a.pupil.last_name}",
              a.pupil.school.name, a.pupil.class_name, a.offer_id, a.offer.title,
              a.offer.company.name, a.week, a.rank, a.distance_km, assignment_status(a),
              a.manual_reason] for a in rows))
    return render_template("steering/matching_assignments.html", run=run, rows=rows,
                           move_form=move_form, cancel_form=cancel_form, state=state)
