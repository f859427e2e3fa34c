"""Writing offers: the checks, create, edit, duplicate and withdraw, and the campaign weeks an
offer can serve."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from stagebourse.extensions import db
from stagebourse.identifiers import week_label
from stagebourse.models import (
    Assignment,
    AssignmentState,
    Campaign,
    CampaignState,
    Commune,
    Company,
    Level,
    MatchingRun,
    Offer,
    OfferState,
    OfferWeek,
    Sector,
    Tutor,
    User,
)
from stagebourse.services import ServiceError, journal
from stagebourse.services.campaigns import campaign_weeks
from stagebourse.services.journal import Event
from stagebourse.services.offer_rules import (
    Slot,
    check_safety_attested,
    check_schedule,
    check_seats,
    check_seats_not_below_assigned,
)
from stagebourse.services.offers.supply import HOLDING_STATES
from stagebourse.services.policy import Action, Actor, person, require

AFTER_PUBLICATION = (CampaignState.PUBLISHED, CampaignState.FINISHED)


class OfferRefused(ServiceError):
    """Refusal with one message per field (``fields``), plus the summary as the message."""

    def __init__(self, fields: dict[str, str]) -> None:
        self.fields = fields
        super().__init__(" ".join(fields.values()))


@dataclass
class TutorInput:
    full_name: str
    job_title: str
    email: str


@dataclass
class OfferInput:
    """What a form, a CSV row or an API call gives: already typed, not yet checked."""

    title: str
    sector_code: str
    description: str
    address: str
    commune_code: str | None
    for_3e: bool
    for_2de: bool
    min_age: int
    accessible: bool
    schedule: list[Slot]
    safety_attested: bool
    seats: dict[str, int]  # ISO week → seats
    lat: float | None = None
    lon: float | None = None
    tutor_id: int | None = None
    new_tutor: TutorInput | None = None
    external_ref: str | None = None
    publish: bool = True
    warnings: list[str] = field(default_factory=list)


@dataclass
class CampaignWeeks:
    campaign: Campaign
    weeks: list[tuple[str, str]]  # (ISO week, label with dates)
    published: bool


def offerable_weeks(offer: Offer | None = None) -> list[CampaignWeeks]:
    """Weeks of every OPEN campaign (``campaigns.campaign_weeks``: the union of its schools'
    weeks), plus, when editing, the weeks the offer already has in other campaigns that are
    not finished."""
    campaigns = list(db.session.scalars(
        select(Campaign).where(Campaign.state == CampaignState.OPEN)
        .order_by(Campaign.year, Campaign.level)))
    if offer is not None:
        ids = {w.campaign_id for w in offer.weeks} - {c.id for c in campaigns}
        if ids:
            campaigns += list(db.session.scalars(
                select(Campaign).where(Campaign.id.in_(ids),
                                       Campaign.state != CampaignState.FINISHED)))
    result = []
    taken: set[str] = set()
    for campaign in campaigns:
        weeks = set(campaign_weeks(campaign))
        if offer is not None:
            weeks |= {w.week for w in offer.weeks if w.campaign_id == campaign.id}
        # A seat of a week belongs to one campaign (OfferWeek is unique per offer and week):
        # if two open campaigns share a week, the first listed (oldest year, 3e first) gets it.
        ordered = sorted(weeks - taken)
        taken |= weeks
        result.append(CampaignWeeks(campaign, [(w, week_label(w)) for w in ordered],
                                    campaign.state in AFTER_PUBLICATION))
    return result


def _week_campaigns(offer: Offer | None) -> dict[str, Campaign]:
    mapping: dict[str, Campaign] = {}
    for group in offerable_weeks(offer):
        for week, _label in group.weeks:
            mapping.setdefault(week, group.campaign)
    return mapping


def assigned_count(offer_id: int, week: str) -> int:
    """Pupils holding a seat of this offer on this week (published, confirmed or done)."""
    return int(db.session.scalar(
        select(func.count()).select_from(Assignment)
        .join(MatchingRun, MatchingRun.id == Assignment.run_id)
        .where(Assignment.offer_id == offer_id, Assignment.week == week,
               Assignment.state.in_(HOLDING_STATES))) or 0)


def check_offer(company: Company, data: OfferInput, offer: Offer | None = None) -> dict[str, str]:
    """Every rule an offer must satisfy; {} when it may be saved. Reads, never writes."""
    errors: dict[str, str] = {}
    if not data.title.strip():
        errors["title"] = str(_l("Donnez un titre à l'offre (ex. « Découverte d'un atelier de "
                                 "mécanique »)."))
    elif len(data.title) > 200:
        errors["title"] = str(_l("Le titre est trop long : 200 caractères au plus."))
    if db.session.get(Sector, data.sector_code or "") is None:
        errors["sector"] = str(_l("Choisissez un secteur de la liste."))
    if len(data.description.strip()) < 20:
        errors["description"] = str(_l("Décrivez en quelques phrases ce que l'élève verra et "
                                       "fera (20 caractères au moins)."))
    if not data.address.strip() or len(data.address) > 300:
        errors["address"] = str(_l("Indiquez l'adresse où l'élève se rendra (300 caractères "
                                   "au plus)."))
    if (data.lat is None) != (data.lon is None) or (
            data.lat is not None and data.lon is not None
            and not (-90 <= data.lat <= 90 and -180 <= data.lon <= 180)):
        errors["lat"] = str(_l("Coordonnées invalides : donnez la latitude (-90 à 90) et la "
                               "longitude (-180 à 180) ensemble, ou aucune des deux (le centre "
                               "de la commune est alors utilisé)."))
    if data.external_ref is not None and len(data.external_ref) > 100:
        errors["external_ref"] = str(_l("La référence est trop longue : 100 caractères au "
                                        "plus."))
    elif data.external_ref:
        clash = db.session.scalar(select(Offer.id).where(
            Offer.company_id == company.id, Offer.external_ref == data.external_ref,
            Offer.id != (offer.id if offer is not None and offer.id else -1)))
        if clash is not None:
            errors["external_ref"] = str(_l("La référence « %(ref)s » est déjà celle d'une "
                                            "autre de vos offres (n° %(id)s).",
                                            ref=data.external_ref, id=clash))
    if data.lat is None and db.session.get(Commune, data.commune_code or "") is None:
        errors["commune"] = str(_l("Choisissez la commune du lieu de stage dans la liste."))
    if not (data.for_3e or data.for_2de):
        errors["levels"] = str(_l("Cochez au moins un niveau : 3e ou 2de."))
    if not 13 <= data.min_age <= 18:
        errors["min_age"] = str(_l("L'âge minimum doit être compris entre 13 et 18 ans."))
    schedule = check_schedule(data.schedule, data.min_age)
    if schedule.errors:
        errors["schedule"] = " ".join(schedule.errors)
    data.warnings = list(schedule.warnings)
    safety = check_safety_attested(data.safety_attested)
    if safety:
        errors["safety_attested"] = safety
    if data.tutor_id is not None:
        tutor = db.session.get(Tutor, data.tutor_id)
        if tutor is None or tutor.company_id != company.id:
            errors["tutor"] = str(_l("Choisissez un tuteur de votre structure."))
    elif data.new_tutor is not None:
        t = data.new_tutor
        if not (t.full_name.strip() and t.job_title.strip() and "@" in t.email) or max(
                len(t.full_name), len(t.job_title)) > 200 or len(t.email) > 254:
            errors["tutor"] = str(_l("Pour le tuteur, indiquez son nom, sa fonction (200 "
                                     "caractères au plus) et son adresse e-mail."))
    else:
        errors["tutor"] = str(_l("Indiquez le tuteur qui accueillera l'élève."))
    errors.update(_check_seats(data, offer))
    return errors


def _check_seats(data: OfferInput, offer: Offer | None) -> dict[str, str]:
    errors: list[str] = []
    campaigns = _week_campaigns(offer)
    current = {w.week: w.seats for w in offer.weeks} if offer is not None else {}
    for week, seats in sorted(data.seats.items()):
        campaign = campaigns.get(week)
        if campaign is None:
            if seats:
                errors.append(str(_l("La semaine %(week)s ne fait partie d'aucune campagne "
                                     "ouverte : choisissez une des semaines proposées.",
                                     week=week)))
            continue
        message = check_seats(seats)
        if message:
            errors.append(f"{week} : {message}")
        if seats and campaign.level == Level.TROISIEME and not data.for_3e:
            errors.append(str(_l("La semaine %(week)s est celle des élèves de 3e : cochez le "
                                 "niveau 3e ou mettez 0 place.", week=week)))
        if seats and campaign.level == Level.SECONDE and not data.for_2de:
            errors.append(str(_l("La semaine %(week)s est celle des élèves de 2de : cochez le "
                                 "niveau 2de ou mettez 0 place.", week=week)))
        if offer is not None and campaign.state in AFTER_PUBLICATION \
                and seats != current.get(week):
            below = check_seats_not_below_assigned(week, seats, assigned_count(offer.id, week))
            if below:
                errors.append(below)
    if data.publish and not any(data.seats.values()) and not errors:
        errors.append(str(_l("Indiquez au moins une place sur une semaine pour publier "
                             "l'offre (ou enregistrez-la comme brouillon).")))
    return {"seats": " ".join(errors)} if errors else {}


def _snapshot(offer: Offer) -> dict[str, Any]:
    return {
        "title": offer.title, "sector": offer.sector_code, "description": offer.description,
        "address": offer.address, "commune": offer.commune_code,
        "lat": round(offer.lat, 6), "lon": round(offer.lon, 6),
        "for_3e": offer.for_3e, "for_2de": offer.for_2de, "min_age": offer.min_age,
        "accessible": offer.accessible, "schedule": offer.schedule,
        "safety_attested": offer.safety_attested, "tutor": offer.tutor_id,
        "state": offer.state.value, "weeks": {w.week: w.seats for w in offer.weeks},
    }


def _apply(company: Company, offer: Offer, data: OfferInput) -> None:
    offer.title = data.title.strip()
    offer.sector_code = data.sector_code
    offer.description = data.description.strip()
    offer.address = data.address.strip()
    offer.commune_code = data.commune_code or None
    commune = db.session.get(Commune, data.commune_code) if data.commune_code else None
    if data.lat is not None and data.lon is not None:
        offer.lat, offer.lon = data.lat, data.lon
    elif commune is not None:
        offer.lat, offer.lon = commune.lat, commune.lon
    offer.for_3e, offer.for_2de = data.for_3e, data.for_2de
    offer.min_age = data.min_age
    offer.accessible = data.accessible
    offer.schedule = [slot.as_dict() for slot in data.schedule]
    offer.safety_attested = data.safety_attested
    if data.tutor_id is not None:
        offer.tutor_id = data.tutor_id
    elif data.new_tutor is not None:
        email = data.new_tutor.email.strip().lower()
        tutor = db.session.scalar(select(Tutor).where(Tutor.company_id == company.id,
                                                      Tutor.email == email))
        if tutor is None:
            tutor = Tutor(company=company, full_name=data.new_tutor.full_name.strip(),
                          job_title=data.new_tutor.job_title.strip(), email=email)
            db.session.add(tutor)
        offer.tutor = tutor
    if data.external_ref:
        offer.external_ref = data.external_ref
    campaigns = _week_campaigns(offer if offer.id else None)
    existing = {w.week: w for w in offer.weeks}
    for week, seats in data.seats.items():
        if week in existing:
            existing[week].seats = seats
        elif seats and week in campaigns:
            offer.weeks.append(OfferWeek(campaign=campaigns[week], week=week, seats=seats))
    offer.state = OfferState.PUBLISHED if data.publish else OfferState.DRAFT


def _after_publication(offer: Offer) -> bool:
    return any(w.campaign.state in AFTER_PUBLICATION for w in offer.weeks)


def save_offer(actor: Actor, company: Company, data: OfferInput,
               offer: Offer | None = None, *, source: str = "form") -> Offer:
    """Create (``offer`` None) or update an offer; raises OfferRefused with every reason."""
    require(actor, Action.COMPANY_OFFERS, company)
    if offer is not None and offer.company_id != company.id:
        raise ServiceError(_l("Cette offre n'appartient pas à votre structure."))
    errors = check_offer(company, data, offer)
    if errors:
        raise OfferRefused(errors)
    if offer is None:
        offer = Offer(company=company, lat=0.0, lon=0.0)
        db.session.add(offer)
        _apply(company, offer, data)
        db.session.flush()
        journal.record(person(actor), Event.OFFER_CREATED, offer, company_id=company.id,
                       source=source)
    else:
        before = _snapshot(offer)
        was_published = _after_publication(offer)
        _apply(company, offer, data)
        db.session.flush()
        after = _snapshot(offer)
        changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
        if changes:
            journal.record(person(actor), Event.OFFER_UPDATED, offer, company_id=company.id,
                           source=source, after_publication=was_published, changes=changes)
    db.session.flush()
    return offer


def duplicate_offer(actor: User, offer: Offer) -> Offer:
    """A draft copy without weeks nor external reference, to adapt and publish."""
    require(actor, Action.COMPANY_OFFERS, offer)
    copy = Offer(
        company_id=offer.company_id, sector_code=offer.sector_code,
        title=str(_l("%(title)s (copie)", title=offer.title))[:200],
        description=offer.description, address=offer.address, commune_code=offer.commune_code,
        lat=offer.lat, lon=offer.lon, for_3e=offer.for_3e, for_2de=offer.for_2de,
        min_age=offer.min_age, accessible=offer.accessible, schedule=list(offer.schedule),
        safety_attested=offer.safety_attested, tutor_id=offer.tutor_id, state=OfferState.DRAFT,
    )
    db.session.add(copy)
    db.session.flush()
    journal.record(actor, Event.OFFER_DUPLICATED, copy, source_offer=offer.id)
    db.session.flush()
    return copy


def withdraw_offer(actor: Actor, offer: Offer) -> None:
    require(actor, Action.COMPANY_OFFERS, offer)
    if offer.state == OfferState.WITHDRAWN:
        raise ServiceError(_l("Cette offre est déjà retirée."))
    held = int(db.session.scalar(
        select(func.count()).select_from(Assignment)
        .where(Assignment.offer_id == offer.id, Assignment.state.in_(
            (AssignmentState.PUBLISHED, AssignmentState.CONFIRMED)))) or 0)
    if held:
        raise ServiceError(_l("%(n)s élève(s) sont affectés à cette offre : elle ne peut pas "
                              "être retirée. Contactez le groupe de pilotage pour annuler ces "
                              "accueils.", n=held))
    offer.state = OfferState.WITHDRAWN
    journal.record(person(actor), Event.OFFER_WITHDRAWN, offer, company_id=offer.company_id,
                   after_publication=_after_publication(offer))
    db.session.flush()


class HasLevels(Protocol):
    @property
    def for_3e(self) -> bool: ...

    @property
    def for_2de(self) -> bool: ...


def offer_levels(offer: HasLevels) -> list[str]:
    """``["3e", "2de"]``: the levels as written in the CSV files, exports and the API."""
    return [level for level, ok in (("3e", offer.for_3e), ("2de", offer.for_2de)) if ok]


def company_offer(company_id: int | None, offer_id: int) -> Offer | None:
    """One of this structure's offers, else None: the object-level check of the structure's
    pages and of the partner API."""
    offer = db.session.get(Offer, offer_id)
    if offer is None or offer.company_id != company_id:
        return None
    return offer


def company_offers(company: Company) -> list[Offer]:
    return list(db.session.scalars(
        select(Offer).where(Offer.company_id == company.id).order_by(Offer.title, Offer.id)))

