"""Tutors for real: a host member names the tutor of an offer, the tutor receives a personal
sign-in link, and the host or the steering group can cut that access at any time.

The link is the tutor's only credential (tutors have no password). Its token is random; only
its sha256 is stored, so a copy of the database opens nobody's space. A link ends when it
expires (``TUTOR_LINK_DAYS``) or when it is revoked; revoking also ends every session the tutor
opened (the account's ``session_version`` moves on, and each tutor request checks the link its
session was opened with).

What a tutor sees: the sensitisation materials and their acknowledgement, the pupils placed
with them once both sides confirmed the placement (never a mere proposal: before that the host
decides blind, and so does its tutor), and the agreements of those placements, without the
family's contact details.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from stagebourse import clock
from stagebourse.extensions import db
from stagebourse.models import (
    Agreement,
    AgreementState,
    Assignment,
    AssignmentState,
    Audience,
    Campaign,
    Company,
    Offer,
    OfferWeek,
    Role,
    Tutor,
    TutorLink,
    User,
)
from stagebourse.services import ServiceError, journal, preparation
from stagebourse.services.journal import Event
from stagebourse.services.materials import current_materials, render_markdown
from stagebourse.services.notifications import public_url, queue_email
from stagebourse.services.policy import Action, can, require

DEFAULT_LINK_DAYS = 30
# Placements a tutor may know of: both sides confirmed (and the internship that followed).
VISIBLE_STATES = (AssignmentState.CONFIRMED, AssignmentState.COMPLETED)
# Where a tutor's account gets an address when the tutor's own is already an account's (a host
# member naming themself tutor): the reserved .invalid domain never receives mail, and the
# tutor signs in by link only.
_SPARE_DOMAIN = "tuteurs.invalid"


class TutorLinkError(ServiceError):
    """The sign-in link cannot be used; ``status`` is the HTTP status to answer."""

    status = 400


class TutorLinkExpired(TutorLinkError):
    status = 410


class TutorLinkRevoked(TutorLinkError):
    status = 403


def link_days() -> int:
    return int(current_app.config.get("TUTOR_LINK_DAYS", DEFAULT_LINK_DAYS))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# Naming a tutor, sending the link -----------------------------------------------------------------


def _clean(data: dict[str, Any]) -> tuple[str, str, str]:
    name = (data.get("full_name") or "").strip()
    email = (data.get("email") or "").strip().lower()
    job = (data.get("job_title") or "").strip()
    if not name or len(name) > 200:
        raise ServiceError(_l("Indiquez le nom et le prénom du tuteur ou de la tutrice "
                              "(200 caractères au plus)."))
    if "@" not in email or len(email) > 254:
        raise ServiceError(_l("Indiquez l'adresse e-mail du tuteur ou de la tutrice : le lien "
                              "de connexion y sera envoyé."))
    return name, email, job[:200]


def name_tutor(actor: User, offer: Offer, data: dict[str, Any]) -> Tutor:
    """Name (or change) the tutor of ``offer`` and send them a sign-in link."""
    require(actor, Action.COMPANY_OFFERS, offer)
    name, email, job = _clean(data)
    tutor = db.session.scalar(select(Tutor).where(Tutor.company_id == offer.company_id,
                                                  Tutor.email == email))
    if tutor is None:
        tutor = Tutor(company_id=offer.company_id, full_name=name, email=email,
                      job_title=job or "Tuteur ou tutrice")
        db.session.add(tutor)
    else:
        tutor.full_name = name
        if job:
            tutor.job_title = job
    offer.tutor = tutor
    db.session.flush()
    journal.record(actor, Event.TUTOR_NAMED, offer, tutor_id=tutor.id)
    _issue_link(actor, tutor)
    db.session.flush()
    return tutor


def send_link(actor: User, tutor: Tutor) -> TutorLink:
    """Send the tutor a new sign-in link (the earlier ones stay valid until they expire)."""
    require(actor, Action.TUTOR_ACCESS, tutor)
    link = _issue_link(actor, tutor)
    db.session.flush()
    return link


def _issue_link(actor: User | None, tutor: Tutor) -> TutorLink:
    token = secrets.token_urlsafe(32)
    now = clock.now()
    link = TutorLink(tutor_id=tutor.id, token_hash=hash_token(token), created_at=now,
                     created_by_id=actor.id if actor is not None else None,
                     expires_at=now + dt.timedelta(days=link_days()))
    db.session.add(link)
    db.session.flush()
    company = db.session.get(Company, tutor.company_id)
    queue_email(
        tutor.email, "tutor_link", key=f"tutor-link:{link.id}",
        reason=("une structure d'accueil de la bourse de stages de Valenciennes Métropole vous "
                "a désigné(e) comme tuteur ou tutrice d'un stage d'observation."),
        tutor=tutor, company=company, link=public_url("tutor_link.enter", token=token),
        link_days=link_days(),
    )
    journal.record(actor, Event.TUTOR_LINK_SENT, tutor, link_id=link.id,
                   expires=link.expires_at.date().isoformat())
    return link


def revoke_links(actor: User, tutor: Tutor) -> int:
    """Cut the tutor's access: every link of theirs stops working and every session they
    opened ends. Returns how many live links were revoked."""
    require(actor, Action.TUTOR_ACCESS, tutor)
    now = clock.now()
    revoked = 0
    for link in db.session.scalars(select(TutorLink).where(
            TutorLink.tutor_id == tutor.id, TutorLink.revoked_at.is_(None))).all():
        link.revoked_at, link.revoked_by_id = now, actor.id
        revoked += 1
    account = db.session.scalar(select(User).where(User.tutor_id == tutor.id))
    if account is not None:
        account.session_version += 1  # every cookie of this tutor is void at once
    journal.record(actor, Event.TUTOR_LINK_REVOKED, tutor, links=revoked)
    db.session.flush()
    return revoked


# Signing in with the link -------------------------------------------------------------------------


def _live_link(token: str) -> TutorLink:
    link = db.session.scalar(select(TutorLink).where(TutorLink.token_hash == hash_token(token)))
    if link is None:
        raise TutorLinkError(_l(
            "Ce lien n'est pas valide : il a peut-être été coupé en deux par votre messagerie. "
            "Ouvrez le lien complet reçu par e-mail, ou demandez un nouveau lien à la "
            "structure qui vous a désigné(e)."))
    if link.revoked_at is not None:
        raise TutorLinkRevoked(_l(
            "Ce lien a été désactivé par la structure d'accueil ou par le groupe de pilotage : il "
            "ne donne plus accès à l'espace tuteur. Si vous accueillez toujours un élève, "
            "demandez un nouveau lien à votre structure."))
    if link.expires_at <= clock.now():
        raise TutorLinkExpired(_l(
            "Ce lien a expiré. Demandez un nouveau lien à la structure qui vous a désigné(e) "
            "comme tuteur ou tutrice : elle peut vous l'envoyer depuis son espace."))
    return link


def _account_for(tutor: Tutor) -> User:
    account = db.session.scalar(select(User).where(User.tutor_id == tutor.id))
    if account is not None:
        return account
    taken = db.session.scalar(select(User.id).where(User.email == tutor.email))
    account = User(role=Role.TUTOR, tutor_id=tutor.id, display_name=tutor.full_name,
                   email=f"tuteur-{tutor.id}@{_SPARE_DOMAIN}" if taken else tutor.email)
    db.session.add(account)
    db.session.flush()
    return account


def enter_with_link(token: str) -> tuple[User, TutorLink]:
    """The tutor's account (made on first use) for a live link, or a clear refusal."""
    link = _live_link(token)
    account = _account_for(link.tutor)
    if not account.is_active:
        raise TutorLinkRevoked(_l("Ce compte de tuteur est désactivé : contactez le groupe de "
                                  "pilotage de la bourse de stages."))
    link.last_used_at = clock.now()
    journal.record(account, Event.TUTOR_LINK_USED, link.tutor, link_id=link.id)
    db.session.flush()
    return account, link


