"""The OpenAPI 3 description of /api/v1, hand-written next to the code it describes.

tests/web/test_api.py validates this document with openapi-spec-validator and checks every
response of the test suite against its schemas, so the two cannot drift apart silently.
"""

from __future__ import annotations

from typing import Any

from stagebourse.services.offer_rules import DAYS, MAX_SEATS_PER_WEEK

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}
SLOT = {
    "type": "object",
    "required": ["day", "start", "end"],
    "properties": {
        "day": {"type": "string", "enum": list(DAYS)},
        "start": {"type": "string", "pattern": "^\\d{1,2}[:hH]\\d{2}$", "example": "09:00"},
        "end": {"type": "string", "pattern": "^\\d{1,2}[:hH]\\d{2}$", "example": "12:00"},
    },
}
TUTOR = {
    "type": "object",
    "required": ["full_name", "job_title", "email"],
    "properties": {"full_name": {"type": "string"}, "job_title": {"type": "string"},
                   "email": {"type": "string", "format": "email"}},
}
WEEK = {
    "type": "object",
    "required": ["week", "seats"],
    "properties": {"week": {"type": "string", "pattern": "^\\d{4}-W\\d{2}$",
                            "example": "2027-W05"},
                   "seats": {"type": "integer", "minimum": 0, "maximum": MAX_SEATS_PER_WEEK}},
}
OFFER_INPUT = {
    "type": "object",
    "required": ["title", "sector", "description", "address", "levels", "schedule",
                 "safety_attested", "tutor", "weeks"],
    "properties": {
        "external_ref": {"type": "string", "maxLength": 100,
                         "description": "Your own reference. Sending the same reference "
                                        "again updates the offer instead of creating one."},
        "title": {"type": "string", "maxLength": 200},
        "sector": {"type": "string", "description": "Sector code (see the sectors list)."},
        "description": {"type": "string", "minLength": 20, "maxLength": 5000},
        "address": {"type": "string", "maxLength": 300},
        "commune": {"type": "string", "description": "INSEE code; its centre gives the "
                                                     "coordinates unless lat/lon are given."},
        "lat": {"type": "number", "minimum": -90, "maximum": 90},
        "lon": {"type": "number", "minimum": -180, "maximum": 180},
        "levels": {"type": "array", "minItems": 1,
                   "items": {"type": "string", "enum": ["3e", "2de"]}},
        "min_age": {"type": "integer", "minimum": 13, "maximum": 18, "default": 14},
        "accessible": {"type": "boolean", "default": False},
        "schedule": {"type": "array", "items": {"$ref": "#/components/schemas/Slot"},
                     "description": "At most 7 h a day, 35 h a week, nothing between "
                                    "20:00 and 06:00."},
        "safety_attested": {"type": "boolean", "description": "Must be true (D. 331-9)."},
        "tutor": {"$ref": "#/components/schemas/Tutor"},
        "weeks": {"type": "array", "items": {"$ref": "#/components/schemas/Week"}},
        "publish": {"type": "boolean", "default": True},
    },
}
OFFER = {
    "type": "object",
    "required": ["id", "external_ref", "state", "title", "sector", "description", "address",
                 "commune", "lat", "lon", "levels", "min_age", "accessible", "schedule",
                 "safety_attested", "tutor", "weeks"],
    "properties": {
        "id": {"type": "integer"},
        "external_ref": {"type": ["string", "null"]},
        "state": {"type": "string", "enum": ["draft", "published", "withdrawn"]},
        "title": {"type": "string"},
        "sector": {"type": "string"},
        "description": {"type": "string"},
        "address": {"type": "string"},
        "commune": {"type": ["string", "null"]},
        "lat": {"type": "number"},
        "lon": {"type": "number"},
        "levels": {"type": "array", "items": {"type": "string", "enum": ["3e", "2de"]}},
        "min_age": {"type": "integer"},
        "accessible": {"type": "boolean"},
        "schedule": {"type": "array", "items": {"$ref": "#/components/schemas/Slot"}},
        "safety_attested": {"type": "boolean"},
        "tutor": {"oneOf": [{"$ref": "#/components/schemas/Tutor"}, {"type": "null"}]},
        "weeks": {"type": "array", "items": {"$ref": "#/components/schemas/Week"}},
    },
}
CAMPAIGN_WEEKS = {
    "type": "object",
    "required": ["campaign", "level", "weeks"],
    "properties": {
        "campaign": {"type": "string"},
        "level": {"type": "string", "enum": ["3e", "2de"]},
        "weeks": {"type": "array", "items": {
            "type": "object", "required": ["week", "label"],
            "properties": {"week": {"type": "string"}, "label": {"type": "string"}}}},
    },
}


