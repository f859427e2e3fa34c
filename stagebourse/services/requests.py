"""A pupil's request in a campaign: ranked wishes, travel, accessibility, confirmation.

The pupil edits their own request; their teacher may edit it on their behalf (journaled as
such, ``Request.updated_by``). The campaign must be open and before its deadline for either.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

import sqlalchemy as sa
from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from stagebourse import clock
from stagebourse.extensions import db
from stagebourse.identifiers import age_on, week_monday
from stagebourse.matching.costs import distance_metres
from stagebourse.models import (
    MAX_WISHES,
    Campaign,
    CampaignSchoolWeek,
    CampaignState,
    Commune,
    Level,
    Offer,
    OfferDistance,
    OfferSummary,
    Pupil,
    Request,
    RequestState,
    Role,
    Sector,
    User,
    Wish,
    utcnow,
)
from stagebourse.services import ServiceError, journal, offer_cards, offer_index
from stagebourse.services.campaigns import current_campaign, school_weeks
from stagebourse.services.journal import Event
from stagebourse.services.offer_cards import OfferCard, SectorLabel
from stagebourse.services.offer_search import pupil_origin, pupil_origin_key
from stagebourse.services.offers import is_visible
from stagebourse.services.policy import Action, require
from stagebourse.services.pupils import (
    CONSENT_AGE,
    eligibility_from,
    first_internship_day,
)

MIN_TRAVEL_KM = 1
MAX_TRAVEL_KM = 100


# Where, how far ---------------------------------------------------------------------------

def travel_limit(pupil: Pupil) -> float:
    """The distance the pupil said they can travel, else their school's default."""
    return float(pupil.max_travel_km or pupil.school.default_max_km)


def distance_km(pupil: Pupil, offer: Offer | OfferCard) -> float:
    """From where the pupil travels (``offer_search.pupil_origin``), to 100 m: what the wish
    page shows and sorts by."""
    origin = pupil_origin(pupil)
    return _km(int(distance_metres(origin.lat, origin.lon, offer.lat, offer.lon)))


# Campaign rules -----------------------------------------------------------------------------

def campaign_for(pupil: Pupil) -> Campaign | None:
    return current_campaign(pupil.level)


def is_editable(campaign: Campaign | None, today: dt.date | None = None) -> bool:
    today = today or clock.today()
    return (campaign is not None and campaign.state == CampaignState.OPEN
            and today <= campaign.requests_deadline)


def _check_editable(campaign: Campaign | None) -> Campaign:
    if campaign is None:
        raise ServiceError(_l("Aucune campagne de stages n'est ouverte pour ta classe."))
    if campaign.state != CampaignState.OPEN:
        raise ServiceError(_l("La campagne « %(name)s » n'est pas ouverte aux demandes : les "
                              "vœux ne peuvent pas être modifiés.", name=campaign.name))
    if clock.today() > campaign.requests_deadline:
        raise ServiceError(_l(
            "La date limite (%(date)s) est passée : la demande ne peut plus être modifiée.",
            date=campaign.requests_deadline.strftime("%d/%m/%Y")))
    return campaign


def request_of(pupil: Pupil, campaign: Campaign | None) -> Request | None:
    if campaign is None:
        return None
    # With its wishes, which every page of the request shows: one query, not two.
    return db.session.scalars(select(Request).where(
        Request.campaign_id == campaign.id, Request.pupil_id == pupil.id)
        .options(joinedload(Request.wishes))).unique().first()


def _editable_request(actor: User, pupil: Pupil) -> Request:
    campaign = _check_editable(campaign_for(pupil))
    if pupil.level != campaign.level:
        raise ServiceError(_l("Cette campagne n'est pas celle de ta classe."))
    request = request_of(pupil, campaign)
    if request is None:
        request = Request(campaign=campaign, pupil=pupil, state=RequestState.DRAFT)
        db.session.add(request)
    if request.state == RequestState.WITHDRAWN:
        raise ServiceError(_l("Cette demande a été retirée de la campagne (consentement "
                              "retiré) : elle ne peut plus être modifiée."))
    if request.state == RequestState.FOUND_OWN:
        raise ServiceError(_l("Tu as indiqué avoir trouvé un stage par toi-même : ta demande "
                              "est close. Demande à ton professeur si c'est une erreur."))
    return request


