"""Internship agreements (conventions de stage): drafted from the confirmed assignment, reviewed
by the school and the host, signed by its four parties (school, host, pupil, legal guardian).

Every document field comes from data already held (the school's settings for the campaign, the
host, the offer, the pupil): nobody retypes anything. The content is kept as a JSON snapshot with
a version number; a signature records the sha256 of the canonical rendering of the version signed
(:func:`canonical`). Any change after a signature voids every signature of the agreement and the
parties are told by mail.

Signing is a personal link (signed, expiring, bound to the agreement, the party and the address it
was sent to) plus a one-time code sent by mail to that address; only a keyed hash of the code is
kept, with its expiry and attempt counter. For families without e-mail the teacher records a
handwritten signature by uploading the signed scan.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any

from flask import current_app, render_template
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from stagebourse import clock
from stagebourse.extensions import db
from stagebourse.models import (
    PARTIES,
    Agreement,
    AgreementCode,
    AgreementSettings,
    AgreementSignature,
    AgreementState,
    AgreementVersion,
    Assignment,
    AssignmentState,
    Campaign,
    Company,
    MatchingRun,
    Party,
    Pupil,
    Role,
    RunState,
    School,
    SignatureMethod,
    User,
    utcnow,
)
from stagebourse.services import ServiceError, journal
from stagebourse.services.files import private_files_dir
from stagebourse.services.notifications import public_url, queue_email
from stagebourse.services.offer_rules import format_minutes, minutes
from stagebourse.services.policy import Action, can, require
from stagebourse.services.preparation import first_day as week_monday

CONTENT_FORMAT = 1
DEFAULT_LINK_DAYS = 30
CODE_MINUTES = 15
CODE_MAX_ATTEMPTS = 5
CODES_PER_HOUR = 5
DEFAULT_REMINDER_DAYS = (21, 14, 7, 3)
SCAN_MAX_BYTES = 8 * 1024 * 1024
# Accepted scans, recognised by their first bytes (never by the name the user gave).
SCAN_SIGNATURES = {"pdf": b"%PDF-", "png": b"\x89PNG\r\n\x1a\n", "jpg": b"\xff\xd8\xff"}
_SALT = "agreement-signature"
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


class AgreementLinkError(ServiceError):
    """The personal link cannot be used; ``status`` is the HTTP status to answer."""

    status = 400


class AgreementLinkExpired(AgreementLinkError):
    status = 410


class WrongPerson(AgreementLinkError):
    status = 403


# Content -----------------------------------------------------------------------------------------


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


def _set_content(agreement: Agreement, content: dict[str, Any], actor: User | None,
                 reason: str) -> None:
    agreement.content = content
    agreement.content_sha256 = content_hash(content)
    agreement.versions.append(AgreementVersion(
        number=agreement.version, content=content, content_sha256=agreement.content_sha256,
        reason=reason[:300], created_by_id=actor.id if actor else None))


# Drafting ----------------------------------------------------------------------------------------


def agreement_of(assignment: Assignment) -> Agreement | None:
    return db.session.scalar(select(Agreement).where(Agreement.assignment_id == assignment.id))


def draft(actor: User | None, assignment: Assignment) -> Agreement:
    """The agreement of a confirmed assignment, drafted from the records (no commit).

    Calling it again returns the existing agreement. The steering issue calls this when an
    assignment is confirmed; :func:`draft_missing` catches up on the others.
    """
    require(actor, Action.ASSIGNMENT_PARTY, assignment)
    existing = agreement_of(assignment)
    if existing is not None:
        return existing
    if assignment.state not in (AssignmentState.CONFIRMED, AssignmentState.COMPLETED):
        raise ServiceError(_l("Une convention ne se prépare que pour une affectation confirmée."))
    content = build_content(assignment)
    agreement = Agreement(
        assignment=assignment, school_id=assignment.pupil.school_id,
        company_id=assignment.offer.company_id, campaign_id=assignment.run.campaign_id,
        first_day=dt.date.fromisoformat(content["internship"]["start"]),
        state=AgreementState.DRAFT, version=1)
    _set_content(agreement, content, actor, "Rédigée à partir de l'affectation confirmée")
    db.session.add(agreement)
    db.session.flush()
    journal.record(actor, "agreement.draft", agreement, assignment=assignment.id)
    return agreement


def confirmed_without_agreement(actor: User | None, school: School | None = None
                                ) -> list[Assignment]:
    require(actor, Action.SCHOOL_AGREEMENTS if school else Action.STEER_AGREEMENTS, school)
    query = (select(Assignment).join(MatchingRun, Assignment.run_id == MatchingRun.id)
             .outerjoin(Agreement, Agreement.assignment_id == Assignment.id)
             .where(Assignment.state == AssignmentState.CONFIRMED,
                    MatchingRun.state == RunState.PUBLISHED, Agreement.id.is_(None))
             .order_by(Assignment.id))
    if school is not None:
        query = query.join(Pupil, Assignment.pupil_id == Pupil.id).where(
            Pupil.school_id == school.id)
    return list(db.session.scalars(query).all())


def draft_missing(actor: User | None, school: School | None = None) -> int:
    """Draft the agreement of every confirmed assignment that has none yet."""
    require(actor, Action.SCHOOL_AGREEMENTS if school else Action.STEER_AGREEMENTS, school)
    assignments = confirmed_without_agreement(actor, school)
    for assignment in assignments:
        draft(actor, assignment)
    db.session.flush()
    return len(assignments)


# Settings per school and campaign ---------------------------------------------------------------


def save_settings(actor: User, campaign: Campaign, data: dict[str, Any]) -> AgreementSettings:
    """The school's defaults for a campaign; drafts not yet sent take them at once."""
    require(actor, Action.SCHOOL_AGREEMENTS)
    school = actor.school
    assert school is not None
    settings = settings_for(school, campaign)
    if settings is None:
        settings = AgreementSettings(campaign=campaign, school=school)
        db.session.add(settings)
    settings.head_name = data["head_name"].strip()
    settings.head_title = data["head_title"].strip()
    settings.signatory_email = data["signatory_email"].strip().lower()
    settings.delegation = (data.get("delegation") or "").strip() or None
    settings.school_address = (data.get("school_address") or "").strip() or None
    settings.insurer = data["insurer"].strip()
    settings.insurance_policy = (data.get("insurance_policy") or "").strip() or None
    settings.updated_by_id = actor.id
    db.session.flush()
    refreshed = 0
    for agreement in db.session.scalars(select(Agreement).where(
            Agreement.school_id == school.id, Agreement.campaign_id == campaign.id,
            Agreement.state == AgreementState.DRAFT)).all():
        content = json.loads(json.dumps(agreement.content))
        content["school"] = _school_part(school, settings)
        if content_hash(content) != agreement.content_sha256:
            agreement.version += 1
            _set_content(agreement, content, actor, "Paramètres de l'établissement")
            refreshed += 1
    journal.record(actor, "agreement.settings", settings, campaign=campaign.id,
                   refreshed=refreshed)
    db.session.flush()
    return settings


