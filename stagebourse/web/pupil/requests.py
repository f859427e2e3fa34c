"""The pupil's own request: explore sectors and offers, rank wishes, confirm."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from stagebourse.models import Pupil
from stagebourse.services import requests as requests_service
from stagebourse.services.offer_search import PER_PAGE, page_bounds
from stagebourse.web.loaders import load_sector
from stagebourse.web.pupil import bp
from stagebourse.web.requests_shared import ACTIONS, apply_action, page_context


def _me() -> Pupil:
    # A pupil only ever sees themself: there is no pupil id in any of these URLs.
    pupil: Pupil | None = current_user.pupil
    if pupil is None:
        abort(404)
    return pupil


def _action_url(action: str, rank: int | None = None) -> str:
    return url_for("pupil.request_action", action=action, rank=rank)


@bp.route("/demande")
def request_page() -> str:
    return render_template("pupil/request.html", **page_context(_me()),
                           action_url=_action_url)


@bp.route("/demande/<action>", methods=["POST"])
@bp.route("/demande/voeux/<int:rank>/<action>", methods=["POST"])
def request_action(action: str, rank: int | None = None) -> Response:
    if action not in ACTIONS:
        abort(404)
    apply_action(current_user, _me(), action, rank)
    back = request.form.get("back")
    if back == "detail" and request.form.get("offer_id", "").isdigit():
        return redirect(url_for("offers.detail", offer_id=int(request.form["offer_id"])))
    if back == "offers":
        return redirect(url_for("pupil.offers", secteur=request.form.get("secteur") or None,
                                page=request.form.get("page", type=int)))
    return redirect(url_for("pupil.request_page", _anchor="voeux"))


@bp.route("/offres")
def offers() -> str:
    pupil = _me()
    context = page_context(pupil, editor=False)
    sector = None
    code = request.args.get("secteur")
    if code:
        sector = load_sector(code)
    shown: list[requests_service.OfferChoice] = []
    total, page, pages = 0, 1, 1
    if sector is not None and context["campaign"] is not None:
        total = next(c.offers for c in context["sectors"] if c.sector.code == sector.code)
        page, pages = page_bounds(total, request.args.get("page", 1, type=int))
        shown = requests_service.with_offers(requests_service.offer_choices(
            pupil, context["campaign"], sector.code, limit=PER_PAGE,
            offset=(page - 1) * PER_PAGE))
    return render_template("pupil/offers.html", **{**context, "offers": shown},
                           sector=sector, total=total, page=page, pages=pages,
                           action_url=_action_url)