def _journal(actor: User, action: Event, request: Request, **details: object) -> None:
    request.updated_by_id = actor.id
    request.updated_at = utcnow()
    on_behalf = actor.role == Role.TEACHER
    journal.record(actor, action, request, pupil_id=request.pupil.id, on_behalf=on_behalf,
                   **details)


# Wishes ---------------------------------------------------------------------------------------

WishItem = tuple[str | None, int | None]  # (sector_code, offer_id)


def _items(request: Request) -> list[WishItem]:
    return [(w.sector_code, w.offer_id) for w in request.wishes]


def _write(request: Request, items: list[WishItem]) -> None:
    # Rewriting the list keeps ranks 1..n contiguous without fighting the (request, rank)
    # unique constraint mid-flush.
    request.wishes.clear()
    db.session.flush()
    for rank, (sector_code, offer_id) in enumerate(items, start=1):
        request.wishes.append(Wish(rank=rank, sector_code=sector_code, offer_id=offer_id))
    if not items and request.state == RequestState.CONFIRMED:
        request.state = RequestState.DRAFT
        request.confirmed_at = None


def add_wish(actor: User, pupil: Pupil, *, sector_code: str | None = None,
             offer_id: int | None = None) -> Request:
    require(actor, Action.PUPIL_REQUEST, pupil)
    if (sector_code is None) == (offer_id is None):
        raise ServiceError(_l("Choisis soit un secteur, soit une offre."))
    request = _editable_request(actor, pupil)
    items = _items(request)
    if len(items) >= MAX_WISHES:
        raise ServiceError(_l(
            "Tu as déjà %(max)s vœux, c'est le maximum. Retire un vœu avant d'en ajouter un "
            "autre.", max=MAX_WISHES))
    if offer_id is not None:
        offer = db.session.get(Offer, offer_id)
        if offer is None or not is_visible(offer):
            raise ServiceError(_l(
                "L'offre n°%(id)s n'existe pas ou n'est plus proposée. Choisis une offre dans "
                "la liste.", id=offer_id))
        if not _offer_for_level(offer, pupil.level):
            raise ServiceError(_l("Cette offre n'est pas proposée aux élèves de ton niveau."))
    else:
        if db.session.get(Sector, sector_code) is None:
            raise ServiceError(_l("Ce secteur n'existe pas. Choisis un secteur dans la liste."))
    item: WishItem = (sector_code, offer_id)
    if item in items:
        raise ServiceError(_l("Ce vœu est déjà dans ta liste (vœu n°%(rank)s).",
                              rank=items.index(item) + 1))
    _write(request, [*items, item])
    _journal(actor, Event.REQUEST_WISH_ADDED, request, sector=sector_code, offer=offer_id,
             rank=len(items) + 1)
    db.session.flush()
    return request


def _rank_index(items: list[WishItem], rank: int) -> int:
    if not 1 <= rank <= len(items):
        raise ServiceError(_l("Ce vœu n'existe plus : la liste a peut-être changé. Regarde-la "
                              "de nouveau."))
    return rank - 1


def remove_wish(actor: User, pupil: Pupil, rank: int) -> Request:
    require(actor, Action.PUPIL_REQUEST, pupil)
    request = _editable_request(actor, pupil)
    items = _items(request)
    removed = items.pop(_rank_index(items, rank))
    _write(request, items)
    _journal(actor, Event.REQUEST_WISH_REMOVED, request, rank=rank, sector=removed[0],
             offer=removed[1])
    db.session.flush()
    return request


def move_wish(actor: User, pupil: Pupil, rank: int, direction: str) -> Request:
    """Move a wish one place ``up`` (towards rank 1) or ``down``."""
    require(actor, Action.PUPIL_REQUEST, pupil)
    request = _editable_request(actor, pupil)
    items = _items(request)
    index = _rank_index(items, rank)
    target = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down") or not 0 <= target < len(items):
        raise ServiceError(_l("Ce vœu ne peut pas aller plus loin dans ce sens."))
    items[index], items[target] = items[target], items[index]
    _write(request, items)
    _journal(actor, Event.REQUEST_WISH_MOVED, request, rank=rank, to=target + 1)
    db.session.flush()
    return request