def session_link_is_live(link_id: int, user: User) -> bool:
    """Whether the link a tutor's session was opened with still opens it."""
    link = db.session.get(TutorLink, link_id)
    return (link is not None and link.tutor_id == user.tutor_id and link.revoked_at is None
            and link.expires_at > clock.now())


# The host's and the steering group's lists ----------------------------------------------------


@dataclass
class TutorRow:
    tutor: Tutor
    offers: list[Offer]
    live_links: int
    last_sent: dt.datetime | None
    revoked: bool


def _rows(tutors: list[Tutor]) -> list[TutorRow]:
    now = clock.now()
    rows = []
    for tutor in tutors:
        links = db.session.scalars(select(TutorLink).where(
            TutorLink.tutor_id == tutor.id).order_by(TutorLink.created_at)).all()
        live = [link for link in links if link.revoked_at is None and link.expires_at > now]
        offers = db.session.scalars(select(Offer).where(Offer.tutor_id == tutor.id)
                                    .order_by(Offer.title)).all()
        rows.append(TutorRow(tutor, list(offers), len(live),
                             links[-1].created_at if links else None,
                             bool(links) and not live and links[-1].revoked_at is not None))
    return rows


def company_tutors(actor: User, company: Company) -> list[TutorRow]:
    require(actor, Action.COMPANY_MEMBERS, company)
    return _rows(list(db.session.scalars(select(Tutor).where(Tutor.company_id == company.id)
                                         .order_by(Tutor.full_name, Tutor.id)).all()))


