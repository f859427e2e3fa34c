"""What an agreement says: its content, built from the placement, the school and the host,
and the fixed texts (clauses, commitments, legal basis, help contacts)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import (
    AgreementSettings,
    Assignment,
    Campaign,
    Party,
    School,
)
from stagebourse.services.offer_rules import format_minutes, minutes
from stagebourse.services.preparation import first_day as week_monday

CONTENT_FORMAT = 1


DAY_ORDER = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


PARTY_LABELS = {
    Party.SCHOOL: "l'établissement scolaire",
    Party.HOST: "la structure d'accueil",
    Party.PUPIL: "l'élève",
    Party.GUARDIAN: "le ou la représentant(e) légal(e)",
}


# The same labels inside error messages, which are shown in the reader's language; the labels
# above stay French because they go into the document, its history and its mails.
PARTY_NAMES = {
    Party.SCHOOL: _l("l'établissement scolaire"),
    Party.HOST: _l("la structure d'accueil"),
    Party.PUPIL: _l("l'élève"),
    Party.GUARDIAN: _l("le ou la représentant(e) légal(e)"),
}


# The text of the document that does not come from a record. It is copied into each snapshot,
# so what a party signed never changes when this file does.
LEGAL_BASIS = (
    "Convention relative à une séquence d'observation en milieu professionnel d'un élève "
    "mineur, établie en application des articles D. 331-1 à D. 331-15 du code de l'éducation."
)


CLAUSES = (
    "L'élève reste sous statut scolaire pendant toute la séquence d'observation ; il ou elle "
    "demeure sous l'autorité et la responsabilité du chef d'établissement.",
    "La séquence a pour seul objet l'observation : l'élève ne peut ni effectuer un travail "
    "productif, ni recevoir de rémunération.",
    "L'élève n'utilise ni machine, ni appareil, ni produit dont l'usage est interdit aux "
    "mineurs ; la structure d'accueil l'a attesté en déposant son offre (code de l'éducation, "
    "D. 331-9).",
    "Les horaires respectent la durée de présence des mineurs en séquence d'observation : "
    "7 heures par jour et 35 heures par semaine au plus, aucune présence entre 20 h et 6 h "
    "(code du travail, L. 3162-1 et L. 3163-2).",
    "Le tuteur ou la tutrice désigné(e) accueille l'élève, l'accompagne pendant la séquence et "
    "signale sans délai à l'établissement toute absence, tout incident ou tout accident.",
    "En cas d'accident, la structure d'accueil prévient immédiatement l'établissement et la "
    "famille.",
)


COMMITMENTS = (
    "La structure d'accueil s'engage à accueillir l'élève sans aucune discrimination, "
    "notamment liée à l'origine, au nom, au lieu de résidence, au sexe, au handicap, à "
    "l'apparence physique ou à la religion.",
    "Elle s'engage à prévenir, faire cesser et signaler tout harcèlement (moral ou sexuel) et "
    "tout propos ou comportement discriminatoire envers l'élève, de la part de quiconque.",
    "Le tuteur ou la tutrice a reçu les supports de sensibilisation de la bourse de stages sur "
    "les discriminations.",
)


HELP_CONTACTS = (
    "Le professeur référent et le chef d'établissement : l'élève ou sa famille peut les "
    "prévenir à tout moment, l'établissement intervient auprès de la structure.",
    "Le Défenseur des droits : 39 28 (appel gratuit) ou antidiscriminations.fr.",
    "Les permanences du délégué du Défenseur des droits dans le Valenciennois, pour être "
    "accueilli(e) et accompagné(e) face à une discrimination.",
    "Le pôle anti-discrimination du parquet de Valenciennes et les associations qui y "
    "participent (dont l'aide aux victimes de l'AJAR et le CIDFF) : ils font le lien avec le "
    "procureur de la République.",
    "Les permanences généralistes d'accès au droit et le Point Info Famille.",
)


# Fields each party may correct before signing (school: its settings; host: its own part).
SCHOOL_FIELDS = ("head_name", "head_title", "delegation", "signatory_email", "address",
                 "insurer", "insurance_policy")


HOST_FIELDS = ("representative_name", "representative_title", "email", "phone",
               "tutor_name", "tutor_title", "tutor_email", "place", "tasks")


def canonical(content: dict[str, Any]) -> bytes:
    """The canonical rendering of a content snapshot: what a signature's sha256 is taken of."""
    return json.dumps(content, sort_keys=True, ensure_ascii=False,
                      separators=(",", ":")).encode()


def content_hash(content: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(content)).hexdigest()


def settings_for(school: School, campaign: Campaign) -> AgreementSettings | None:
    return db.session.scalar(select(AgreementSettings).where(
        AgreementSettings.school_id == school.id, AgreementSettings.campaign_id == campaign.id))