def set_preferences(actor: User, pupil: Pupil, *, max_travel_km: float,
                    needs_accessible: bool, has_network: bool | None) -> Request:
    require(actor, Action.PUPIL_REQUEST, pupil)
    request = _editable_request(actor, pupil)
    if not MIN_TRAVEL_KM <= max_travel_km <= MAX_TRAVEL_KM:
        raise ServiceError(_l("La distance doit être entre %(min)s et %(max)s km.",
                              min=MIN_TRAVEL_KM, max=MAX_TRAVEL_KM))
    pupil.max_travel_km = max_travel_km
    pupil.needs_accessible = needs_accessible
    request.has_network = has_network
    # has_network is not journaled in clear: only the audit reads it.
    _journal(actor, Event.REQUEST_PREFERENCES_SET, request, max_travel_km=max_travel_km,
             needs_accessible=needs_accessible)
    db.session.flush()
    return request


def confirm_request(actor: User, pupil: Pupil) -> Request:
    require(actor, Action.PUPIL_REQUEST, pupil)
    request = _editable_request(actor, pupil)
    if not request.wishes:
        raise ServiceError(_l("Choisis au moins un vœu avant de confirmer ta demande."))
    request.state = RequestState.CONFIRMED
    request.confirmed_at = utcnow()
    _journal(actor, Event.REQUEST_CONFIRMED, request, wishes=len(request.wishes))
    db.session.flush()
    return request


def declare_found_own(actor: User, pupil: Pupil) -> Request:
    """The pupil found an internship by their own means: they leave the campaign (counted)."""
    require(actor, Action.PUPIL_REQUEST, pupil)
    request = _editable_request(actor, pupil)
    request.state = RequestState.FOUND_OWN
    _journal(actor, Event.REQUEST_FOUND_OWN, request)
    db.session.flush()
    return request


# Offers and sectors a pupil can choose from ---------------------------------------------------

def _offer_for_level(offer: Offer, level: Level) -> bool:
    return offer.for_3e if level == Level.TROISIEME else offer.for_2de


def _seats_in(offer: OfferCard, campaign: Campaign, weeks: set[str]) -> int:
    return sum(w.seats for w in offer.weeks if w.campaign_id == campaign.id and w.week in weeks)


@dataclass
class OfferChoice:
    """An offer the pupil could get, as the offer index gives it; ``offer`` is loaded
    (``with_offers``) only for the choices a page shows."""

    offer_id: int
    sector_code: str
    distance_km: float
    seats: int  # seats during the school's weeks
    within_reach: bool
    accessible_ok: bool
    offer: OfferCard | None = None

    @property
    def commune_name(self) -> str:
        assert self.offer is not None  # with_offers gives it
        return self.offer.commune.name if self.offer.commune else self.offer.address


class PickerOption(NamedTuple):
    """One option of an offer dropdown: what it shows."""

    offer_id: int
    title: str
    place: str  # the commune, else the address
    distance_km: float
    within_reach: bool


def _km(metres: int) -> float:
    """What the pages show: the engine's distance (rounded metres), to 100 m."""
    return round(metres / 1000, 1)


def _within(metres: int, limit_km: float) -> bool:
    # The engine's rule: an offer is within reach if its rounded distance is at most the limit.
    return metres <= limit_km * 1000


def _choice_conditions(pupil: Pupil, campaign: Campaign) -> list[Any]:
    """The pupil's offers in the index: visible, their level, seats in their school's weeks,
    with the distance from where they travel (``offer_search.pupil_origin``)."""
    summary = OfferSummary
    for_level = summary.for_3e if pupil.level == Level.TROISIEME else summary.for_2de
    return [summary.campaign_id == campaign.id,
            summary.week.in_(select(CampaignSchoolWeek.week).where(
                CampaignSchoolWeek.campaign_id == campaign.id,
                CampaignSchoolWeek.school_id == pupil.school_id)),
            for_level.is_(True),
            OfferDistance.offer_id == summary.offer_id,
            OfferDistance.origin == pupil_origin_key(pupil)]


