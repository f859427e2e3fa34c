"""Finding offers: one implementation for pupils, teachers and the steering group.

Words typed in the search box narrow the offers like any other filter (every word must be
found in the offer's title, description or structure name, ``search_words``) and change
nothing in the order.

Sorting never favours anyone: by distance from the chosen point when there is one, else by
title; ties by offer number. There is no "featured" offer and no paid placement, and the
structure's name, age of the offer or number of wishes play no part.
"""

from __future__ import annotations

import math
from dataclasses import astuple, dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func, select

from stagebourse.extensions import db
from stagebourse.identifiers import week_label
from stagebourse.matching.costs import distance_metres
from stagebourse.models import (
    Campaign,
    CampaignState,
    Commune,
    Level,
    Offer,
    OfferDistance,
    OfferSummary,
    Pupil,
    Role,
    User,
)
from stagebourse.services import offer_cards, offer_index, search_words
from stagebourse.services.offer_cards import OfferCard
from stagebourse.services.offers import company_offer

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
    q: str | None = None  # words typed in the search box
    page: int = 1


@dataclass
class Hit:
    offer: OfferCard
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


def distance_from(origin: Origin, offer: Offer | OfferCard) -> float:
    """Kilometres as the crow flies from ``origin`` to the offer's place: the engine's
    rounded metres, as in the offer index."""
    return int(distance_metres(origin.lat, origin.lon, offer.lat, offer.lon)) / 1000


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
    return list(offer_index.cached(("weeks",), lambda: [
        (w, week_label(w)) for w in db.session.scalars(
            select(OfferSummary.week).distinct()
            .where(OfferSummary.campaign_id.in_(_live_campaigns()))
            .order_by(OfferSummary.week))]))


def _live_campaigns(level: Level | None = None) -> sa.Select[Any]:
    query = select(Campaign.id).where(Campaign.state != CampaignState.FINISHED)
    return query if level is None else query.where(Campaign.level == level)


def page_bounds(total: int, page: int, per_page: int = PER_PAGE) -> tuple[int, int]:
    """The page number kept within 1..pages, and the page count, for ``total`` items."""
    pages = max(1, math.ceil(total / per_page))
    return min(max(1, page), pages), pages


def origin_key(user: User, filters: OfferFilters) -> tuple[Origin | None, str | None]:
    """Where distances are measured from, and its key in ``offer_distances``."""
    if filters.near:
        commune = db.session.get(Commune, filters.near)
        if commune is not None:
            return (Origin(commune.lat, commune.lon, commune.name),
                    offer_index.commune_origin(commune.code_insee))
    if user.role == Role.PUPIL and user.pupil is not None:
        return pupil_origin(user.pupil), pupil_origin_key(user.pupil)
    if user.role == Role.TEACHER and user.school is not None:
        school = user.school
        return Origin(school.lat, school.lon, school.name), offer_index.school_origin(school.id)
    return None, None


def search_offers(user: User, filters: OfferFilters, per_page: int = PER_PAGE,
                  paginate: bool = True) -> SearchResult:
    """Filter, sort and page in SQL on the offer index (``offer_index``): the database returns
    the offers of the page shown, nearest first through the distance index; whole offers are
    then loaded for those only."""
    origin, key = origin_key(user, filters)
    summary, distance = OfferSummary, OfferDistance
    level = Level(filters.level) if filters.level in (Level.TROISIEME.value,
                                                      Level.SECONDE.value) else None
    conditions: list[Any] = [summary.campaign_id.in_(_live_campaigns(level))]
    if filters.sector:
        conditions.append(summary.sector_code == filters.sector)
    if filters.commune:
        conditions.append(summary.commune_code == filters.commune)
    if filters.accessible:
        conditions.append(summary.accessible.is_(True))
    if level == Level.TROISIEME:
        conditions.append(summary.for_3e.is_(True))
    elif level == Level.SECONDE:
        conditions.append(summary.for_2de.is_(True))
    if filters.week:
        conditions.append(summary.week == filters.week)
    terms = search_words.query_terms(filters.q)
    if terms:
        conditions.append(summary.offer_id.in_(offer_index.text_matches(db.session, terms)))
    if key is not None:
        conditions.append(distance.origin == key)
        if filters.radius_km is not None:
            radius = max(0.5, min(float(filters.radius_km), MAX_RADIUS_KM))
            conditions.append(distance.metres <= round(radius * 1000))
    query = select(summary.offer_id, func.sum(summary.seats)).where(*conditions)
    count = select(func.count(func.distinct(summary.offer_id))).where(*conditions)
    if key is not None:
        joined = distance.offer_id == summary.offer_id
        query = (query.join(distance, joined).add_columns(distance.metres)
                 .group_by(summary.offer_id, distance.metres, summary.title_key)
                 .order_by(distance.metres, summary.title_key, summary.offer_id))
        count = count.join(distance, joined)
    else:
        query = (query.group_by(summary.offer_id, summary.title_key)
                 .order_by(summary.title_key, summary.offer_id))

    def found() -> tuple[int, int, int, list[tuple[Any, ...]]]:
        total = db.session.scalar(count) or 0
        page, pages = page_bounds(total, filters.page, per_page)
        paged = query.limit(per_page).offset((page - 1) * per_page) if paginate else query
        return total, page, pages, [tuple(row) for row in db.session.execute(paged)]

    total, page, pages, rows = offer_index.cached(
        ("search", key, astuple(filters), per_page, paginate), found)
    offers = offer_cards.cards(row[0] for row in rows)
    hits = [Hit(offers[row[0]], row[-1] / 1000 if key is not None else None, int(row[1]))
            for row in rows]
    return SearchResult(hits, total, page, pages, origin,
                        "distance" if origin is not None else "title", searchable_weeks())


def pupil_origin_key(pupil: Pupil) -> str:
    """The key of ``pupil_origin`` in ``offer_distances``."""
    if pupil.home_commune_code is not None:
        return offer_index.commune_origin(pupil.home_commune_code)
    return offer_index.school_origin(pupil.school_id)


def visible_offer(user: User, offer_id: int) -> OfferCard | None:
    """The offer page: pupils and teachers see visible offers only; steering sees all."""
    offer = offer_cards.card(offer_id)
    if offer is None or (user.role != Role.STEERING and not offer.visible):
        return None
    return offer


def distance_to(user: User, offer: Offer | OfferCard) -> float | None:
    origin = default_origin(user)
    if origin is None:
        return None
    return distance_from(origin, offer)


def offer_for(actor: User, offer_id: int) -> Offer | OfferCard | None:
    """The offer as this user may reach it: a structure its own offers (drafts included);
    pupils, teachers and the steering group what the offer search shows them; else None."""
    if actor.role == Role.COMPANY:
        return company_offer(actor.company_id, offer_id)
    if actor.role in (Role.PUPIL, Role.TEACHER, Role.STEERING):
        return visible_offer(actor, offer_id)
    return None
