"""offer index: distances from each origin to each offer, visible offers' seats per week

Revision ID: 5e1f0a9c3b27
Revises: 5e1f0a9c2b7d
Create Date: 2026-12-03 20:20:00

The tables are derived from the offers: after upgrading a database that has offers, fill
them with `stagebourse seed offer-index`.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e1f0a9c3b27'
down_revision = '5e1f0a9c2b7d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('offer_distances',
    sa.Column('origin', sa.String(length=20), nullable=False),
    sa.Column('offer_id', sa.Integer(), nullable=False),
    sa.Column('metres', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['offer_id'], ['offers.id'], name=op.f('fk_offer_distances_offer_id_offers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('origin', 'offer_id', name=op.f('pk_offer_distances'))
    )
    with op.batch_alter_table('offer_distances', schema=None) as batch_op:
        batch_op.create_index('ix_offer_distances_origin_metres', ['origin', 'metres', 'offer_id'], unique=False)

    op.create_table('offer_summaries',
    sa.Column('offer_id', sa.Integer(), nullable=False),
    sa.Column('week', sa.String(length=8), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('seats', sa.Integer(), nullable=False),
    sa.Column('sector_code', sa.String(length=40), nullable=False),
    sa.Column('commune_code', sa.String(length=10), nullable=True),
    sa.Column('for_3e', sa.Boolean(), nullable=False),
    sa.Column('for_2de', sa.Boolean(), nullable=False),
    sa.Column('accessible', sa.Boolean(), nullable=False),
    sa.Column('title_key', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_offer_summaries_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['offer_id'], ['offers.id'], name=op.f('fk_offer_summaries_offer_id_offers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('offer_id', 'week', name=op.f('pk_offer_summaries'))
    )
    with op.batch_alter_table('offer_summaries', schema=None) as batch_op:
        batch_op.create_index('ix_offer_summaries_campaign_sector', ['campaign_id', 'sector_code'], unique=False)
        batch_op.create_index('ix_offer_summaries_campaign_week', ['campaign_id', 'week'], unique=False)

    op.create_table('offer_index_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offer_index_state'))
    )


def downgrade():
    op.drop_table('offer_index_state')
    with op.batch_alter_table('offer_summaries', schema=None) as batch_op:
        batch_op.drop_index('ix_offer_summaries_campaign_week')
        batch_op.drop_index('ix_offer_summaries_campaign_sector')
    op.drop_table('offer_summaries')
    with op.batch_alter_table('offer_distances', schema=None) as batch_op:
        batch_op.drop_index('ix_offer_distances_origin_metres')
    op.drop_table('offer_distances')