# Signatures: state -------------------------------------------------------------------------------


def active_signatures(agreement: Agreement) -> dict[Party, AgreementSignature]:
    return {s.party: s for s in agreement.signatures
            if s.version == agreement.version and s.voided_at is None}


def missing_parties(agreement: Agreement) -> list[Party]:
    signed = active_signatures(agreement)
    return [party for party in PARTIES if party not in signed]


def party_email(agreement: Agreement, party: Party) -> str | None:
    """Where a party's link and code go. The pupil has no address of their own (we keep none):
    the pupil's link goes to the family's address, as a separate link with its own code."""
    content = agreement.content
    address = {
        Party.SCHOOL: content["school"].get("signatory_email"),
        Party.HOST: content["host"].get("email"),
        Party.PUPIL: content["guardian"].get("email"),
        Party.GUARDIAN: content["guardian"].get("email"),
    }[party]
    return address or None


def party_signer_name(agreement: Agreement, party: Party) -> str:
    content = agreement.content
    if party == Party.SCHOOL:
        return str(content["school"]["head_name"])
    if party == Party.HOST:
        return str(content["host"]["representative_name"])
    if party == Party.PUPIL:
        return f"{content['pupil']['first_name']} {content['pupil']['last_name']}"
    return ""  # the guardian's name is not held: they write it when signing


# Review and corrections --------------------------------------------------------------------------


def _check_editable(agreement: Agreement) -> None:
    if agreement.state == AgreementState.SIGNED:
        raise ServiceError(
            _l("Cette convention est déjà signée par les quatre parties : elle ne peut plus être "
               "modifiée. Si le stage change, contactez le professeur référent."))
    if agreement.state == AgreementState.VOIDED:
        raise ServiceError(_l("Cette convention est annulée (affectation annulée) : elle ne peut "
                              "plus être modifiée."))