def _school_part(school: School, settings: AgreementSettings | None) -> dict[str, Any]:
    return {
        "name": school.name, "uai": school.uai, "town": school.town,
        "kind": school.kind.value,
        "head_name": settings.head_name if settings else (school.head_name or ""),
        "head_title": settings.head_title if settings else "",
        "delegation": (settings.delegation or "") if settings else "",
        "signatory_email": settings.signatory_email if settings else "",
        "address": (settings.school_address or "") if settings else "",
        "insurer": settings.insurer if settings else "",
        "insurance_policy": (settings.insurance_policy or "") if settings else "",
    }


def _schedule(offer_schedule: list[dict[str, Any]]) -> tuple[list[dict[str, str]], int]:
    slots = sorted(
        ({"day": str(s["day"]), "start": str(s["start"]), "end": str(s["end"])}
         for s in offer_schedule or [] if s.get("day") in DAY_ORDER),
        key=lambda s: (DAY_ORDER.index(s["day"]), s["start"]))
    total = sum(minutes(s["end"]) - minutes(s["start"]) for s in slots)
    return slots, total


def _dates(week: str, slots: list[dict[str, str]]) -> tuple[dt.date, dt.date]:
    monday = week_monday(week)
    days = [DAY_ORDER.index(s["day"]) for s in slots] or [0, 4]
    return monday + dt.timedelta(days=min(days)), monday + dt.timedelta(days=max(days))


def build_content(assignment: Assignment) -> dict[str, Any]:
    """Everything the agreement shows, from the records: nothing is typed again."""
    pupil, offer = assignment.pupil, assignment.offer
    company, tutor = offer.company, offer.tutor
    campaign = assignment.run.campaign
    slots, total = _schedule(offer.schedule)
    start, end = _dates(assignment.week, slots)
    commune = offer.commune.name if offer.commune else ""
    return {
        "format": CONTENT_FORMAT,
        "legal_basis": LEGAL_BASIS,
        "campaign": {"name": campaign.name, "year": campaign.year,
                     "level": campaign.level.value},
        "school": _school_part(pupil.school, settings_for(pupil.school, campaign)),
        "host": {
            "name": company.name, "siret": company.siret, "kind": company.kind.value,
            "address": f"{company.address}, {company.postcode}"
                       + (f" {company.commune.name}" if company.commune else ""),
            "representative_name": company.contact_name,
            "representative_title": "",
            "email": company.contact_email, "phone": company.contact_phone or "",
            "tutor_name": tutor.full_name if tutor else "",
            "tutor_title": tutor.job_title if tutor else "",
            "tutor_email": tutor.email if tutor else "",
            "place": f"{offer.address}, {commune}".rstrip(", "),
            "tasks": f"{offer.title}. {offer.description}".strip(),
        },
        "pupil": {"first_name": pupil.first_name, "last_name": pupil.last_name,
                  "birth_date": pupil.birth_date.isoformat(), "class_name": pupil.class_name,
                  "level": pupil.level.value},
        "guardian": {"email": pupil.guardian_email or ""},
        "internship": {
            "week": assignment.week, "start": start.isoformat(), "end": end.isoformat(),
            "schedule": slots, "hours_per_week": format_minutes(total),
            "accessible": offer.accessible,
        },
        "clauses": list(CLAUSES),
        "commitments": list(COMMITMENTS),
        "help_contacts": list(HELP_CONTACTS),
    }


MISSING_LABELS = {
    ("school", "head_name"): _l("le nom du chef d'établissement"),
    ("school", "head_title"): _l("sa qualité (principal, proviseur…)"),
    ("school", "signatory_email"): _l("l'adresse où l'établissement reçoit son lien de signature"),
    ("school", "insurer"): _l("l'assureur de l'établissement"),
    ("host", "representative_name"): _l("le nom du représentant de la structure"),
    ("host", "email"): _l("l'adresse e-mail de la structure"),
    ("host", "tutor_name"): _l("le nom du tuteur ou de la tutrice"),
    ("host", "tasks"): _l("les activités observées"),
}


def missing_fields(content: dict[str, Any]) -> list[LazyString]:
    """What the document still lacks before it can be sent for signature (labels shown in the
    reader's language)."""
    return [text for (part, key), text in MISSING_LABELS.items() if not content[part].get(key)]


def schedule_rows(content: dict[str, Any]) -> list[tuple[str, str]]:
    """One row per day: ``("lundi", "09:00–12:00, 13:00–16:00")``, in weekday order."""
    rows: dict[str, list[str]] = {}
    for slot in content["internship"]["schedule"]:
        rows.setdefault(slot["day"], []).append(f"{slot['start']}–{slot['end']}")
    return [(day, ", ".join(ranges)) for day, ranges in rows.items()]

