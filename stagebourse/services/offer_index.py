"""The offer pages' read models, kept current on every write.

A département has thousands of offers and tens of thousands of pupils who all look at them in
the same days; offers change rarely. So the work a page would repeat on every request is done
once, when an offer changes:

* ``offer_distances``: the distance from each origin (a commune's centre, a school) to each
  offer, in metres, the engine's rounded haversine (``matching.costs.distance_metres``), so that
  the pages and the assignment agree to the metre. Origins are few (tens in the métropole, a
  few hundred in a département): pupils travel from their home commune's centre or their
  school, never from an address.
* ``offer_summaries``: one row per visible offer and week with seats, with what the pages filter
  on (campaign, sector, levels, accessibility, commune, folded title).
* ``offer_texts``: the folded French stems of each offer's title, description and structure
  name (``search_words``), which the free-text search matches through each engine's full-text
  index (``models/offer_index.py``).

Pages then ask the database for the rows they show, in order, with an index. What many pupils
ask alike (the counts by sector of the offers from one origin, the nearest offers of a picker,
a page of search results) is kept in a small cache in the process, valid while the index's
token (``offer_index_state``, changed in the same transaction as the index) is the same.

Kept current by a session hook rather than by calls scattered in every service: any flush that
adds, changes or deletes an offer, an offer's week, a structure (its validation or Charter
state decides visibility), a commune or a school refreshes the rows of what it touched, in the
same transaction. A service cannot forget it, and a rollback undoes both.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, TypeVar, cast

import numpy as np
import sqlalchemy as sa
from sqlalchemy import event, select
from sqlalchemy.orm import Session, scoped_session

from stagebourse.extensions import db
from stagebourse.matching.costs import distance_metres
from stagebourse.models import (
    Campaign,
    CampaignSchoolWeek,
    Commune,
    Company,
    Offer,
    OfferWeek,
    School,
    Sector,
    Tutor,
)
from stagebourse.models.offer_index import (
    SQLITE_FTS_TABLE,
    OfferDistance,
    OfferIndexState,
    OfferSummary,
    OfferText,
)
from stagebourse.services import search_words
from stagebourse.services.offers import visible_offer_conditions

CHUNK = 500  # ids per IN (...) list: well under SQLite's limit on bound parameters
INSERT_BATCH = 20_000
DISTANCES = cast(sa.Table, OfferDistance.__table__)
SUMMARIES = cast(sa.Table, OfferSummary.__table__)
TEXTS = cast(sa.Table, OfferText.__table__)
AnySession = Session | scoped_session[Any]


def commune_origin(code_insee: str) -> str:
    return f"c:{code_insee}"


def school_origin(school_id: int) -> str:
    return f"s:{school_id}"


def _chunks(ids: Iterable[Any]) -> Iterator[list[Any]]:
    items = sorted(ids)
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]


def _insert(session: AnySession, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), INSERT_BATCH):
        session.execute(table.insert(), rows[start:start + INSERT_BATCH])


# Distances ------------------------------------------------------------------------------------

def _all_origins(session: AnySession) -> list[tuple[str, float, float]]:
    communes = session.execute(select(Commune.code_insee, Commune.lat, Commune.lon))
    schools = session.execute(select(School.id, School.lat, School.lon))
    return ([(commune_origin(code), lat, lon) for code, lat, lon in communes]
            + [(school_origin(sid), lat, lon) for sid, lat, lon in schools])


def _offer_points(session: AnySession, offer_ids: Sequence[int] | None
                  ) -> list[tuple[int, float, float]]:
    query = select(Offer.id, Offer.lat, Offer.lon)
    if offer_ids is None:
        return [tuple(row) for row in session.execute(query)]  # type: ignore[misc]
    return [tuple(row) for chunk in _chunks(offer_ids)  # type: ignore[misc]
            for row in session.execute(query.where(Offer.id.in_(chunk)))]


def _distance_rows(origins: list[tuple[str, float, float]],
                   offers: list[tuple[int, float, float]]) -> list[dict[str, Any]]:
    if not origins or not offers:
        return []
    origin_lat = np.array([o[1] for o in origins])[:, None]
    origin_lon = np.array([o[2] for o in origins])[:, None]
    offer_lat = np.array([o[1] for o in offers])[None, :]
    offer_lon = np.array([o[2] for o in offers])[None, :]
    metres = distance_metres(origin_lat, origin_lon, offer_lat, offer_lon).tolist()
    offer_ids = [o[0] for o in offers]
    return [{"origin": origin[0], "offer_id": offer_id, "metres": m}
            for origin, row in zip(origins, metres, strict=True)
            for offer_id, m in zip(offer_ids, row, strict=True)]


def refresh_distances(session: AnySession, offer_ids: set[int], origin_keys: set[str]) -> None:
    """Recompute the distances of the offers ``offer_ids`` (from every origin) and of the
    origins ``origin_keys`` (to every offer); origins that no longer exist lose theirs."""
    table = DISTANCES
    origins = _all_origins(session)
    for chunk in _chunks(origin_keys):
        session.execute(table.delete().where(table.c.origin.in_(chunk)))
    if origin_keys:
        changed = [o for o in origins if o[0] in origin_keys]
        _insert(session, table, _distance_rows(changed, _offer_points(session, None)))
    for chunk in _chunks(offer_ids):
        session.execute(table.delete().where(table.c.offer_id.in_(chunk)))
    if offer_ids:
        others = [o for o in origins if o[0] not in origin_keys]
        _insert(session, table, _distance_rows(others, _offer_points(session, list(offer_ids))))


# Summaries ------------------------------------------------------------------------------------

def _summary_query() -> Any:
    return (select(OfferWeek.offer_id, OfferWeek.week, OfferWeek.campaign_id, OfferWeek.seats,
                   Offer.sector_code, Offer.commune_code, Offer.for_3e, Offer.for_2de,
                   Offer.accessible, Offer.title)
            .join(Offer, Offer.id == OfferWeek.offer_id)
            .join(Company, Company.id == Offer.company_id)
            .where(*visible_offer_conditions(), OfferWeek.seats > 0))


def _summary_rows(session: AnySession, query: Any) -> list[dict[str, Any]]:
    return [{"offer_id": offer_id, "week": week, "campaign_id": campaign_id, "seats": seats,
             "sector_code": sector, "commune_code": commune, "for_3e": for_3e,
             "for_2de": for_2de, "accessible": accessible, "title_key": title.casefold()}
            for (offer_id, week, campaign_id, seats, sector, commune, for_3e, for_2de,
                 accessible, title) in session.execute(query)]


def refresh_summaries(session: AnySession, offer_ids: set[int]) -> None:
    table = SUMMARIES
    for chunk in _chunks(offer_ids):
        session.execute(table.delete().where(table.c.offer_id.in_(chunk)))
        _insert(session, table, _summary_rows(
            session, _summary_query().where(OfferWeek.offer_id.in_(chunk))))


# Texts ----------------------------------------------------------------------------------------

def _text_rows(session: AnySession, query: Any) -> list[dict[str, Any]]:
    return [{"offer_id": offer_id,
             "words": search_words.document(title, description, company)}
            for offer_id, title, description, company in session.execute(query)]


def _text_query() -> Any:
    # Every offer, visible or not: the search joins the summaries, which hold visible ones only.
    return (select(Offer.id, Offer.title, Offer.description, Company.name)
            .join(Company, Company.id == Offer.company_id))


def refresh_texts(session: AnySession, offer_ids: set[int]) -> None:
    table = TEXTS
    for chunk in _chunks(offer_ids):
        session.execute(table.delete().where(table.c.offer_id.in_(chunk)))
        _insert(session, table, _text_rows(session, _text_query().where(Offer.id.in_(chunk))))


def text_matches(session: AnySession, terms: list[str]) -> sa.Select[Any]:
    """The ids of the offers whose text has every stem of ``terms`` as the start of one of its
    own, answered by the engine's full-text index. ``terms`` come from
    ``search_words.query_terms``: letters and digits only, so they need no quoting."""
    if session.get_bind().dialect.name == "postgresql":
        # Written as in the index's expression, so that the planner uses the index.
        simple: sa.ColumnElement[Any] = sa.literal_column("'simple'::regconfig")
        query = " & ".join(f"{term}:*" for term in terms)
        return select(OfferText.offer_id).where(
            sa.func.to_tsvector(simple, OfferText.words).bool_op("@@")(
                sa.func.to_tsquery(simple, query)))
    fts = sa.table(SQLITE_FTS_TABLE, sa.column("rowid"))
    match = " AND ".join(f'"{term}"*' for term in terms)
    return select(fts.c.rowid).where(sa.literal_column(SQLITE_FTS_TABLE).op("MATCH")(match))


def rebuild() -> tuple[int, int]:
    """Rebuild the tables from the offers (after a migration, or to check them):
    returns (distances, summaries) written."""
    session = db.session
    for table in (DISTANCES, SUMMARIES, TEXTS):
        session.execute(table.delete())
    distances = _distance_rows(_all_origins(session), _offer_points(session, None))
    _insert(session, DISTANCES, distances)
    summaries = _summary_rows(session, _summary_query())
    _insert(session, SUMMARIES, summaries)
    _insert(session, TEXTS, _text_rows(session, _text_query()))
    _new_token(session)
    return len(distances), len(summaries)


# Keeping them current ---------------------------------------------------------------------------

@dataclass
class _Touched:
    offers: list[Offer | int] = field(default_factory=list)  # objects: ids come with the flush
    located: list[Offer] = field(default_factory=list)  # new or moved: distances too
    companies: list[Company] = field(default_factory=list)
    origins: list[Commune | School] = field(default_factory=list)
    gone_origins: set[str] = field(default_factory=set)
    # Anything the cached page data depend on: a campaign's state or weeks, a name.
    anything: bool = False


def _moved(obj: Offer | Commune | School) -> bool:
    state: Any = sa.inspect(obj)
    return bool(state.pending or state.attrs.lat.history.has_changes()
                or state.attrs.lon.history.has_changes())


_TOUCHED = "offer_index_touched"
# What the cached page data are read from (offer cards name the sector and the tutor).
CACHE_SOURCES = (Offer, OfferWeek, Company, Commune, School, Campaign, CampaignSchoolWeek,
                 Sector, Tutor)


@event.listens_for(Session, "before_flush")
def _note_changes(session: Session, _context: Any, _instances: Any) -> None:
    touched: _Touched = session.info.setdefault(_TOUCHED, _Touched())
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, CACHE_SOURCES):
            touched.anything = True
        if isinstance(obj, Offer):
            touched.offers.append(obj)
            if obj not in session.deleted and _moved(obj):
                touched.located.append(obj)
        elif isinstance(obj, OfferWeek):
            touched.offers.append(obj.offer_id if obj.offer_id is not None else obj.offer)
        elif isinstance(obj, Company):
            touched.companies.append(obj)
        elif isinstance(obj, Commune | School):
            if obj in session.deleted:
                touched.gone_origins.add(_origin_key(obj))
            elif _moved(obj):
                touched.origins.append(obj)


def _origin_key(obj: Commune | School) -> str:
    return commune_origin(obj.code_insee) if isinstance(obj, Commune) else school_origin(obj.id)


@event.listens_for(Session, "after_flush_postexec")
def _refresh(session: Session, _context: Any) -> None:
    touched: _Touched | None = session.info.pop(_TOUCHED, None)
    if touched is None:
        return
    offer_ids = {o if isinstance(o, int) else o.id for o in touched.offers}
    offer_ids.discard(None)  # an offer week deleted with its offer
    company_ids = {c.id for c in touched.companies}
    for chunk in _chunks(company_ids):
        offer_ids.update(session.scalars(select(Offer.id).where(Offer.company_id.in_(chunk))))
    if offer_ids:
        refresh_summaries(session, offer_ids)
        refresh_texts(session, offer_ids)
    located = {o.id for o in touched.located}
    origins = {_origin_key(o) for o in touched.origins} | touched.gone_origins
    if located or origins:
        refresh_distances(session, located, origins)
    if touched.anything:
        _new_token(session)


# What pages derive from the index, cached while it does not change --------------------------------

# Entries: the cards of a département's offers (5,000) and what many pupils ask alike.
CACHE_SIZE = 16_384
_cache: OrderedDict[Hashable, Any] = OrderedDict()
# Threads of a worker share the cache: an entry found may be evicted by another thread
# before it is read, unless finding and reading are one step.
_cache_lock = threading.Lock()
_MISSING = object()
_TOKEN = "offer_index_token"
T = TypeVar("T")
K = TypeVar("K", bound=Hashable)


def _new_token(session: AnySession) -> None:
    token = uuid.uuid4().hex  # never reused, even by a transaction rolled back
    state = cast(sa.Table, OfferIndexState.__table__)
    if not session.execute(state.update().values(token=token)).rowcount:  # type: ignore[attr-defined]
        session.execute(state.insert().values(id=1, token=token))
    session.info[_TOKEN] = token


def _token() -> str | None:
    # Read once per transaction: a request sees one state of the index.
    if _TOKEN not in db.session.info:
        db.session.info[_TOKEN] = db.session.scalar(select(OfferIndexState.token))
    return cast(str | None, db.session.info[_TOKEN])


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_token(session: Session) -> None:
    session.info.pop(_TOKEN, None)


def cached(key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, or its value for ``key`` computed earlier on the same index. Values are
    plain data (never ORM objects): they outlive the session."""
    token = _token()
    if token is None:
        return compute()
    full_key = (str(db.engine.url), token, key)
    value = _recall(full_key)
    if value is not _MISSING:
        return cast(T, value)
    value = compute()
    _remember(full_key, value)
    return value


def cached_each(kind: Hashable, keys: list[K], compute: Callable[[list[K]], dict[K, T]]
                ) -> dict[K, T]:
    """``cached`` for many keys at once: ``compute`` is called once, with the keys not known
    yet, and returns the values it finds (a key may have none)."""
    token = _token()
    if token is None:
        return compute(keys)
    prefix = (str(db.engine.url), token, kind)
    found: dict[K, T] = {}
    missing = []
    for key in keys:
        value = _recall((*prefix, key))
        if value is _MISSING:
            missing.append(key)
        else:
            found[key] = value
    if missing:
        for key, value in compute(missing).items():
            _remember((*prefix, key), value)
            found[key] = value
    return found


def _recall(full_key: Hashable) -> Any:
    """The value kept for ``full_key`` (now the most recently used), else ``_MISSING``."""
    with _cache_lock:
        value = _cache.get(full_key, _MISSING)
        if value is not _MISSING:
            _cache.move_to_end(full_key)
        return value


def _remember(full_key: Hashable, value: Any) -> None:
    with _cache_lock:
        _cache[full_key] = value
        if len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
