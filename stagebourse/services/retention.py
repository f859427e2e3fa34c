"""Keeping minors' data only as long as needed (MISSION.md, rule 6).

- Pupils: anonymised 12 months after the last campaign they took part in closed (the later of
  its request deadline and the last day of its internship weeks). What stays is what the
  statistics need and nothing that identifies: level, school, class, year of birth, and their
  requests, wishes and assignments (which feed the audits and the observatory). Their account
  and access code are deleted.
- Staff accounts (teachers, host members, tutors, steering) unused for 24 months: deactivated
  and stripped of name, e-mail and password.
- Sent e-mail older than 12 months (it holds names and addresses), e-mail still pending or
  failed 30 days after it was queued (it will not go any more) and expired sign-in failures
  are deleted.
- Tutors whose offers were all in campaigns closed more than 24 months ago: name and address
  stripped (their accounts follow the staff rule).
- « Être rappelé·e » requests, and the e-mails that carried them to the referent, are deleted
  ``CALLBACK_RETENTION_DAYS`` after they were made (services/help.py).

Anonymising a pupil reaches every copy of their name, birth date and family addresses
(agreements, signatures, scans, e-mail, pseudonym maps…): see ``services/erasure.py``.

``purge`` computes a plan and applies it only when asked; the journal records what was done.
A pupil's or guardian's request to see or erase the data is served by ``subject_export`` and
``erase_pupil``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, or_, select

from stagebourse import clock
from stagebourse.extensions import db
from stagebourse.identifiers import week_monday
from stagebourse.models import (
    Agreement,
    Assignment,
    Campaign,
    CampaignSchoolWeek,
    JoinRequest,
    JournalEntry,
    LoginFailure,
    Offer,
    OfferWeek,
    OutboxMessage,
    OutboxState,
    Pupil,
    Request,
    Role,
    Tutor,
    User,
    Wish,
    utcnow,
)
from stagebourse.services import ServiceError, erasure, journal
from stagebourse.services import help as help_service
from stagebourse.services.companies import JOIN_REQUESTS_SHOWN_DAYS
from stagebourse.services.journal import Event
from stagebourse.services.policy import Action, require

PUPIL_RETENTION = dt.timedelta(days=365)
ACCOUNT_RETENTION = dt.timedelta(days=2 * 365)
MAIL_RETENTION = dt.timedelta(days=365)
UNSENT_MAIL_RETENTION = dt.timedelta(days=30)
TUTOR_RETENTION = ACCOUNT_RETENTION
ANONYMOUS_NAME = "—"


@dataclass
class PurgePlan:
    today: dt.date
    pupil_ids: list[int] = field(default_factory=list)
    account_ids: list[int] = field(default_factory=list)
    old_mail: int = 0
    tutor_ids: list[int] = field(default_factory=list)
    callbacks: int = 0

    def lines(self) -> list[str]:
        return [
            f"Élèves à anonymiser (campagne close depuis plus de 12 mois) : {len(self.pupil_ids)}",
            f"Comptes inactifs depuis plus de 24 mois à anonymiser : {len(self.account_ids)}",
            f"Tuteurs sans stage depuis plus de 24 mois à anonymiser : {len(self.tutor_ids)}",
            f"E-mails envoyés depuis plus de 12 mois, ou en attente ou en échec depuis plus de "
            f"30 jours, à supprimer : {self.old_mail}",
            f"Demandes de rappel échues à supprimer : {self.callbacks}",
        ]


def campaign_closing_dates() -> dict[int, dt.date]:
    """Per campaign: the later of the request deadline and the Friday of its last week."""
    closing = {c.id: c.requests_deadline for c in db.session.scalars(select(Campaign))}
    for campaign_id, week in db.session.execute(
            select(CampaignSchoolWeek.campaign_id, func.max(CampaignSchoolWeek.week))
            .group_by(CampaignSchoolWeek.campaign_id)):
        friday = week_monday(week) + dt.timedelta(days=4)
        closing[campaign_id] = max(closing[campaign_id], friday)
    return closing


def _pupils_due(today: dt.date) -> list[int]:
    limit = today - PUPIL_RETENTION
    closing = campaign_closing_dates()
    campaigns_of: dict[int, list[int]] = {}
    for pupil_id, campaign_id in db.session.execute(select(Request.pupil_id,
                                                           Request.campaign_id)):
        campaigns_of.setdefault(pupil_id, []).append(campaign_id)
    due = []
    for pupil_id, created_at, last_name in db.session.execute(
            select(Pupil.id, Pupil.created_at, Pupil.last_name)):
        if last_name == ANONYMOUS_NAME:
            continue  # already anonymised
        ends = [closing[c] for c in campaigns_of.get(pupil_id, [])]
        last = max(ends) if ends else created_at.date()
        if last < limit:
            due.append(pupil_id)
    return due


def _accounts_due(today: dt.date) -> list[int]:
    limit = dt.datetime.combine(today - ACCOUNT_RETENTION, dt.time(), tzinfo=dt.UTC)
    last_seen = func.coalesce(User.last_login_at, User.created_at)
    return list(db.session.scalars(
        select(User.id).where(User.role != Role.PUPIL, User.is_active.is_(True),
                              last_seen < limit).order_by(User.id)))


def _tutors_due(today: dt.date) -> list[int]:
    """Tutors all of whose offers' weeks belong to campaigns closed before the limit (a tutor
    with no week yet is someone a host is still setting up: kept)."""
    limit = today - TUTOR_RETENTION
    closing = campaign_closing_dates()
    last: dict[int, dt.date] = {}
    for tutor_id, campaign_id in db.session.execute(
            select(Offer.tutor_id, OfferWeek.campaign_id).join(OfferWeek)
            .where(Offer.tutor_id.is_not(None)).distinct()):
        day = closing.get(campaign_id)
        if day is not None and tutor_id is not None:
            last[tutor_id] = max(last.get(tutor_id, day), day)
    return sorted(tutor_id for tutor_id, day in last.items() if day < limit
                  and db.session.scalar(select(Tutor.full_name).where(Tutor.id == tutor_id))
                  != ANONYMOUS_NAME)


def _old_mail_filter(today: dt.date) -> Any:
    limit = dt.datetime.combine(today - MAIL_RETENTION, dt.time(), tzinfo=dt.UTC)
    # Mail that could not go within a month never will: it only keeps names and addresses.
    unsent_limit = dt.datetime.combine(today - UNSENT_MAIL_RETENTION, dt.time(), tzinfo=dt.UTC)
    return (((OutboxMessage.state == OutboxState.SENT) & (OutboxMessage.sent_at < limit))
            | (OutboxMessage.state.in_((OutboxState.PENDING, OutboxState.FAILED))
               & (OutboxMessage.created_at < unsent_limit)))


def plan_purge(today: dt.date | None = None) -> PurgePlan:
    today = today or clock.today()
    return PurgePlan(
        today=today, pupil_ids=_pupils_due(today), account_ids=_accounts_due(today),
        tutor_ids=_tutors_due(today),
        old_mail=int(db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                       .where(_old_mail_filter(today))) or 0),
        callbacks=help_service.expired_callbacks(today),
    )


def _anonymise_pupils(pupils: list[Pupil]) -> None:
    # Every copy first (it reads the names and addresses from the pupil rows), then the rows.
    erasure.erase_traces(pupils)
    for pupil in pupils:
        _anonymise_pupil(pupil)


def _anonymise_pupil(pupil: Pupil) -> None:
    pupil.first_name = ANONYMOUS_NAME
    pupil.last_name = ANONYMOUS_NAME
    pupil.birth_date = dt.date(pupil.birth_date.year, 1, 1)
    pupil.gender = None
    pupil.qpv_resident = None
    pupil.home_commune_code = None
    # Flags that describe the person (a disability) go too; the round's audit keeps its own
    # anonymous figures.
    pupil.needs_accessible = False
    pupil.max_travel_km = None
    pupil.guardian_email = None
    pupil.consent_recorded_by = None
    if pupil.user is not None:
        db.session.delete(pupil.user)


def _anonymise_account(user: User) -> None:
    user.email = f"compte-supprime-{user.id}@invalid.invalid"
    user.display_name = "Compte supprimé"
    user.password_hash = None
    user.is_active = False
    user.deactivated_at = clock.now()
    user.deactivated_reason = "Anonymisé après 24 mois sans connexion"
    user.session_version += 1


def _anonymise_tutor(tutor: Tutor) -> None:
    tutor.full_name = ANONYMOUS_NAME
    tutor.email = f"tuteur-supprime-{tutor.id}@invalid.invalid"


def purge(plan: PurgePlan, *, apply: bool) -> PurgePlan:
    """Carry out ``plan`` if ``apply``; always returns it (a dry run changes nothing)."""
    if not apply:
        return plan
    _anonymise_pupils(list(db.session.scalars(
        select(Pupil).where(Pupil.id.in_(plan.pupil_ids)))))
    for user in db.session.scalars(select(User).where(User.id.in_(plan.account_ids))):
        _anonymise_account(user)
    tutors = list(db.session.scalars(select(Tutor).where(Tutor.id.in_(plan.tutor_ids))))
    erasure.erase_tutors(tutors)
    for tutor in tutors:
        _anonymise_tutor(tutor)
    db.session.execute(delete(OutboxMessage).where(_old_mail_filter(plan.today)))
    help_service.purge_callbacks(plan.today)
    window = utcnow() - dt.timedelta(days=1)
    db.session.execute(delete(LoginFailure).where(LoginFailure.at < window))
    # Requests to join a structure: strangers' names and words, shown to members for a month.
    db.session.execute(delete(JoinRequest).where(
        JoinRequest.created_at < utcnow() - dt.timedelta(days=JOIN_REQUESTS_SHOWN_DAYS)))
    journal.record(None, Event.RETENTION_PURGED, None, day=plan.today.isoformat(),
                   pupils=len(plan.pupil_ids), accounts=len(plan.account_ids),
                   tutors=len(plan.tutor_ids),
                   mail=plan.old_mail, callbacks=plan.callbacks)
    db.session.flush()
    return plan


# A pupil's or guardian's rights: see, then erase -----------------------------------------

def find_pupils(actor: User, query: str, limit: int = 50) -> list[Pupil]:
    require(actor, Action.STEER_PERSONAL_DATA)
    words = [w for w in query.split() if w]
    if not words:
        return []
    statement = select(Pupil).where(Pupil.last_name != ANONYMOUS_NAME)
    for word in words:
        pattern = f"%{word}%"
        statement = statement.where(Pupil.last_name.ilike(pattern)
                                    | Pupil.first_name.ilike(pattern)
                                    | Pupil.class_name.ilike(pattern))
    return list(db.session.scalars(statement.order_by(Pupil.last_name, Pupil.first_name)
                                   .limit(limit)))


def subject_export(actor: User, pupil: Pupil) -> dict[str, Any]:
    """Everything held about one pupil, as plain data (for a JSON or CSV download)."""
    require(actor, Action.STEER_PERSONAL_DATA, pupil)
    requests = db.session.scalars(select(Request).where(Request.pupil_id == pupil.id)).all()
    wishes = db.session.scalars(select(Wish).join(Request).where(Request.pupil_id == pupil.id)
                                .order_by(Wish.request_id, Wish.rank)).all()
    assignments = db.session.scalars(select(Assignment).where(Assignment.pupil_id == pupil.id)
                                     ).all()
    owned = erasure.owned_rows([pupil.id])
    subjects: dict[str, list[str]] = {}
    for kind, subject_id in erasure.journal_subjects(owned):
        subjects.setdefault(kind, []).append(subject_id)
    about: list[Any] = [(JournalEntry.subject_type == kind) & JournalEntry.subject_id.in_(ids)
                        for kind, ids in subjects.items()]
    if pupil.user is not None:
        about.append(JournalEntry.actor_id == pupil.user.id)
    entries = db.session.scalars(select(JournalEntry).where(or_(*about))
                                 .order_by(JournalEntry.at, JournalEntry.id)).all()
    agreement_rows = db.session.scalars(select(Agreement).where(
        Agreement.id.in_([int(i) for i in subjects.get("Agreement", [])]))
        .order_by(Agreement.id)).all()
    mails = erasure.mail_about(pupil)
    journal.record(actor, Event.RETENTION_SUBJECT_EXPORT, pupil)
    db.session.flush()
    return {
        "pupil": {
            "id": pupil.id, "first_name": pupil.first_name, "last_name": pupil.last_name,
            "birth_date": pupil.birth_date.isoformat(), "school": pupil.school.name,
            "school_uai": pupil.school.uai, "class": pupil.class_name,
            "level": pupil.level.value,
            "gender": pupil.gender.value if pupil.gender else None,
            "qpv_resident": pupil.qpv_resident, "home_commune": pupil.home_commune_code,
            "max_travel_km": pupil.max_travel_km, "needs_accessible": pupil.needs_accessible,
            "guardian_email": pupil.guardian_email,
            "consent_on": pupil.consent_on.isoformat() if pupil.consent_on else None,
            "consent_method": pupil.consent_method.value if pupil.consent_method else None,
            "consent_recorded_by": pupil.consent_recorded_by,
            "has_access_code": bool(pupil.user and pupil.user.access_code_hash),
        },
        "requests": [{"campaign": r.campaign.name, "state": r.state.value,
                      "has_network": r.has_network} for r in requests],
        "wishes": [{"request": w.request_id, "rank": w.rank, "sector": w.sector_code,
                    "offer": w.offer_id} for w in wishes],
        "assignments": [{"offer": a.offer.title, "host": a.offer.company.name,
                         "week": a.week, "state": a.state.value} for a in assignments],
        "agreements": [{"id": a.id, "state": a.state.value, "version": a.version,
                        "first_day": a.first_day.isoformat(), "content": a.content,
                        "sha256": a.content_sha256, "created_at": _iso(a.created_at),
                        "sent_at": _iso(a.sent_at), "signed_at": _iso(a.signed_at),
                        "voided_at": _iso(a.voided_at), "voided_reason": a.voided_reason}
                       for a in agreement_rows],
        "agreement_versions": [{"agreement": v.agreement_id, "number": v.number,
                                "reason": v.reason, "created_at": _iso(v.created_at),
                                "sha256": v.content_sha256, "content": v.content}
                               for a in agreement_rows for v in a.versions],
        "signatures": [{"agreement": s.agreement_id, "version": s.version,
                        "party": s.party.value, "signer_name": s.signer_name,
                        "signer_email": s.signer_email, "method": s.method.value,
                        "signed_at": _iso(s.signed_at), "voided_at": _iso(s.voided_at),
                        "scan": bool(s.scan_file)}
                       for a in agreement_rows for s in a.signatures],
        "mails": [{"to": m.recipient, "subject": m.subject, "state": m.state.value,
                   "template": m.template, "reason": m.reason,
                   "queued_at": _iso(m.created_at), "sent_at": _iso(m.sent_at),
                   "text": m.body_text} for m in mails],
        "journal": [{"at": e.at.isoformat(), "who": e.actor_label, "action": e.action,
                     "subject": f"{e.subject_type} {e.subject_id}", "details": e.details}
                    for e in entries],
    }


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def erase_pupil(actor: User, pupil: Pupil, reason: str) -> None:
    """Anonymise now, at the pupil's or guardian's request (the statistics stay anonymous)."""
    require(actor, Action.STEER_PERSONAL_DATA, pupil)
    if not reason.strip():
        raise ServiceError(_l("Indiquez le motif de l'effacement (par exemple : demande du "
                              "responsable légal reçue le …)."))
    if pupil.last_name == ANONYMOUS_NAME:
        raise ServiceError(_l("Les données de cet élève sont déjà effacées."))
    # The reason is kept in the journal: it must not bring back what it erases.
    reason = erasure.redact(reason.strip(), pupil)
    _anonymise_pupils([pupil])
    journal.record(actor, Event.RETENTION_PUPIL_ERASED, pupil, reason=reason)
    db.session.flush()
