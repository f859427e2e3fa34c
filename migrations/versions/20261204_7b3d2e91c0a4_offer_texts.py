"""offer texts: folded French stems of each offer, for the free-text search

Revision ID: 7b3d2e91c0a4
Revises: 5e1f0a9c3b27
Create Date: 2026-12-04 15:30:00

PostgreSQL searches them through a GIN index on to_tsvector('simple', words); SQLite through an
FTS5 table kept equal to offer_texts by triggers (SQLite only: the table is virtual, outside the
models' metadata). The rows are derived from the offers: after upgrading a database that has
offers, fill them with `stagebourse seed offer-index`.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7b3d2e91c0a4'
down_revision = '5e1f0a9c3b27'
branch_labels = None
depends_on = None

# As in stagebourse/models/offer_index.py, copied: a revision never imports application code.
SQLITE_FTS = (
    "CREATE VIRTUAL TABLE offer_texts_fts USING fts5("
    "words, content='offer_texts', content_rowid='offer_id')",
    "CREATE TRIGGER offer_texts_ai AFTER INSERT ON offer_texts BEGIN "
    "INSERT INTO offer_texts_fts(rowid, words) VALUES (new.offer_id, new.words); END",
    "CREATE TRIGGER offer_texts_ad AFTER DELETE ON offer_texts BEGIN "
    "INSERT INTO offer_texts_fts(offer_texts_fts, rowid, words) "
    "VALUES ('delete', old.offer_id, old.words); END",
    "CREATE TRIGGER offer_texts_au AFTER UPDATE ON offer_texts BEGIN "
    "INSERT INTO offer_texts_fts(offer_texts_fts, rowid, words) "
    "VALUES ('delete', old.offer_id, old.words); "
    "INSERT INTO offer_texts_fts(rowid, words) VALUES (new.offer_id, new.words); END",
)


def upgrade():
    op.create_table('offer_texts',
    sa.Column('offer_id', sa.Integer(), nullable=False),
    sa.Column('words', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['offer_id'], ['offers.id'], name=op.f('fk_offer_texts_offer_id_offers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('offer_id', name=op.f('pk_offer_texts'))
    )
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("CREATE INDEX ix_offer_texts_words ON offer_texts "
                   "USING gin (to_tsvector('simple'::regconfig, words))")
    elif op.get_bind().dialect.name == 'sqlite':
        for statement in SQLITE_FTS:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_offer_texts_words', table_name='offer_texts')
    elif op.get_bind().dialect.name == 'sqlite':
        op.execute("DROP TABLE offer_texts_fts")  # its triggers go with offer_texts
    op.drop_table('offer_texts')