def _alike(pupil: Pupil, campaign: Campaign) -> tuple[Any, ...]:
    """What decides a pupil's choices: pupils alike share the cached ones."""
    return (pupil_origin_key(pupil), campaign.id, pupil.school_id, pupil.level.value,
            pupil.needs_accessible, travel_limit(pupil))


def offer_choices(pupil: Pupil, campaign: Campaign, sector_code: str | None = None,
                  limit: int | None = None, offset: int = 0) -> list[OfferChoice]:
    """The offers the pupil could get, nearest first, then by offer number: ``limit`` of them
    from ``offset``. Same visibility rule, origin and distances as the offer search and the
    matching (the offer index)."""
    return [replace(choice) for choice in offer_index.cached(
        ("offer_choices", *_alike(pupil, campaign), sector_code, limit, offset),
        lambda: _offer_choices(pupil, campaign, sector_code, limit, offset))]


def _offer_choices(pupil: Pupil, campaign: Campaign, sector_code: str | None,
                   limit: int | None, offset: int) -> list[OfferChoice]:
    summary = OfferSummary
    query = (select(summary.offer_id, summary.sector_code, summary.accessible,
                    OfferDistance.metres, func.sum(summary.seats))
             .where(*_choice_conditions(pupil, campaign))
             .group_by(summary.offer_id, summary.sector_code, summary.accessible,
                       OfferDistance.metres)
             .order_by(OfferDistance.metres, summary.offer_id).limit(limit).offset(offset))
    if sector_code is not None:
        query = query.where(summary.sector_code == sector_code)
    limit_km = travel_limit(pupil)
    return [OfferChoice(offer_id, sector, _km(metres), int(seats), _within(metres, limit_km),
                        accessible or not pupil.needs_accessible)
            for offer_id, sector, accessible, metres, seats in db.session.execute(query)]


def picker_options(pupil: Pupil, campaign: Campaign, size: int) -> tuple[PickerOption, ...]:
    """The ``size`` nearest offers as an offer dropdown lists them (immutable: pupils alike
    share them)."""
    return offer_index.cached(("picker", *_alike(pupil, campaign), size),
                              lambda: _picker_options(pupil, campaign, size))


def with_offers(choices: list[OfferChoice]) -> list[OfferChoice]:
    """Give ``choices`` the cards of their offers (what the pages show of them)."""
    offers = offer_cards.cards(c.offer_id for c in choices)
    for choice in choices:
        choice.offer = offers[choice.offer_id]
    return choices


def _picker_options(pupil: Pupil, campaign: Campaign, size: int) -> tuple[PickerOption, ...]:
    choices = _offer_choices(pupil, campaign, None, size, 0)
    if not choices:
        return ()
    # Title and place in one query: a dropdown needs no more of the offer.
    names = {offer_id: (title, commune or address) for offer_id, title, commune, address
             in db.session.execute(
                 select(Offer.id, Offer.title, Commune.name, Offer.address)
                 .outerjoin(Commune, Commune.code_insee == Offer.commune_code)
                 .where(Offer.id.in_([c.offer_id for c in choices])))}
    return tuple(PickerOption(c.offer_id, *names[c.offer_id], c.distance_km, c.within_reach)
                 for c in choices)


@dataclass
class SectorChoice:
    sector: SectorLabel
    offers: int  # offers the pupil could get
    within_reach: int  # of which near enough, and accessible if the pupil needs it
    suitable: int = 0  # accessible if the pupil needs it, near or not
    nearest_km: float | None = None  # the nearest of those


def sector_choices(pupil: Pupil, campaign: Campaign) -> list[SectorChoice]:
    """Every sector with the pupil's offers in it, counted in one grouped query."""
    counts = offer_index.cached(("sector_counts", *_alike(pupil, campaign)),
                                lambda: _sector_counts(pupil, campaign))
    result = []
    for sector in offer_cards.sector_labels():
        total, within, fitting, nearest = counts.get(sector.code, (0, 0, 0, None))
        result.append(SectorChoice(sector, int(total), int(within or 0), int(fitting or 0),
                                   _km(nearest) if nearest is not None else None))
    return result


