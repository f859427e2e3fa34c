"""Reaching the Charter signatories who are not registered yet (plan, Fiche 5: « démarchage »).

The signatories' list import (:func:`companies.import_charter_signatories`) hands over the rows
it found no registered structure for; they become prospects. The steering group invites them
(one mail each, ever), the worker reminds them once after ``SIGNATORY_REMINDER_DAYS``, and each
mail carries a personal link: it pre-fills the structure's sign-up form, or lets the contact
say « pas intéressé ». A declined prospect is final: no mail, no update, its link is dead, and
a re-import of the list finds it again instead of creating a fresh prospect.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from stagebourse import clock
from stagebourse.extensions import db
from stagebourse.models import CharterProspect, Company, User
from stagebourse.services import ServiceError, journal
from stagebourse.services.csv_input import normalise_name
from stagebourse.services.journal import Event
from stagebourse.services.notifications import public_url, queue_email
from stagebourse.services.policy import Action, require

DEFAULT_REMINDER_DAYS = 14
LINK_VALID_DAYS = 60
REASON = _l("votre structure figure sur la liste des signataires de la Charte de la diversité "
            "transmise au groupe de pilotage de la bourse de stages.")


@dataclass(frozen=True)
class SignatoryRow:
    """A row of the list that matched no registered structure."""

    line: int
    name: str
    siret: str
    email: str


@dataclass
class ProspectsReport:
    new: int = 0
    known: int = 0  # already a prospect (declined ones included: they stay as they are)
    without_email: list[SignatoryRow] = field(default_factory=list)


def reminder_days() -> int:
    return int(current_app.config.get("SIGNATORY_REMINDER_DAYS", DEFAULT_REMINDER_DAYS))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _registered(prospect: CharterProspect) -> Company | None:
    if prospect.company is not None:
        return prospect.company
    if not prospect.siret:
        return None
    return db.session.scalar(select(Company).where(Company.siret == prospect.siret))


def _find(siret: str, name_key: str) -> CharterProspect | None:
    conditions = [CharterProspect.name_key == name_key] if name_key else []
    if siret:
        conditions.append(CharterProspect.siret == siret)
    if not conditions:
        return None
    return db.session.scalars(select(CharterProspect).where(or_(*conditions))
                              .order_by(CharterProspect.id)).first()


def record_prospects(actor: User, rows: list[SignatoryRow]) -> ProspectsReport:
    """Keep the unregistered signatories as prospects. A known prospect is not touched, except
    to learn an e-mail address it lacked while it has not declined (never after)."""
    require(actor, Action.STEER_COMPANIES)
    report = ProspectsReport()
    for row in rows:
        name_key = normalise_name(row.name) if row.name else ""
        if not row.name and not row.siret:
            continue
        if not row.email:
            report.without_email.append(row)
        existing = _find(row.siret, name_key)
        if existing is not None:
            report.known += 1
            if existing.declined_at is None and not existing.email and row.email:
                existing.email = row.email
            continue
        db.session.add(CharterProspect(name=(row.name or row.siret)[:200],
                                       name_key=name_key or row.siret, siret=row.siret or None,
                                       email=row.email or None))
        db.session.flush()
        report.new += 1
    db.session.flush()
    return report


def _new_link(prospect: CharterProspect, now: dt.datetime) -> str:
    """A fresh personal token: only its hash is kept, so a reminder carries a new one (the
    first mail's link then stops working)."""
    token = secrets.token_urlsafe(32)
    prospect.token_hash = _hash(token)
    prospect.token_expires_at = now + dt.timedelta(days=LINK_VALID_DAYS)
    return token


def _mail(prospect: CharterProspect, template: str, key: str, token: str) -> None:
    assert prospect.email is not None
    queue_email(prospect.email, template, key=key, reason=str(REASON), prospect=prospect,
                sign_up_url=public_url("auth.company_sign_up", invitation=token),
                decline_url=public_url("auth.signatory_decline", token=token),
                days=LINK_VALID_DAYS)


def _reachable(prospect: CharterProspect) -> bool:
    if prospect.declined_at is not None or prospect.email is None:
        return False
    company = _registered(prospect)
    if company is not None:
        _mark_joined(prospect, company)
        return False
    return prospect.joined_at is None


def invitable(actor: User) -> list[CharterProspect]:
    """Prospects the invite button would write to now."""
    require(actor, Action.STEER_COMPANIES)
    return [p for p in db.session.scalars(select(CharterProspect)
                                          .where(CharterProspect.invited_at.is_(None),
                                                 CharterProspect.declined_at.is_(None),
                                                 CharterProspect.email.is_not(None))
                                          .order_by(CharterProspect.id))
            if _registered(p) is None]


def invite_prospects(actor: User) -> int:
    """One invitation per prospect, ever (``invited_at`` and the outbox key both say so); never
    to one who declined, joined, or has no address. Returns how many were queued."""
    require(actor, Action.STEER_COMPANIES)
    now = clock.now()
    queued = 0
    for prospect in db.session.scalars(select(CharterProspect)
                                       .where(CharterProspect.invited_at.is_(None))
                                       .order_by(CharterProspect.id)):
        if not _reachable(prospect):
            continue
        _mail(prospect, "signatory_invitation", f"signatory:invite:{prospect.id}",
              _new_link(prospect, now))
        prospect.invited_at = now
        queued += 1
    journal.record(actor, Event.SIGNATORIES_INVITED, None, invitations=queued)
    db.session.flush()
    return queued


def send_signatory_reminders(now: dt.datetime | None = None) -> int:
    """The worker's periodic job: one reminder, ``SIGNATORY_REMINDER_DAYS`` after the
    invitation, to prospects who neither declined nor joined. Flushes; the caller commits."""
    now = now or clock.now()
    due = now - dt.timedelta(days=reminder_days())
    queued = 0
    for prospect in db.session.scalars(select(CharterProspect)
                                       .where(CharterProspect.invited_at.is_not(None),
                                              CharterProspect.invited_at <= due,
                                              CharterProspect.reminded_at.is_(None))
                                       .order_by(CharterProspect.id)):
        if not _reachable(prospect):
            continue
        _mail(prospect, "signatory_reminder", f"signatory:remind:{prospect.id}",
              _new_link(prospect, now))
        prospect.reminded_at = now
        queued += 1
    if queued:
        journal.record(None, Event.SIGNATORIES_REMINDED, None, reminders=queued)
    db.session.flush()
    return queued


def prospect_by_token(token: str) -> CharterProspect:
    """The prospect of a live personal link, or a ServiceError saying what to do."""
    prospect = db.session.scalar(select(CharterProspect)
                                 .where(CharterProspect.token_hash == _hash(token or "")))
    if prospect is None or prospect.declined_at is not None:
        raise ServiceError(_l("Ce lien n'est pas (ou plus) valable. Si vous souhaitez inscrire "
                              "votre structure, utilisez le formulaire d'inscription."))
    if prospect.token_expires_at is None or prospect.token_expires_at < clock.now():
        raise ServiceError(_l("Ce lien a expiré. Vous pouvez inscrire votre structure avec le "
                              "formulaire d'inscription, sans lien."))
    return prospect


def decline(token: str) -> CharterProspect:
    """« Pas intéressé »: final. The link dies and nothing is written to the contact again."""
    prospect = prospect_by_token(token)
    prospect.declined_at = clock.now()
    prospect.token_hash = None
    prospect.token_expires_at = None
    journal.record(None, Event.SIGNATORY_DECLINED, prospect)
    db.session.flush()
    return prospect


def _mark_joined(prospect: CharterProspect, company: Company) -> None:
    if prospect.joined_at is None:
        prospect.joined_at = clock.now()
    prospect.company = company
    prospect.token_hash = None
    prospect.token_expires_at = None


def note_registered(company: Company, token: str | None) -> None:
    """A structure signed up: the prospect of its link, and any prospect with its SIRET, have
    joined. An invalid or expired link does not stop the sign-up."""
    prospects = list(db.session.scalars(select(CharterProspect)
                                        .where(CharterProspect.siret == company.siret)))
    if token:
        try:
            prospects.append(prospect_by_token(token))
        except ServiceError:
            pass
    for prospect in prospects:
        if prospect.declined_at is None:
            _mark_joined(prospect, company)
    db.session.flush()


@dataclass(frozen=True)
class ProspectLine:
    prospect: CharterProspect
    status: str  # "joined", "declined", "reminded", "invited", "waiting", "no_email"


@dataclass
class Outreach:
    lines: list[ProspectLine]
    counts: dict[str, int]


STATUSES = ("joined", "declined", "reminded", "invited", "waiting", "no_email")


def outreach_status(actor: User) -> Outreach:
    """Every prospect with its state, for the steering page and its CSV export."""
    require(actor, Action.STEER_COMPANIES)
    sirets = set(db.session.scalars(select(Company.siret)))
    lines = []
    for prospect in db.session.scalars(select(CharterProspect)
                                       .order_by(CharterProspect.name_key)):
        if prospect.joined_at is not None or (prospect.siret and prospect.siret in sirets):
            status = "joined"
        elif prospect.declined_at is not None:
            status = "declined"
        elif prospect.reminded_at is not None:
            status = "reminded"
        elif prospect.invited_at is not None:
            status = "invited"
        elif prospect.email:
            status = "waiting"
        else:
            status = "no_email"
        lines.append(ProspectLine(prospect, status))
    counts = {status: sum(1 for line in lines if line.status == status) for status in STATUSES}
    return Outreach(lines, counts)