def correct(actor: User, agreement: Agreement, party: Party, changes: dict[str, str]) -> bool:
    """The school or the host corrects its own part. A change after any signature voids every
    signature, bumps the version and tells the parties. Returns whether anything changed."""
    require(actor, Action.COMPANY_AGREEMENTS if party == Party.HOST
            else Action.SCHOOL_AGREEMENTS, agreement)
    allowed = {Party.SCHOOL: SCHOOL_FIELDS, Party.HOST: HOST_FIELDS}.get(party)
    if allowed is None:
        raise ServiceError(_l("Seuls l'établissement et la structure d'accueil corrigent la "
                              "convention."))
    _check_editable(agreement)
    part_key = "school" if party == Party.SCHOOL else "host"
    content = json.loads(json.dumps(agreement.content))
    changed = []
    for key in allowed:
        if key in changes and changes[key] is not None:
            value = str(changes[key]).strip()
            if key.endswith("email"):
                value = value.lower()
            if content[part_key].get(key, "") != value:
                content[part_key][key] = value
                changed.append(key)
    if not changed:
        return False
    voided = list(active_signatures(agreement).values())
    before = {p: party_email(agreement, p) for p in PARTIES}
    agreement.version += 1
    _set_content(agreement, content, actor,
                 f"Correction par {PARTY_LABELS[party]} : {', '.join(changed)}")
    now = utcnow()
    for code in db.session.scalars(select(AgreementCode).where(
            AgreementCode.agreement_id == agreement.id, AgreementCode.used_at.is_(None),
            AgreementCode.revoked_at.is_(None))).all():
        code.revoked_at = now
    if voided:
        for signature in voided:
            signature.voided_at = now
        _tell_voided(agreement, party, changed, [s.party for s in voided])
    elif agreement.state == AgreementState.TO_SIGN:
        # A corrected address must receive its own link (the old one is refused).
        moved = [p for p in PARTIES if party_email(agreement, p) != before[p]]
        _send_links(agreement, kind="request", only=moved)
    journal.record(actor, "agreement.correct", agreement, party=party.value, fields=changed,
                   version=agreement.version, voided=[s.party.value for s in voided])
    db.session.flush()
    return True


def _tell_voided(agreement: Agreement, by: Party, changed: list[str],
                 voided: list[Party]) -> None:
    for party in PARTIES:
        address = party_email(agreement, party)
        if not address:
            continue
        queue_email(
            address, "agreement_voided",
            key=f"agreement:voided:{agreement.id}:v{agreement.version}:{party.value}",
            reason=_reason(party), agreement=agreement, content=agreement.content,
            by=PARTY_LABELS[by], voided=[PARTY_LABELS[p] for p in voided],
            link=signature_link(agreement, party) if agreement.state == AgreementState.TO_SIGN
            else None)


def _reason(party: Party) -> str:
    return {
        Party.SCHOOL: "votre établissement est partie à une convention de stage d'observation "
                      "de la bourse de stages de Valenciennes Métropole.",
        Party.HOST: "votre structure accueille un élève en stage d'observation par la bourse "
                    "de stages de Valenciennes Métropole.",
        Party.PUPIL: "votre adresse est celle de la famille d'un élève qui a obtenu un stage "
                     "d'observation par la bourse de stages de Valenciennes Métropole.",
        Party.GUARDIAN: "votre adresse a été donnée comme celle du représentant légal d'un "
                        "élève qui a obtenu un stage par la bourse de stages de Valenciennes "
                        "Métropole.",
    }[party]


# Sending for signature ---------------------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def link_days() -> int:
    return int(current_app.config.get("AGREEMENT_LINK_DAYS", DEFAULT_LINK_DAYS))


def _address_tag(address: str | None) -> str:
    return hashlib.sha256((address or "").lower().encode()).hexdigest()[:16]


def make_token(agreement: Agreement, party: Party) -> str:
    return str(_serializer().dumps({"a": agreement.id, "p": party.value,
                                    "m": _address_tag(party_email(agreement, party))}))


def signature_link(agreement: Agreement, party: Party) -> str:
    return public_url("agreement_sign.sign", token=make_token(agreement, party))


def send_for_signature(actor: User, agreement: Agreement) -> int:
    """The school sends the reviewed draft to the four parties. Returns the mails queued."""
    require(actor, Action.SCHOOL_AGREEMENTS, agreement)
    if agreement.state != AgreementState.DRAFT:
        raise ServiceError(_l("Cette convention a déjà été envoyée pour signature."))
    missing = missing_fields(agreement.content)
    if missing:
        raise ServiceError(_l(
            "Il manque encore %(missing)s. Complétez les paramètres des conventions "
            "(établissement) ou demandez à la structure de compléter sa partie, puis envoyez.",
            missing=", ".join(str(field) for field in missing)))
    agreement.state = AgreementState.TO_SIGN
    agreement.sent_at = utcnow()
    sent = _send_links(agreement, kind="request")
    journal.record(actor, "agreement.send", agreement, version=agreement.version, mails=sent)
    db.session.flush()
    return sent


def _send_links(agreement: Agreement, kind: str, key_suffix: str = "",
                only: list[Party] | None = None) -> int:
    sent = 0
    for party in missing_parties(agreement):
        if only is not None and party not in only:
            continue
        address = party_email(agreement, party)
        if not address:
            continue
        message = queue_email(
            address, "agreement_sign" if kind == "request" else "agreement_reminder",
            key=f"agreement:{kind}:{agreement.id}:v{agreement.version}:{party.value}{key_suffix}",
            reason=_reason(party), agreement=agreement, content=agreement.content,
            party=party, party_label=PARTY_LABELS[party],
            link=signature_link(agreement, party), link_days=link_days())
        # An existing key returns the message already queued (flushed, so it has an id).
        sent += message.id is None
    return sent


