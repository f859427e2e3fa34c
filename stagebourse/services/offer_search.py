"""Finding offers: one implementation for pupils, teachers and the steering group.

Sorting never favours anyone: by distance from the chosen point when there is one, else by
title; ties by offer number. There is no "featured" offer and no paid placement, and the
structure's name, age of the offer or number of wishes play no part.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TypeVar, cast

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from stagebourse.extensions import db
from stagebourse.geo import bounding_box, haversine_km
from stagebourse.identifiers import week_label
from stagebourse.models import (
    Campaign,
    CampaignState,
    Commune,
    Company,
    Level,
    Offer,
    OfferWeek,
    Pupil,
    Role,
    User,
)
from stagebourse.services.offers import company_offer, is_visible, visible_offer_conditions

PER_PAGE = 20
MAX_RADIUS_KM = 100


@dataclass
class Origin:
    lat: float
    lon: float
    label: str


@dataclass
class OfferFilters:
    sector: str | None = None
    commune: str | None = None  # where the offer is
    week: str | None = None
    level: str | None = None
    accessible: bool = False
    near: str | None = None  # INSEE code of the commune to measure from
    radius_km: float | None = None
    page: int = 1


@dataclass
class Hit:
    offer: Offer
    distance_km: float | None
    seats: int


@dataclass
class SearchResult:
    hits: list[Hit]
    total: int
    page: int
    pages: int
    origin: Origin | None
    sort: str  # "distance" or "title"
    weeks: list[tuple[str, str]] = field(default_factory=list)


def pupil_origin(pupil: Pupil) -> Origin:
    """Where a pupil travels from, for the search, the wish page and the matching: the home
    commune's centre if known, else the school (never an address, MISSION.md rule 6)."""
    if pupil.home_commune is not None:
        return Origin(pupil.home_commune.lat, pupil.home_commune.lon, pupil.home_commune.name)
    return Origin(pupil.school.lat, pupil.school.lon, pupil.school.name)


def distance_from(origin: Origin, offer: Offer) -> float:
    """Kilometres as the crow flies from ``origin`` to the offer's place."""
    return haversine_km(origin.lat, origin.lon, offer.lat, offer.lon)


def default_origin(user: User) -> Origin | None:
    """A pupil: home commune, else school; a teacher: their school; steering: none."""
    if user.role == Role.PUPIL and user.pupil is not None:
        return pupil_origin(user.pupil)
    if user.role == Role.TEACHER and user.school is not None:
        return Origin(user.school.lat, user.school.lon, user.school.name)
    return None


def default_level(user: User) -> str | None:
    if user.role == Role.PUPIL and user.pupil is not None:
        return user.pupil.level.value
    return None


def searchable_weeks() -> list[tuple[str, str]]:
    weeks = db.session.scalars(
        select(OfferWeek.week).distinct().join(Campaign, Campaign.id == OfferWeek.campaign_id)
        .where(Campaign.state != CampaignState.FINISHED, OfferWeek.seats > 0)
        .order_by(OfferWeek.week))
    return [(w, week_label(w)) for w in weeks]


T = TypeVar("T")


def page_of(items: list[T], page: int, per_page: int = PER_PAGE) -> tuple[list[T], int, int]:
    """The items of one page, the page number (kept within 1..pages) and the page count."""
    pages = max(1, math.ceil(len(items) / per_page))
    page = min(max(1, page), pages)
    return items[(page - 1) * per_page: page * per_page], page, pages


def search_offers(user: User, filters: OfferFilters, per_page: int = PER_PAGE,
                  paginate: bool = True) -> SearchResult:
    """Filter in SQL, reading a few columns per offer (a département has thousands); measure
    and sort here; then load whole offers for the page shown only."""
    origin = default_origin(user)
    if filters.near:
        commune = db.session.get(Commune, filters.near)
        if commune is not None:
            origin = Origin(commune.lat, commune.lon, commune.name)
    # Seats are those of live campaigns (not finished), of the level and week asked for.
    seats = func.sum(OfferWeek.seats)
    query = (select(Offer.id, Offer.title, Offer.lat, Offer.lon, seats)
             .join(Company, Company.id == Offer.company_id)
             .join(OfferWeek, OfferWeek.offer_id == Offer.id)
             .join(Campaign, Campaign.id == OfferWeek.campaign_id)
             .where(*visible_offer_conditions(), OfferWeek.seats > 0,
                    Campaign.state != CampaignState.FINISHED)
             .group_by(Offer.id, Offer.title, Offer.lat, Offer.lon))
    if filters.sector:
        query = query.where(Offer.sector_code == filters.sector)
    if filters.commune:
        query = query.where(Offer.commune_code == filters.commune)
    if filters.accessible:
        query = query.where(Offer.accessible.is_(True))
    if filters.level == Level.TROISIEME.value:
        query = query.where(Offer.for_3e.is_(True), Campaign.level == Level.TROISIEME)
    elif filters.level == Level.SECONDE.value:
        query = query.where(Offer.for_2de.is_(True), Campaign.level == Level.SECONDE)
    if filters.week:
        query = query.where(OfferWeek.week == filters.week)
    radius = filters.radius_km if origin is not None else None
    if radius is not None:
        radius = max(0.5, min(float(radius), MAX_RADIUS_KM))
        lat_min, lat_max, lon_min, lon_max = bounding_box(origin.lat, origin.lon, radius)  # type: ignore[union-attr]
        query = query.where(Offer.lat.between(lat_min, lat_max),
                            Offer.lon.between(lon_min, lon_max))
    rows = []
    for offer_id, title, lat, lon, offer_seats in db.session.execute(query):
        distance = (haversine_km(origin.lat, origin.lon, lat, lon)
                    if origin is not None else None)
        if radius is not None and distance is not None and distance > radius:
            continue
        rows.append((offer_id, title, distance, int(offer_seats)))
    if origin is not None:
        rows.sort(key=lambda r: (round(cast(float, r[2]), 3), r[1].casefold(), r[0]))
    else:
        rows.sort(key=lambda r: (r[1].casefold(), r[0]))
    total = len(rows)
    shown, page, pages = page_of(rows, filters.page, per_page)
    if paginate:
        rows = shown
    offers = {offer.id: offer for offer in db.session.scalars(
        select(Offer).where(Offer.id.in_([r[0] for r in rows]))
        .options(selectinload(Offer.weeks), selectinload(Offer.sector),
                 selectinload(Offer.commune), selectinload(Offer.company)))}
    hits = [Hit(offers[offer_id], distance, offer_seats)
            for offer_id, _title, distance, offer_seats in rows]
    return SearchResult(hits, total, page, pages, origin,
                        "distance" if origin is not None else "title", searchable_weeks())


def visible_offer(user: User, offer_id: int) -> Offer | None:
    """The offer page: pupils and teachers see visible offers only; steering sees all."""
    offer = db.session.get(Offer, offer_id)
    if offer is None:
        return None
    if user.role == Role.STEERING:
        return offer
    if not is_visible(offer):
        return None
    return offer


def distance_to(user: User, offer: Offer) -> float | None:
    origin = default_origin(user)
    if origin is None:
        return None
    return distance_from(origin, offer)


def offer_for(actor: User, offer_id: int) -> Offer | None:
    """The offer as this user may reach it: a structure its own offers (drafts included);
    pupils, teachers and the steering group what the offer search shows them; else None."""
    if actor.role == Role.COMPANY:
        return company_offer(actor.company_id, offer_id)
    if actor.role in (Role.PUPIL, Role.TEACHER, Role.STEERING):
        return visible_offer(actor, offer_id)
    return None