def _sector_counts(pupil: Pupil, campaign: Campaign
                   ) -> dict[str, tuple[int, int, int, int | None]]:
    summary = OfferSummary
    offers = (select(summary.offer_id, summary.sector_code, summary.accessible,
                     OfferDistance.metres)
              .where(*_choice_conditions(pupil, campaign))
              .group_by(summary.offer_id, summary.sector_code, summary.accessible,
                        OfferDistance.metres).subquery())
    suitable = offers.c.accessible.is_(True) if pupil.needs_accessible else sa.true()
    near = sa.and_(suitable, offers.c.metres <= travel_limit(pupil) * 1000)
    return {sector: (total, within, fitting, nearest)
            for sector, total, within, fitting, nearest in db.session.execute(
                select(offers.c.sector_code, func.count(),
                       func.sum(sa.case((near, 1), else_=0)),
                       func.sum(sa.case((suitable, 1), else_=0)),
                       func.min(sa.case((suitable, offers.c.metres), else_=None)))
                .group_by(offers.c.sector_code))}


# The summary, with wishes that can never be met flagged --------------------------------------

@dataclass
class WishView:
    rank: int
    sector: Sector | SectorLabel | None
    offer: OfferCard | None
    distance_km: float | None = None
    problems: list[str] = field(default_factory=list)
    suggestion: str | None = None

    @property
    def label(self) -> str:
        if self.offer is not None:
            return self.offer.title
        return self.sector.label if self.sector is not None else ""


def wish_views(pupil: Pupil, campaign: Campaign, request: Request | None,
               sector_list: list[SectorChoice] | None = None) -> list[WishView]:
    """``sector_list``: the pupil's ``sector_choices`` if the caller already has them."""
    if request is None or not request.wishes:
        return []
    wishes = request.wishes
    offer_ids = [w.offer_id for w in wishes if w.offer_id is not None]
    offers = offer_cards.cards(offer_ids)
    by_sector: dict[str, SectorChoice] = {}
    if any(w.sector_code is not None for w in wishes):
        by_sector = {c.sector.code: c for c in (sector_list if sector_list is not None
                                                 else sector_choices(pupil, campaign))}
    weeks = school_weeks(campaign, pupil.school_id) if offer_ids else set()
    first_day = week_monday(min(weeks)) if weeks else None  # as first_internship_day
    limit = travel_limit(pupil)
    views = []
    for wish in wishes:
        if wish.offer_id is not None:
            offer = offers[wish.offer_id]
            view = WishView(wish.rank, offer.sector, offer, distance_km(pupil, offer))
            _flag_offer(view, offer, pupil, campaign, weeks, first_day, limit)
        else:
            choice = by_sector.get(wish.sector_code or "")
            view = WishView(wish.rank, choice.sector if choice else None, None)
            if choice is not None:
                _flag_sector(view, choice, limit)
        views.append(view)
    return views


def _flag_offer(view: WishView, offer: OfferCard, pupil: Pupil, campaign: Campaign,
                weeks: set[str], first_day: dt.date | None, limit: float) -> None:
    if not offer.visible:
        view.problems.append(str(_l("Cette offre n'est plus proposée.")))
    if _seats_in(offer, campaign, weeks) <= 0:
        view.problems.append(str(_l("Cette offre n'a pas de place pendant les semaines de "
                                    "stage de ton établissement.")))
    if view.distance_km is not None and view.distance_km > limit:
        view.problems.append(str(_l(
            "Elle est à %(distance)s km, plus loin que les %(limit)s km que tu peux faire.",
            distance=format_decimal(view.distance_km), limit=format_decimal(limit))))
    if pupil.needs_accessible and not offer.accessible:
        view.problems.append(str(_l("Ce lieu n'est pas indiqué comme accessible.")))
    if first_day is not None and age_on(pupil.birth_date, first_day) < offer.min_age:
        view.problems.append(str(_l("Cette offre demande d'avoir au moins %(age)s ans.",
                                    age=offer.min_age)))
    if view.problems:
        view.suggestion = str(_l(
            "Choisis plutôt le secteur « %(sector)s » ou une autre offre de ce secteur.",
            sector=offer.sector.label))