def _json(schema_ref: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}}


def _errors(*codes: str) -> dict[str, Any]:
    texts = {
        "400": "Malformed request (no JSON body).",
        "401": "Missing, unknown, expired or revoked token.",
        "403": "The token's structure is not validated.",
        "404": "No such offer for this token.",
        "409": "Conflict with the state of the offer (pupils already assigned).",
        "422": "Validation failed: one message per field in `fields`.",
        "429": "Rate limit reached; see the Retry-After header.",
    }
    return {code: {"description": texts[code], "content": _json("Error")} for code in codes}


OFFER_ID = {"name": "offer_id", "in": "path", "required": True, "schema": {"type": "integer"}}


def openapi_document() -> dict[str, Any]:
    auth = ("401", "403", "429")
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Bourse de stages – API des structures partenaires",
            "version": "1.0.0",
            "description": "Create, update, withdraw and list the offers of the structure a "
                           "token belongs to. Tokens are issued by the steering group. Rate "
                           "limit: a fixed window per token (default 120 requests a minute).",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": ERROR, "Slot": SLOT, "Tutor": TUTOR, "Week": WEEK,
                        "OfferInput": OFFER_INPUT, "Offer": OFFER,
                        "CampaignWeeks": CAMPAIGN_WEEKS},
        },
        "paths": {
            "/weeks": {"get": {
                "summary": "Weeks of the open campaigns that can carry seats",
                "responses": {"200": {"description": "Weeks per campaign", "content": {
                    "application/json": {"schema": {"type": "array", "items": {
                        "$ref": "#/components/schemas/CampaignWeeks"}}}}}, **_errors(*auth)}}},
            "/offers": {
                "get": {"summary": "List the structure's offers", "responses": {
                    "200": {"description": "Offers", "content": {"application/json": {
                        "schema": {"type": "array",
                                   "items": {"$ref": "#/components/schemas/Offer"}}}}},
                    **_errors(*auth)}},
                "post": {"summary": "Create an offer (or update the one with the same "
                                    "external_ref)",
                         "requestBody": {"required": True, "content": _json("OfferInput")},
                         "responses": {
                             "201": {"description": "Created", "content": _json("Offer")},
                             "200": {"description": "Updated (same external_ref)",
                                     "content": _json("Offer")},
                             **_errors("400", "422", *auth)}},
            },
            "/offers/{offer_id}": {
                "parameters": [OFFER_ID],
                "get": {"summary": "One offer", "responses": {
                    "200": {"description": "The offer", "content": _json("Offer")},
                    **_errors("404", *auth)}},
                "put": {"summary": "Replace an offer",
                        "requestBody": {"required": True, "content": _json("OfferInput")},
                        "responses": {
                            "200": {"description": "Updated", "content": _json("Offer")},
                            **_errors("400", "404", "422", *auth)}},
            },
            "/offers/{offer_id}/withdraw": {
                "parameters": [OFFER_ID],
                "post": {"summary": "Withdraw an offer (pupils no longer see it)", "responses": {
                    "200": {"description": "Withdrawn", "content": _json("Offer")},
                    **_errors("404", "409", *auth)}},
            },
            "/openapi.json": {"get": {
                "summary": "This document", "security": [],
                "responses": {"200": {"description": "OpenAPI 3.1 document"}}}},
        },
    }
