"""Endpoints. Every answer is JSON; errors are ``{"error": ..., "fields": {...}}``."""

from __future__ import annotations

from typing import Any

from flask import g, jsonify, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from stagebourse.models import Offer
from stagebourse.services import ServiceError, offers
from stagebourse.services.companies import ApiAuthError, authenticate_api_token
from stagebourse.services.offers import OfferRefused
from stagebourse.web.api import bp
from stagebourse.web.api.openapi import openapi_document
from stagebourse.web.api.payload import offer_json, parse_offer
from stagebourse.web.client import client_address

PUBLIC_ENDPOINTS = {"api.openapi"}


def error(status: int, message: str, fields: dict[str, str] | None = None,
          headers: dict[str, str] | None = None) -> Response:
    body: dict[str, Any] = {"error": message}
    if fields:
        body["fields"] = fields
    response = jsonify(body)
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


@bp.before_request
def authenticate() -> Response | None:
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    try:
        g.api_token = authenticate_api_token(request.headers.get("Authorization"),
                                             client_address())
    except ApiAuthError as refusal:
        headers = {}
        if refusal.status == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="stagebourse"'
        if refusal.retry_after is not None:
            headers["Retry-After"] = str(refusal.retry_after)
        return error(refusal.status, str(refusal), headers=headers)
    return None


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException) -> Response:
    return error(exc.code or 500, exc.description or exc.name)


def _company() -> Any:
    return g.api_token.company


def _load(offer_id: int) -> Offer | None:
    return offers.company_offer(_company().id, offer_id)


def _body() -> tuple[Any, Response | None]:
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        # Python's parser recurses once per level: a body nested ~1,000 deep exhausts the
        # stack. No offer is deeper than two levels; this is a bad request, not a crash.
        return None, error(400, "Corps JSON trop imbriqué : une offre n'a que deux niveaux "
                                "(un objet, ses listes et objets de premier niveau).")
    if body is None:
        return None, error(400, "Corps JSON attendu (Content-Type: application/json).")
    return body, None


@bp.route("/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document())


@bp.route("/weeks")
def weeks() -> Response:
    return jsonify([
        {"campaign": group.campaign.name, "level": group.campaign.level.value,
         "weeks": [{"week": w, "label": label} for w, label in group.weeks]}
        for group in offers.offerable_weeks()])


@bp.route("/offers", methods=["GET"])
def list_offers() -> Response:
    return jsonify([offer_json(o) for o in offers.company_offers(_company())])


@bp.route("/offers/<int:offer_id>", methods=["GET"])
def get_offer(offer_id: int) -> Response:
    offer = _load(offer_id)
    if offer is None:
        return error(404, "Offre introuvable pour ce jeton.")
    return jsonify(offer_json(offer))


def _save(offer: Offer | None) -> Response:
    body, problem = _body()
    if problem is not None:
        return problem
    data, fields = parse_offer(body)
    if data is None:
        return error(422, "Données invalides.", fields)
    if offer is None and data.external_ref:
        # Sending the same item twice updates it: partners can retry safely.
        offer = next((o for o in offers.company_offers(_company())
                      if o.external_ref == data.external_ref), None)
    created = offer is None
    try:
        saved = offers.save_offer(g.api_token, _company(), data, offer,
                                  source=f"api-token:{g.api_token.id}")
    except OfferRefused as refusal:
        return error(422, "L'offre ne respecte pas les règles.", refusal.fields)
    except ServiceError as refusal:
        return error(422, str(refusal))
    response = jsonify(offer_json(saved))
    response.status_code = 201 if created else 200
    return response


@bp.route("/offers", methods=["POST"])
def create_offer() -> Response:
    return _save(None)


@bp.route("/offers/<int:offer_id>", methods=["PUT"])
def update_offer(offer_id: int) -> Response:
    offer = _load(offer_id)
    if offer is None:
        return error(404, "Offre introuvable pour ce jeton.")
    return _save(offer)


@bp.route("/offers/<int:offer_id>/withdraw", methods=["POST"])
def withdraw_offer(offer_id: int) -> Response:
    offer = _load(offer_id)
    if offer is None:
        return error(404, "Offre introuvable pour ce jeton.")
    try:
        offers.withdraw_offer(g.api_token, offer)
    except ServiceError as refusal:
        return error(409, str(refusal))
    return jsonify(offer_json(offer))