def _flag_sector(view: WishView, choice: SectorChoice, limit: float) -> None:
    if not choice.suitable:
        view.problems.append(str(_l("Aucune offre de ce secteur pour les semaines de stage de "
                                    "ton établissement.")))
        view.suggestion = str(_l("Choisis un autre secteur."))
    elif not choice.within_reach:
        view.problems.append(str(_l("Aucune offre de ce secteur à moins de %(limit)s km.",
                                    limit=format_decimal(limit))))
        view.suggestion = str(_l(
            "La plus proche est à %(distance)s km : augmente la distance que tu peux faire, "
            "ou choisis un autre secteur.", distance=format_decimal(choice.nearest_km)))


# What the assignment needs ----------------------------------------------------------------

@dataclass
class MatchingCandidate:
    """One eligible pupil as the matching adapter needs them; no name, no gender."""

    pupil_id: int
    request_id: int
    school_id: int
    wishes: list[tuple[int, str | None, int | None]]  # (rank, sector_code, offer_id)
    max_travel_km: float
    needs_accessible: bool
    age_on_first_day: int | None
    origin: tuple[float, float]
    weeks: list[str]


def matching_candidates(campaign: Campaign) -> list[MatchingCandidate]:
    """Confirmed requests of eligible pupils (consent checked), in pupil id order."""
    requests = db.session.scalars(
        select(Request).where(Request.campaign_id == campaign.id,
                              Request.state == RequestState.CONFIRMED)
        .options(selectinload(Request.wishes), selectinload(Request.pupil))
        .order_by(Request.pupil_id))
    weeks_cache: dict[int, list[str]] = {}
    result = []
    for request in requests:
        pupil = request.pupil
        if pupil.school_id not in weeks_cache:
            weeks_cache[pupil.school_id] = sorted(school_weeks(campaign, pupil.school_id))
        weeks = weeks_cache[pupil.school_id]
        first_day = week_monday(weeks[0]) if weeks else None  # as first_internship_day
        if not eligibility_from(pupil, campaign, first_day, request):
            continue
        home = pupil_origin(pupil)
        result.append(MatchingCandidate(
            pupil_id=pupil.id, request_id=request.id, school_id=pupil.school_id,
            wishes=[(w.rank, w.sector_code, w.offer_id) for w in request.wishes],
            max_travel_km=travel_limit(pupil), needs_accessible=pupil.needs_accessible,
            age_on_first_day=age_on(pupil.birth_date, first_day) if first_day else None,
            origin=(home.lat, home.lon), weeks=weeks,
        ))
    return result


# Why a confirmed request stays out of a round (counted on the round's page and audit).
LEFT_OUT_REASONS = ("no_consent", "no_wish", "no_age", "other_level")


def left_out_counts(campaign: Campaign) -> dict[str, int]:
    """How many confirmed requests the round leaves out, by reason: no guardian consent
    (under 15 on the first day), no wish, no age on the first day (the school has no
    internship week), or a pupil of another level. One reason per pupil: the first that
    applies, in the order of :func:`eligible_for_matching`'s checks."""
    counts = dict.fromkeys(LEFT_OUT_REASONS, 0)
    requests = db.session.scalars(
        select(Request).where(Request.campaign_id == campaign.id,
                              Request.state == RequestState.CONFIRMED)
        .options(selectinload(Request.wishes), selectinload(Request.pupil)))
    first_days: dict[int, dt.date | None] = {}
    for request in requests:
        pupil = request.pupil
        if pupil.school_id not in first_days:
            first_days[pupil.school_id] = first_internship_day(pupil, campaign)
        first_day = first_days[pupil.school_id]
        if pupil.level != campaign.level:
            counts["other_level"] += 1
        elif not request.wishes:
            counts["no_wish"] += 1
        elif first_day is None:
            counts["no_age"] += 1
        elif pupil.consent_on is None and age_on(pupil.birth_date, first_day) < CONSENT_AGE:
            counts["no_consent"] += 1
    return counts