def all_tutors(actor: User) -> list[TutorRow]:
    require(actor, Action.STEER_COMPANIES)
    return _rows(list(db.session.scalars(select(Tutor).order_by(Tutor.full_name, Tutor.id))
                      .all()))


# The tutor's own space ----------------------------------------------------------------------------


@dataclass
class Intern:
    assignment: Assignment
    agreement: Agreement | None


@dataclass
class TutorSpace:
    tutor: Tutor
    offers: list[Offer]
    campaign: Campaign | None  # the campaign the materials are acknowledged for
    interns: list[Intern]


def current_campaign(tutor: Tutor) -> Campaign | None:
    """The latest campaign one of the tutor's offers takes part in."""
    return db.session.scalar(
        select(Campaign).join(OfferWeek, OfferWeek.campaign_id == Campaign.id)
        .join(Offer, Offer.id == OfferWeek.offer_id)
        .where(Offer.tutor_id == tutor.id).order_by(Campaign.year.desc(), Campaign.id.desc())
        .limit(1))


def interns(actor: User, tutor: Tutor) -> list[Intern]:
    """The tutor's interns: confirmed placements only, with their live agreement."""
    require(actor, Action.TUTOR_OWN, tutor)
    assignments = db.session.scalars(
        select(Assignment).join(Offer, Offer.id == Assignment.offer_id)
        .where(Offer.tutor_id == tutor.id, Assignment.state.in_(VISIBLE_STATES))
        .order_by(Assignment.week, Assignment.id)).all()
    found = []
    for assignment in assignments:
        agreement = db.session.scalar(select(Agreement).where(
            Agreement.assignment_id == assignment.id,
            Agreement.state != AgreementState.VOIDED))
        found.append(Intern(assignment, agreement))
    return found


def tutor_space(actor: User) -> TutorSpace:
    tutor = actor.tutor
    require(actor, Action.TUTOR_OWN, tutor)
    assert tutor is not None
    offers = db.session.scalars(select(Offer).where(Offer.tutor_id == tutor.id)
                                .order_by(Offer.title)).all()
    return TutorSpace(tutor, list(offers), current_campaign(tutor), interns(actor, tutor))


def tutor_agreement(actor: User, agreement_id: int) -> Agreement | None:
    """One agreement of the tutor's interns, or None (the view answers 404)."""
    tutor = actor.tutor
    require(actor, Action.TUTOR_OWN, tutor)
    assert tutor is not None
    for intern in interns(actor, tutor):
        if intern.agreement is not None and intern.agreement.id == agreement_id:
            return intern.agreement
    return None


def reading_list(actor: User) -> list[preparation.ReadingItem]:
    """The tutor materials, with when this tutor acknowledged each for their campaign."""
    tutor = actor.tutor
    require(actor, Action.TUTOR_OWN, tutor)
    assert tutor is not None
    campaign = current_campaign(tutor)
    if campaign is None:
        return [preparation.ReadingItem(m, render_markdown(m.body_md, heading_offset=1), None)
                for m in current_materials(Audience.TUTOR)]
    return preparation.reading_list(tutor, campaign)


def acknowledge_materials(actor: User) -> int:
    """The tutor says they read the materials. Returns how many were new."""
    tutor = actor.tutor
    require(actor, Action.TUTOR_OWN, tutor)
    assert tutor is not None
    campaign = current_campaign(tutor)
    if campaign is None:
        raise ServiceError(_l("Aucune de vos offres ne participe encore à une campagne : votre "
                              "lecture sera enregistrée quand une campagne sera ouverte."))
    return len(preparation.acknowledge(tutor, campaign))


def tutor_for(actor: User, tutor_id: int) -> Tutor | None:
    """A tutor the actor may manage (their structure's, or any for the steering group)."""
    tutor = db.session.get(Tutor, tutor_id)
    if tutor is None or not can(actor, Action.TUTOR_ACCESS, tutor):
        return None
    return tutor


def company_offers(actor: User, company: Company) -> list[Offer]:
    """The offers a member may name a tutor on."""
    require(actor, Action.COMPANY_OFFERS, company)
    return list(db.session.scalars(select(Offer).where(Offer.company_id == company.id)
                                   .order_by(Offer.title, Offer.id)).all())