def read_token(token: str, viewer: User | None = None) -> tuple[Agreement, Party]:
    """The agreement and party a link was made for, or a clear refusal in French."""
    try:
        data = _serializer().loads(token, max_age=link_days() * 86400)
    except SignatureExpired:
        raise AgreementLinkExpired(
            _l("Ce lien de signature a expiré. Demandez un nouveau lien au professeur référent de "
               "l'élève : il peut vous le renvoyer en un clic.")) from None
    except BadSignature:
        raise AgreementLinkError(
            _l("Ce lien n'est pas valide : il a peut-être été coupé ou modifié. Ouvrez le lien "
               "complet reçu par e-mail (copiez-le en entier dans la barre d'adresse).")) from None
    agreement = db.session.get(Agreement, data.get("a")) if isinstance(data, dict) else None
    try:
        party = Party(data.get("p", "")) if isinstance(data, dict) else None
    except ValueError:
        party = None
    if agreement is None or party is None:
        raise AgreementLinkExpired(_l("Ce lien ne correspond plus à aucune convention."))
    if agreement.state == AgreementState.VOIDED:
        raise AgreementLinkExpired(
            _l("Cette convention a été annulée (l'affectation a changé) : il n'y a plus rien à "
               "signer. Le professeur référent vous enverra la nouvelle convention s'il y a lieu."))
    if data.get("m") != _address_tag(party_email(agreement, party)):
        raise WrongPerson(
            _l("Ce lien a été envoyé à une adresse qui n'est plus celle de la partie signataire "
               "(la convention a été corrigée). Utilisez le lien envoyé à la nouvelle adresse."))
    check_viewer(agreement, party, viewer)
    return agreement, party


def check_viewer(agreement: Agreement, party: Party, viewer: User | None) -> None:
    """Someone signed in as another person must not sign in this party's name."""
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return
    if viewer.role == Role.PUPIL:
        own = party == Party.PUPIL and viewer.pupil_id == agreement.assignment.pupil_id
    elif viewer.role == Role.COMPANY:
        own = party == Party.HOST and viewer.company_id == agreement.company_id
    elif viewer.role == Role.TUTOR:
        own = (party == Party.HOST and viewer.tutor is not None
               and viewer.tutor.company_id == agreement.company_id)
    elif viewer.role == Role.TEACHER:
        own = party == Party.SCHOOL and viewer.school_id == agreement.school_id
    else:
        own = False
    if not own:
        raise WrongPerson(_l(
            "Ce lien est personnel : il permet à %(party)s de signer, et vous êtes "
            "connecté(e) sous un autre compte. Déconnectez-vous si ce lien vous est bien "
            "destiné ; sinon, chaque partie signe avec le lien reçu à sa propre adresse.",
            party=PARTY_NAMES[party]))


# One-time codes ----------------------------------------------------------------------------------


