"""Read models of the offer pages, derived from offers and kept current on every write
(``services/offer_index.py``): the distance from each origin a pupil can travel from to each
offer, and one row per visible offer and week with seats. Never edited by hand; rebuilt in full
by ``stagebourse seed offer-index``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from stagebourse.models.base import Base


class OfferDistance(Base):
    """Metres from an origin to an offer, the engine's rounded haversine. ``origin`` is
    ``c:<INSEE code>`` for a commune's centre, ``s:<school id>`` for a school."""

    __tablename__ = "offer_distances"

    origin: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    offer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("offers.id", ondelete="CASCADE"), primary_key=True)
    metres: Mapped[int]

    # Nearest first, and covering: the pages read (offer, metres) of one origin from it alone.
    __table_args__ = (
        sa.Index("ix_offer_distances_origin_metres", "origin", "metres", "offer_id"),)

    def __repr__(self) -> str:
        return f"<OfferDistance {self.origin} {self.offer_id} {self.metres} m>"


class OfferSummary(Base):
    """A visible offer's seats on one week of a campaign, with what the pages filter on. Only
    offers pupils may see (published, structure validated) and weeks with seats have rows."""

    __tablename__ = "offer_summaries"

    offer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("offers.id", ondelete="CASCADE"), primary_key=True)
    week: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"))
    seats: Mapped[int]
    sector_code: Mapped[str] = mapped_column(sa.String(40))
    commune_code: Mapped[str | None] = mapped_column(sa.String(10))
    for_3e: Mapped[bool]
    for_2de: Mapped[bool]
    accessible: Mapped[bool]
    # The title folded as Python folds it, so that ties sort alike on SQLite and PostgreSQL.
    title_key: Mapped[str] = mapped_column(sa.String(200))

    __table_args__ = (
        sa.Index("ix_offer_summaries_campaign_sector", "campaign_id", "sector_code"),
        sa.Index("ix_offer_summaries_campaign_week", "campaign_id", "week"),
    )

    def __repr__(self) -> str:
        return f"<OfferSummary {self.offer_id} {self.week} {self.seats}>"


class OfferIndexState(Base):
    """One row: a token that changes with every change of the index, in the same transaction.
    Caches of what the pages derive from the index are valid while the token is the same."""

    __tablename__ = "offer_index_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(32))

    def __repr__(self) -> str:
        return f"<OfferIndexState {self.token}>"


class OfferText(Base):
    """What the free-text search matches: the offer's title, description and structure name,
    as folded French stems (``services/search_words.py``), distinct, separated by spaces.

    Both engines search these same stems, so they find the same offers (indexes below):
    PostgreSQL through a GIN index on ``to_tsvector('simple', words)`` (``simple``, not
    ``french``: the words are stemmed already, and PostgreSQL's French stemmer would stem the
    stems again, unlike SQLite), SQLite through the FTS5 table ``offer_texts_fts``."""

    __tablename__ = "offer_texts"

    offer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("offers.id", ondelete="CASCADE"), primary_key=True)
    words: Mapped[str] = mapped_column(sa.Text)

    def __repr__(self) -> str:
        return f"<OfferText {self.offer_id}>"


# The full-text indexes are each engine's own, outside the metadata (SQLAlchemy cannot hold a
# virtual table, nor compare an index on an expression on SQLite): the migration creates them,
# and so does ``metadata.create_all`` (the tests' schema) through the events below.
#
# PostgreSQL's: a GIN index on the expression the search queries.
POSTGRESQL_INDEX = "ix_offer_texts_words"
POSTGRESQL_DDL = (f"CREATE INDEX IF NOT EXISTS {POSTGRESQL_INDEX} ON offer_texts "
                  "USING gin (to_tsvector('simple'::regconfig, words))")
# SQLite's full-text index of ``offer_texts``: an FTS5 table reading its text from there
# (external content), kept current by triggers, so that whatever writes ``offer_texts`` (the
# index's session hook, a cascade from a deleted offer, a test emptying the tables) updates it.
SQLITE_FTS_TABLE = "offer_texts_fts"
SQLITE_FTS_DDL = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {SQLITE_FTS_TABLE} USING fts5("
    "words, content='offer_texts', content_rowid='offer_id')",
    "CREATE TRIGGER IF NOT EXISTS offer_texts_ai AFTER INSERT ON offer_texts BEGIN "
    f"INSERT INTO {SQLITE_FTS_TABLE}(rowid, words) VALUES (new.offer_id, new.words); END",
    "CREATE TRIGGER IF NOT EXISTS offer_texts_ad AFTER DELETE ON offer_texts BEGIN "
    f"INSERT INTO {SQLITE_FTS_TABLE}({SQLITE_FTS_TABLE}, rowid, words) "
    "VALUES ('delete', old.offer_id, old.words); END",
    "CREATE TRIGGER IF NOT EXISTS offer_texts_au AFTER UPDATE ON offer_texts BEGIN "
    f"INSERT INTO {SQLITE_FTS_TABLE}({SQLITE_FTS_TABLE}, rowid, words) "
    "VALUES ('delete', old.offer_id, old.words); "
    f"INSERT INTO {SQLITE_FTS_TABLE}(rowid, words) VALUES (new.offer_id, new.words); END",
)
SQLITE_FTS_DROP = f"DROP TABLE IF EXISTS {SQLITE_FTS_TABLE}"  # the triggers go with offer_texts


def in_schema_comparison(dialect: str) -> Callable[..., bool]:
    """An ``include_object`` for Alembic's comparison of the models with a database of
    ``dialect``, leaving out the full-text indexes above, which are no metadata: SQLite's FTS5
    table with the shadow tables SQLite keeps for it (``offer_texts_fts_data``…), and
    PostgreSQL's GIN index."""

    def include(_object: Any, name: str | None, type_: str, _reflected: bool,
                _compare_to: Any) -> bool:
        if dialect == "sqlite" and type_ == "table" and name is not None:
            return not (name == SQLITE_FTS_TABLE or name.startswith(SQLITE_FTS_TABLE + "_"))
        return not (dialect == "postgresql" and type_ == "index" and name == POSTGRESQL_INDEX)

    return include


def _ddl(statement: str, dialect: str) -> sa.ExecutableDDLElement:
    return sa.DDL(statement).execute_if(dialect=dialect)  # type: ignore[no-untyped-call]


_texts = OfferText.__table__
for _statement in SQLITE_FTS_DDL:
    sa.event.listen(_texts, "after_create", _ddl(_statement, "sqlite"))
sa.event.listen(_texts, "before_drop", _ddl(SQLITE_FTS_DROP, "sqlite"))
sa.event.listen(_texts, "after_create", _ddl(POSTGRESQL_DDL, "postgresql"))
