"""Drafting an agreement for a confirmed placement, correcting it (which voids the
signatures already given), voiding it, and the school's agreement settings."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import (
    PARTIES,
    Agreement,
    AgreementCode,
    AgreementSettings,
    AgreementState,
    AgreementVersion,
    Assignment,
    AssignmentState,
    Campaign,
    MatchingRun,
    Party,
    Pupil,
    RunState,
    School,
    User,
    utcnow,
)
from stagebourse.services import ServiceError, journal
from stagebourse.services.agreements.content import (
    HOST_FIELDS,
    PARTY_LABELS,
    SCHOOL_FIELDS,
    _school_part,
    build_content,
    content_hash,
    settings_for,
)
from stagebourse.services.agreements.links import _send_links, signature_link
from stagebourse.services.agreements.parties import _reason, active_signatures, party_email
from stagebourse.services.journal import Event
from stagebourse.services.notifications import queue_email
from stagebourse.services.policy import Action, require


def _set_content(agreement: Agreement, content: dict[str, Any], actor: User | None,
                 reason: str) -> None:
    agreement.content = content
    agreement.content_sha256 = content_hash(content)
    agreement.versions.append(AgreementVersion(
        number=agreement.version, content=content, content_sha256=agreement.content_sha256,
        reason=reason[:300], created_by_id=actor.id if actor else None))


def agreement_of(assignment: Assignment) -> Agreement | None:
    """The assignment's live agreement, else its latest voided one (kept for the record), else
    None. A manual move voids the old placement's agreement and drafts a new one beside it."""
    return db.session.scalar(
        select(Agreement).where(Agreement.assignment_id == assignment.id)
        .order_by((Agreement.state == AgreementState.VOIDED).asc(), Agreement.id.desc())
        .limit(1))


def draft(actor: User | None, assignment: Assignment) -> Agreement:
    """The agreement of a confirmed assignment, drafted from the records (no commit).

    Calling it again returns the existing agreement, unless it was voided (the placement was
    moved): then a new one is drafted. The steering issue calls this when an assignment is
    confirmed; :func:`draft_missing` catches up on the others.
    """
    require(actor, Action.ASSIGNMENT_PARTY, assignment)
    existing = agreement_of(assignment)
    if existing is not None and existing.state != AgreementState.VOIDED:
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
    journal.record(actor, Event.AGREEMENT_DRAFT, agreement, assignment=assignment.id)
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
    journal.record(actor, Event.AGREEMENT_SETTINGS, settings, campaign=campaign.id,
                   refreshed=refreshed)
    db.session.flush()
    return settings


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
    journal.record(actor, Event.AGREEMENT_CORRECT, agreement, party=party.value, fields=changed,
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


def void_for(actor: User | None, assignment: Assignment, reason: str, *,
             tell_parties: bool = False) -> None:
    """Void the agreement of an assignment that no longer stands, if it has one (its
    signing links die with it). ``tell_parties``: see :func:`void`."""
    require(actor, Action.STEER_AGREEMENTS, assignment)
    agreement = agreement_of(assignment)
    if agreement is not None:
        void(actor, agreement, reason, tell_parties=tell_parties)


def void(actor: User | None, agreement: Agreement, reason: str, *,
         tell_parties: bool = False) -> None:
    """Supersede an agreement whose assignment was cancelled, declined or moved (no commit).

    ``tell_parties``: the parties of an agreement already sent for signature (or signed) are
    told by mail that it no longer holds, so that nobody relies on it."""
    require(actor, Action.STEER_AGREEMENTS, agreement)
    if agreement.state == AgreementState.VOIDED:
        return
    was_sent = agreement.state in (AgreementState.TO_SIGN, AgreementState.SIGNED)
    agreement.state = AgreementState.VOIDED
    agreement.voided_at = utcnow()
    agreement.voided_reason = reason
    journal.record(actor, Event.AGREEMENT_VOID, agreement, reason=reason)
    if tell_parties and was_sent:
        _tell_cancelled(agreement, reason)


def _tell_cancelled(agreement: Agreement, reason: str) -> None:
    """One mail per address (an agreement is voided once, hence the key)."""
    told: set[str] = set()
    for party in PARTIES:
        address = party_email(agreement, party)
        if not address or address in told:  # the pupil's and the guardian's are the family's
            continue
        told.add(address)
        queue_email(
            address, "agreement_cancelled",
            key=f"agreement:cancelled:{agreement.id}:{party.value}",
            reason=_reason(party), agreement=agreement, content=agreement.content,
            why=reason)


def campaigns_for_settings() -> list[Campaign]:
    """Campaigns a school may set its agreement defaults for: every campaign not finished."""
    from stagebourse.models import CampaignState

    return list(db.session.scalars(select(Campaign).where(
        Campaign.state != CampaignState.FINISHED).order_by(Campaign.year.desc(),
                                                           Campaign.level)).all())