def _code_hash(agreement: Agreement, party: Party, code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    message = f"{agreement.id}:{party.value}:{code}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _normalise_code(code: str) -> str:
    return "".join(ch for ch in code or "" if ch.isdigit())


def _check_signable(agreement: Agreement, party: Party) -> None:
    if agreement.state == AgreementState.DRAFT:
        raise ServiceError(_l("Cette convention est encore en relecture par l'établissement : "
                              "elle n'est pas encore à signer."))
    if agreement.state == AgreementState.SIGNED:
        raise ServiceError(_l("Cette convention est déjà signée par les quatre parties : il n'y a "
                              "plus rien à signer."))
    if party in active_signatures(agreement):
        raise ServiceError(_l("La signature de %(party)s est déjà enregistrée sur cette "
                              "version de la convention.", party=PARTY_NAMES[party]))


def request_code(agreement: Agreement, party: Party) -> str:
    """Send a new one-time code to the party's address. Returns the address."""
    _check_signable(agreement, party)
    address = party_email(agreement, party)
    if not address:
        raise ServiceError(_l("Aucune adresse e-mail n'est connue pour cette partie : le "
                              "professeur référent peut enregistrer une signature sur papier."))
    now = utcnow()
    recent = db.session.scalar(select(func.count(AgreementCode.id)).where(
        AgreementCode.agreement_id == agreement.id, AgreementCode.party == party,
        AgreementCode.created_at > now - dt.timedelta(hours=1)))
    if (recent or 0) >= CODES_PER_HOUR:
        raise ServiceError(_l("Trop de codes ont été demandés en une heure. Utilisez le dernier "
                              "code reçu, ou réessayez dans une heure."))
    for old in db.session.scalars(select(AgreementCode).where(
            AgreementCode.agreement_id == agreement.id, AgreementCode.party == party,
            AgreementCode.used_at.is_(None), AgreementCode.revoked_at.is_(None))).all():
        old.revoked_at = now
    code = f"{secrets.randbelow(10**6):06d}"
    row = AgreementCode(agreement_id=agreement.id, party=party, version=agreement.version,
                        code_hash=_code_hash(agreement, party, code), sent_to=address,
                        created_at=now, expires_at=now + dt.timedelta(minutes=CODE_MINUTES))
    db.session.add(row)
    db.session.flush()
    queue_email(address, "agreement_code", key=f"agreement:code:{row.id}",
                reason=_reason(party), code=code, minutes=CODE_MINUTES,
                party_label=PARTY_LABELS[party], content=agreement.content)
    journal.record(None, "agreement.code", agreement, party=party.value)
    db.session.flush()
    return address


def sign_with_code(agreement: Agreement, party: Party, code: str, signer_name: str | None = None,
                   viewer: User | None = None,
                   read_version: int | None = None) -> AgreementSignature:
    """Sign with the one-time code received by mail. Every refusal says why.

    ``read_version`` is the version shown on the page the party signed from: if the document
    changed meanwhile, the party signs nothing it has not read.
    """
    check_viewer(agreement, party, viewer)
    _check_signable(agreement, party)
    if read_version is not None and read_version != agreement.version:
        raise ServiceError(_l("La convention a été modifiée pendant votre lecture : relisez la "
                              "nouvelle version ci-dessus, puis signez-la."))
    digits = _normalise_code(code)
    if len(digits) != 6:
        raise ServiceError(_l("Le code compte 6 chiffres : recopiez-le tel qu'il figure dans "
                              "l'e-mail reçu."))
    now = utcnow()
    hashed = _code_hash(agreement, party, digits)
    same = db.session.scalar(select(AgreementCode).where(
        AgreementCode.agreement_id == agreement.id, AgreementCode.party == party,
        AgreementCode.code_hash == hashed).order_by(AgreementCode.id.desc()))
    if same is not None and same.used_at is not None:
        raise ServiceError(_l("Ce code a déjà servi : un code ne sert qu'une fois. Demandez un "
                              "nouveau code."))
    owner = None if same is not None else _other_party_of_code(agreement, party, digits)
    current = db.session.scalar(select(AgreementCode).where(
        AgreementCode.agreement_id == agreement.id, AgreementCode.party == party,
        AgreementCode.used_at.is_(None), AgreementCode.revoked_at.is_(None))
        .order_by(AgreementCode.id.desc()))
    if current is None:
        if owner is not None:
            raise ServiceError(_wrong_party_message(owner, party))
        if same is not None:
            raise ServiceError(_l("Ce code n'est plus valable (un code plus récent a été envoyé, "
                                  "ou la convention a changé). Demandez un nouveau code."))
        raise ServiceError(_l("Aucun code n'est en cours pour cette signature : cliquez sur "
                              "« Recevoir mon code » pour en recevoir un par e-mail."))
    if current.expires_at <= now:
        current.revoked_at = now
        db.session.flush()
        raise ServiceError(_l("Ce code a expiré (il est valable %(minutes)s minutes). "
                              "Demandez un nouveau code.", minutes=CODE_MINUTES))
    if current.version != agreement.version:
        current.revoked_at = now
        db.session.flush()
        raise ServiceError(_l("La convention a été modifiée depuis l'envoi de ce code : relisez "
                              "la nouvelle version, puis demandez un nouveau code."))
    if not hmac.compare_digest(current.code_hash, hashed):
        current.attempts += 1
        message = _l("Ce code n'est pas le bon.")
        if owner is not None:
            message = _wrong_party_message(owner, party)
            journal.record(None, "agreement.wrong_person", agreement, party=party.value,
                           code_of=owner.value)
        if current.attempts >= CODE_MAX_ATTEMPTS:
            current.revoked_at = now
            db.session.flush()
            raise ServiceError(_l("%(problem)s Trop d'essais : ce code est annulé, demandez-en "
                                  "un nouveau.", problem=message))
        left = CODE_MAX_ATTEMPTS - current.attempts
        db.session.flush()
        raise ServiceError(_l("%(problem)s Vérifiez-le dans l'e-mail reçu (%(left)s essai(s) "
                              "restant(s)).", problem=message, left=left))
    name = party_signer_name(agreement, party) or (signer_name or "").strip()
    if not name:
        raise ServiceError(_l("Écrivez votre nom et votre prénom : ils figurent sur la convention "
                              "comme signature."))
    current.used_at = now
    signature = _add_signature(agreement, party, name, current.sent_to, SignatureMethod.LINK_CODE,
                               None, now)
    journal.record(None, "agreement.sign", agreement, party=party.value, method="link_code",
                   version=agreement.version, sha256=signature.document_sha256)
    _complete_if_all_signed(agreement, now)
    db.session.flush()
    return signature


def _other_party_of_code(agreement: Agreement, party: Party, digits: str) -> Party | None:
    """The other party a code was sent to, if someone types another party's code."""
    for other in PARTIES:
        if other != party and db.session.scalar(select(AgreementCode.id).where(
                AgreementCode.agreement_id == agreement.id, AgreementCode.party == other,
                AgreementCode.code_hash == _code_hash(agreement, other, digits))):
            return other
    return None


def _wrong_party_message(owner: Party, party: Party) -> LazyString:
    return _l("Ce code a été envoyé à %(owner)s, pas à %(party)s : chaque partie signe avec "
              "son propre lien et son propre code.", owner=PARTY_NAMES[owner],
              party=PARTY_NAMES[party])


def _add_signature(agreement: Agreement, party: Party, name: str, email: str | None,
                   method: SignatureMethod, recorded_by: User | None,
                   now: dt.datetime, scan_file: str | None = None,
                   scan_sha256: str | None = None) -> AgreementSignature:
    signature = AgreementSignature(
        version=agreement.version, party=party, signer_name=name[:200], signer_email=email,
        method=method, document_sha256=content_hash(agreement.content), signed_at=now,
        recorded_by_id=recorded_by.id if recorded_by else None, scan_file=scan_file,
        scan_sha256=scan_sha256)
    agreement.signatures.append(signature)
    db.session.flush()
    return signature


def _complete_if_all_signed(agreement: Agreement, now: dt.datetime) -> None:
    if missing_parties(agreement):
        return
    agreement.state = AgreementState.SIGNED
    agreement.signed_at = now
    for party in PARTIES:
        address = party_email(agreement, party)
        if address:
            queue_email(address, "agreement_signed",
                        key=f"agreement:signed:{agreement.id}:v{agreement.version}:{party.value}",
                        reason=_reason(party), agreement=agreement, content=agreement.content,
                        link=signature_link(agreement, party))
    journal.record(None, "agreement.signed", agreement, version=agreement.version)


# Handwritten signature on paper ------------------------------------------------------------------


def scan_kind(data: bytes) -> str | None:
    for kind, magic in SCAN_SIGNATURES.items():
        if data.startswith(magic):
            return kind
    return None


def record_paper_signature(actor: User, agreement: Agreement, party: Party, signer_name: str,
                           data: bytes) -> AgreementSignature:
    """The teacher records a signature made by hand on the printed agreement."""
    require(actor, Action.SCHOOL_AGREEMENTS, agreement)
    _check_signable(agreement, party)
    if not data:
        raise ServiceError(_l("Joignez le scan (ou la photo) de la convention signée."))
    if len(data) > SCAN_MAX_BYTES:
        raise ServiceError(_l("Ce fichier dépasse 8 Mo : scannez en qualité standard ou "
                              "photographiez la page signature seule."))
    kind = scan_kind(data)
    if kind is None:
        raise ServiceError(_l("Ce fichier n'est ni un PDF, ni une image JPEG ou PNG : enregistrez "
                              "le scan dans l'un de ces formats."))
    name = (signer_name or "").strip() or party_signer_name(agreement, party)
    if not name:
        raise ServiceError(_l("Indiquez le nom de la personne qui a signé."))
    folder = private_files_dir("agreements")
    folder.mkdir(parents=True, exist_ok=True)
    filename = f"{agreement.id}-v{agreement.version}-{party.value}.{kind}"
    (folder / filename).write_bytes(data)
    now = utcnow()
    signature = _add_signature(agreement, party, name, None, SignatureMethod.PAPER, actor, now,
                               scan_file=filename, scan_sha256=hashlib.sha256(data).hexdigest())
    journal.record(actor, "agreement.sign", agreement, party=party.value, method="paper",
                   version=agreement.version, sha256=signature.document_sha256)
    _complete_if_all_signed(agreement, now)
    db.session.flush()
    return signature


def scan_path(signature: AgreementSignature) -> Any:
    if not signature.scan_file:
        return None
    path = private_files_dir("agreements", signature.scan_file)
    return path if path.is_file() else None


# Resend, void ------------------------------------------------------------------------------------


def resend_link(actor: User, agreement: Agreement, party: Party) -> str:
    """The teacher sends a party its link again (after expiry or a lost mail). Commits."""
    require(actor, Action.SCHOOL_AGREEMENTS, agreement)
    _check_signable(agreement, party)
    address = party_email(agreement, party)
    if not address:
        raise ServiceError(_l("Aucune adresse e-mail n'est connue pour cette partie : enregistrez "
                              "sa signature sur papier."))
    queue_email(address, "agreement_sign",
                key=f"agreement:resend:{agreement.id}:{party.value}:{secrets.token_hex(8)}",
                reason=_reason(party), agreement=agreement, content=agreement.content,
                party=party, party_label=PARTY_LABELS[party],
                link=signature_link(agreement, party), link_days=link_days())
    journal.record(actor, "agreement.resend", agreement, party=party.value)
    db.session.flush()
    return address


def void_for(actor: User | None, assignment: Assignment, reason: str) -> None:
    """Void the agreement of an assignment that no longer stands, if it has one (its
    signing links die with it)."""
    require(actor, Action.STEER_AGREEMENTS, assignment)
    agreement = agreement_of(assignment)
    if agreement is not None:
        void(actor, agreement, reason)


def void(actor: User | None, agreement: Agreement, reason: str) -> None:
    """Supersede an agreement whose assignment was cancelled or declined (no commit)."""
    require(actor, Action.STEER_AGREEMENTS, agreement)
    if agreement.state == AgreementState.VOIDED:
        return
    agreement.state = AgreementState.VOIDED
    agreement.voided_at = utcnow()
    agreement.voided_reason = reason
    journal.record(actor, "agreement.void", agreement, reason=reason)


# Starting the internship -------------------------------------------------------------------------


def is_signed(assignment: Assignment) -> bool:
    agreement = agreement_of(assignment)
    return agreement is not None and agreement.state == AgreementState.SIGNED


def ensure_can_start(assignment: Assignment) -> None:
    """Refuse to start (complete) an internship whose agreement is not signed by all four."""
    agreement = agreement_of(assignment)
    if agreement is None or agreement.state != AgreementState.SIGNED:
        waiting = ", ".join(str(PARTY_NAMES[p]) for p in missing_parties(agreement)) \
            if agreement is not None and agreement.state != AgreementState.VOIDED else ""
        if waiting:
            raise ServiceError(_l(
                "Le stage ne peut pas commencer : sa convention n'est pas signée (il manque la "
                "signature de %(waiting)s). Aucun élève mineur ne part en stage sans convention "
                "signée.", waiting=waiting))
        raise ServiceError(_l(
            "Le stage ne peut pas commencer : sa convention n'est pas signée. Aucun élève mineur "
            "ne part en stage sans convention signée."))


def complete_internship(actor: User, assignment: Assignment) -> Assignment:
    """The school records that the internship took place: only on an agreement signed by all
    four parties (no minor goes on an internship without one)."""
    require(actor, Action.SCHOOL_ASSIGNMENTS, assignment)
    if assignment.state != AssignmentState.CONFIRMED:
        raise ServiceError(_l("Seul un stage confirmé par l'élève et la structure peut être "
                              "marqué comme effectué."))
    ensure_can_start(assignment)
    assignment.state = AssignmentState.COMPLETED
    journal.record(actor, "assignment.completed", assignment)
    db.session.flush()
    return assignment


# Boards ------------------------------------------------------------------------------------------


@dataclass
class BoardRow:
    agreement: Agreement
    pupil_name: str
    class_name: str
    host: str
    week: str
    waiting: list[Party]


def _rows(agreements: list[Agreement]) -> list[BoardRow]:
    rows = []
    for agreement in agreements:
        content = agreement.content
        rows.append(BoardRow(
            agreement=agreement,
            pupil_name=f"{content['pupil']['first_name']} {content['pupil']['last_name']}",
            class_name=content["pupil"]["class_name"], host=content["host"]["name"],
            week=content["internship"]["week"],
            waiting=missing_parties(agreement)
            if agreement.state == AgreementState.TO_SIGN else []))
    return rows


def school_board(actor: User, school: School, state: str | None = None,
                 waiting: str | None = None, class_name: str | None = None) -> list[BoardRow]:
    require(actor, Action.SCHOOL_AGREEMENTS, school)
    query = select(Agreement).where(Agreement.school_id == school.id)
    return _filter(query, state, waiting, class_name)


def company_board(actor: User, company: Company, state: str | None = None,
                  waiting: str | None = None) -> list[BoardRow]:
    require(actor, Action.COMPANY_AGREEMENTS, company)
    query = select(Agreement).where(Agreement.company_id == company.id)
    return _filter(query, state, waiting, None)


def _filter(query: Any, state: str | None, waiting: str | None,
            class_name: str | None) -> list[BoardRow]:
    if state in {s.value for s in AgreementState}:
        query = query.where(Agreement.state == AgreementState(state))
    agreements = list(db.session.scalars(query.order_by(Agreement.first_day,
                                                        Agreement.id)).all())
    rows = _rows(agreements)
    if waiting in {p.value for p in PARTIES}:
        rows = [row for row in rows if Party(waiting) in row.waiting]
    if class_name:
        rows = [row for row in rows if row.class_name == class_name]
    return sorted(rows, key=lambda r: (r.agreement.first_day, r.class_name, r.pupil_name))


@dataclass
class CampaignShare:
    campaign: Campaign
    first_day: dt.date | None
    confirmed: int
    signed_now: int
    signed_by_deadline: int
    deadline: dt.date | None


def signed_share(days: int, today: dt.date | None = None) -> list[CampaignShare]:
    """Per campaign: how many confirmed internships had a signed agreement ``days`` days before
    the campaign's first internship day (and how many have one now)."""
    shares = []
    for campaign in db.session.scalars(select(Campaign).order_by(Campaign.year.desc(),
                                                                 Campaign.level)).all():
        assignments = list(db.session.scalars(
            select(Assignment).join(MatchingRun, Assignment.run_id == MatchingRun.id)
            .where(MatchingRun.campaign_id == campaign.id,
                   MatchingRun.state == RunState.PUBLISHED,
                   Assignment.state.in_((AssignmentState.CONFIRMED,
                                         AssignmentState.COMPLETED)))).all())
        if not assignments:
            continue
        first = min(week_monday(a.week) for a in assignments)
        deadline = first - dt.timedelta(days=days)
        limit = dt.datetime.combine(deadline, dt.time(), tzinfo=dt.UTC) + dt.timedelta(days=1)
        signed = [a for a in (agreement_of(x) for x in assignments)
                  if a is not None and a.state == AgreementState.SIGNED and a.signed_at]
        shares.append(CampaignShare(
            campaign=campaign, first_day=first, confirmed=len(assignments),
            signed_now=len(signed),
            signed_by_deadline=sum(1 for a in signed if a.signed_at and a.signed_at < limit),
            deadline=deadline))
    return shares


# Reminders ---------------------------------------------------------------------------------------


def reminder_days() -> tuple[int, ...]:
    return tuple(current_app.config.get("AGREEMENT_REMINDER_DAYS", DEFAULT_REMINDER_DAYS))


def send_reminders(today: dt.date | None = None) -> int:
    """Remind each party that has not signed yet, at set days before the internship.

    The outbox key names the agreement, version, party and reminder slot: running this twice on
    the same day (or every day) never queues the same reminder twice.
    """
    today = today or clock.today()
    queued = 0
    for agreement in db.session.scalars(select(Agreement).where(
            Agreement.state == AgreementState.TO_SIGN, Agreement.first_day > today)).all():
        days_left = (agreement.first_day - today).days
        due = [slot for slot in reminder_days() if days_left <= slot]
        if not due:
            continue
        slot = min(due)
        queued += _send_links(agreement, kind="reminder", key_suffix=f":d{slot}")
        db.session.flush()
    if queued:
        journal.record(None, "agreement.remind", None, mails=queued, today=today.isoformat())
    db.session.flush()
    return queued


# Rendering ---------------------------------------------------------------------------------------


def schedule_rows(content: dict[str, Any]) -> list[tuple[str, str]]:
    """One row per day: ``("lundi", "09:00–12:00, 13:00–16:00")``, in weekday order."""
    rows: dict[str, list[str]] = {}
    for slot in content["internship"]["schedule"]:
        rows.setdefault(slot["day"], []).append(f"{slot['start']}–{slot['end']}")
    return [(day, ", ".join(ranges)) for day, ranges in rows.items()]


def document_context(agreement: Agreement) -> dict[str, Any]:
    signatures = active_signatures(agreement)
    return {"agreement": agreement, "content": agreement.content,
            "schedule_rows": schedule_rows(agreement.content),
            "signatures": [(party, PARTY_LABELS[party], signatures.get(party))
                           for party in PARTIES],
            "party_labels": PARTY_LABELS, "document_sha256": agreement.content_sha256,
            "state": agreement.state}


def render_pdf(agreement: Agreement) -> bytes:
    """The agreement as an A4 PDF, from the same template as the HTML view; with the signature
    page once anyone signed."""
    from weasyprint import HTML  # heavy import, only when a PDF is asked for

    html = render_template("agreements/pdf.html", **document_context(agreement))
    return bytes(HTML(string=html, base_url=f"{current_app.static_folder}/").write_pdf())


# Loaders for the boards (object-level access) ----------------------------------------------------


def campaigns_for_settings() -> list[Campaign]:
    """Campaigns a school may set its agreement defaults for: every campaign not finished."""
    from stagebourse.models import CampaignState

    return list(db.session.scalars(select(Campaign).where(
        Campaign.state != CampaignState.FINISHED).order_by(Campaign.year.desc(),
                                                           Campaign.level)).all())


def signature_of(agreement: Agreement, signature_id: int) -> AgreementSignature | None:
    return next((s for s in agreement.signatures if s.id == signature_id), None)


def agreement_for(actor: User, agreement_id: int) -> Agreement | None:
    """The agreement if this user is one of its parties' desks: the school's teachers, the
    host structure's members; else None (the page says 404)."""
    agreement = db.session.get(Agreement, agreement_id)
    action = AGREEMENT_DESKS.get(actor.role)
    if agreement is None or action is None or not can(actor, action, agreement):
        return None
    return agreement


AGREEMENT_DESKS = {Role.TEACHER: Action.SCHOOL_AGREEMENTS, Role.COMPANY: Action.COMPANY_AGREEMENTS}
