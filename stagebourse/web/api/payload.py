"""JSON ⇄ OfferInput. Type errors are reported per field, like the service's rule errors."""

from __future__ import annotations

from typing import Any

from stagebourse.models import Offer
from stagebourse.services.offer_rules import Slot
from stagebourse.services.offers import OfferInput, TutorInput, offer_levels

REQUIRED = ["title", "sector", "description", "address", "levels", "schedule",
            "safety_attested", "tutor", "weeks"]


def parse_offer(body: Any) -> tuple[OfferInput | None, dict[str, str]]:
    if not isinstance(body, dict):
        return None, {"body": "Le corps doit être un objet JSON."}
    errors: dict[str, str] = {}
    for name in REQUIRED:
        if name not in body:
            errors[name] = "Champ obligatoire."
    if errors:
        return None, errors

    def text(name: str, max_len: int, required: bool = True) -> str:
        value = body.get(name)
        if value is None and not required:
            return ""
        if not isinstance(value, str):
            errors[name] = "Doit être une chaîne de caractères."
            return ""
        if len(value) > max_len:
            errors[name] = f"{max_len} caractères au plus."
        return value

    title = text("title", 200)
    sector = text("sector", 40)
    description = text("description", 5000)
    address = text("address", 300)
    commune = body.get("commune")
    if commune is not None and not isinstance(commune, str):
        errors["commune"] = "Code INSEE de la commune, en chaîne (ex. \"59606\")."
        commune = None
    external_ref = body.get("external_ref")
    if external_ref is not None and (not isinstance(external_ref, str) or len(external_ref) > 100):
        errors["external_ref"] = "Chaîne de 100 caractères au plus."
    levels = body.get("levels")
    if not isinstance(levels, list) or not levels or not set(levels) <= {"3e", "2de"}:
        errors["levels"] = "Liste non vide parmi \"3e\" et \"2de\"."
        levels = []
    min_age = body.get("min_age", 14)
    if not isinstance(min_age, int) or isinstance(min_age, bool):
        errors["min_age"] = "Nombre entier (âge en années)."
        min_age = 14
    accessible = body.get("accessible", False)
    safety = body.get("safety_attested")
    publish = body.get("publish", True)
    for name, value in (("accessible", accessible), ("safety_attested", safety),
                        ("publish", publish)):
        if not isinstance(value, bool):
            errors[name] = "Doit valoir true ou false."
    schedule: list[Slot] = []
    raw_schedule = body.get("schedule")
    if not isinstance(raw_schedule, list):
        errors["schedule"] = "Liste d'objets {day, start, end}."
    else:
        for item in raw_schedule:
            if not (isinstance(item, dict) and all(isinstance(item.get(k), str)
                                                   for k in ("day", "start", "end"))):
                errors["schedule"] = ("Chaque plage est un objet {\"day\": \"lundi\", "
                                      "\"start\": \"09:00\", \"end\": \"12:00\"}.")
                break
            schedule.append(Slot(item["day"].lower(), item["start"], item["end"]))
    tutor = body.get("tutor")
    new_tutor = None
    if not (isinstance(tutor, dict) and all(isinstance(tutor.get(k), str)
                                            for k in ("full_name", "job_title", "email"))):
        errors["tutor"] = "Objet {full_name, job_title, email}."
    else:
        new_tutor = TutorInput(tutor["full_name"], tutor["job_title"], tutor["email"])
    seats: dict[str, int] = {}
    weeks = body.get("weeks")
    if not isinstance(weeks, list):
        errors["weeks"] = "Liste d'objets {week, seats}."
    else:
        for item in weeks:
            if not (isinstance(item, dict) and isinstance(item.get("week"), str)
                    and isinstance(item.get("seats"), int)
                    and not isinstance(item.get("seats"), bool)):
                errors["weeks"] = "Chaque semaine est un objet {\"week\": \"2027-W05\", " \
                                  "\"seats\": 2}."
                break
            seats[item["week"]] = item["seats"]
    lat, lon = body.get("lat"), body.get("lon")
    if (lat is None) != (lon is None) or any(
            v is not None and (not isinstance(v, int | float) or isinstance(v, bool))
            for v in (lat, lon)):
        errors["lat"] = "Donnez lat et lon ensemble (nombres), ou aucun des deux."
        lat = lon = None
    if errors:
        return None, errors
    return OfferInput(
        title=title, sector_code=sector, description=description, address=address,
        commune_code=commune, for_3e="3e" in levels, for_2de="2de" in levels, min_age=min_age,
        accessible=accessible, schedule=schedule, safety_attested=bool(safety), seats=seats,
        lat=float(lat) if lat is not None else None, lon=float(lon) if lon is not None else None,
        new_tutor=new_tutor, external_ref=external_ref, publish=publish,
    ), {}


def offer_json(offer: Offer) -> dict[str, Any]:
    return {
        "id": offer.id,
        "external_ref": offer.external_ref,
        "state": offer.state.value,
        "title": offer.title,
        "sector": offer.sector_code,
        "description": offer.description,
        "address": offer.address,
        "commune": offer.commune_code,
        "lat": offer.lat,
        "lon": offer.lon,
        "levels": offer_levels(offer),
        "min_age": offer.min_age,
        "accessible": offer.accessible,
        "schedule": [{"day": s["day"], "start": s["start"], "end": s["end"]}
                     for s in offer.schedule],
        "safety_attested": offer.safety_attested,
        "tutor": ({"full_name": offer.tutor.full_name, "job_title": offer.tutor.job_title,
                   "email": offer.tutor.email} if offer.tutor else None),
        "weeks": [{"week": w.week, "seats": w.seats} for w in offer.weeks],
    }
