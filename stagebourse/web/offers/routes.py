from __future__ import annotations

import math

from flask import render_template, request
from flask_login import current_user
from werkzeug.wrappers import Response

from stagebourse.services import offer_cards, offers
from stagebourse.services.offer_rules import DAYS, format_day_ranges
from stagebourse.services.offer_search import (
    MAX_RADIUS_KM,
    OfferFilters,
    distance_to,
    search_offers,
)
from stagebourse.services.search_words import MAX_QUERY_LENGTH
from stagebourse.web.exports import csv_response
from stagebourse.web.loaders import load_offer
from stagebourse.web.offers import bp


def _filters() -> OfferFilters:
    args = request.args

    def number(name: str) -> float | None:
        """A positive finite number, else no filter: "inf", "1e309" (inf too) and "nan"
        parse as floats, and the page would fail on them (int(inf) in the form)."""
        try:
            value = float(args.get(name, "").replace(",", "."))
        except ValueError:
            return None
        if not math.isfinite(value) or value <= 0:
            return None
        return min(value, MAX_RADIUS_KM)

    level = args.get("level")
    if level is None:
        from stagebourse.services.offer_search import default_level

        level = default_level(current_user)
    page = args.get("page", "1")
    return OfferFilters(
        sector=args.get("sector") or None, commune=args.get("commune") or None,
        week=args.get("week") or None, level=level or None,
        accessible=args.get("accessible") == "1", near=args.get("near") or None,
        radius_km=number("radius"), q=args.get("q", "").strip()[:MAX_QUERY_LENGTH] or None,
        page=int(page) if page.isascii() and page.isdigit() and len(page) <= 6 else 1,
    )


@bp.route("/")
def browse() -> str | Response:
    filters = _filters()
    if request.args.get("format") == "csv":
        result = search_offers(current_user, filters, paginate=False)
        return csv_response(
            "offres.csv",
            ["id", "titre", "secteur", "structure", "commune", "distance_km", "niveaux",
             "accessible", "semaines"],
            [[h.offer.id, h.offer.title, h.offer.sector.label, h.offer.company.name,
              h.offer.commune.name if h.offer.commune else "",
              round(h.distance_km, 1) if h.distance_km is not None else "",
              " ".join(offers.offer_levels(h.offer)),
              "oui" if h.offer.accessible else "non",
              " ".join(f"{w.week}:{w.seats}" for w in h.offer.weeks if w.seats)]
             for h in result.hits])
    result = search_offers(current_user, filters)
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("offers/browse.html", result=result, filters=filters,
                           sectors=offer_cards.sector_labels(),
                           communes=offer_cards.commune_names(), args=args)


@bp.route("/<int:offer_id>")
def detail(offer_id: int) -> str:
    offer = load_offer(offer_id)
    return render_template("offers/detail.html", offer=offer,
                           distance=distance_to(current_user, offer), days=DAYS,
                           format_day_ranges=format_day_ranges)
