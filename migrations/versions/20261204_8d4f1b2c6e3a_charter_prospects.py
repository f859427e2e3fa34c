"""Charter signatories not registered yet: prospects invited once, reminded once, declining
for good

Revision ID: 8d4f1b2c6e3a
Revises: 7a3c91d2e4b6
Create Date: 2026-12-04 16:30:00
"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '8d4f1b2c6e3a'
down_revision = '7a3c91d2e4b6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('charter_prospects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_key', sa.String(length=200), nullable=False),
    sa.Column('siret', sa.String(length=14), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('token_expires_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('invited_at', sa.DateTime(), nullable=True),
    sa.Column('reminded_at', sa.DateTime(), nullable=True),
    sa.Column('declined_at', sa.DateTime(), nullable=True),
    sa.Column('joined_at', sa.DateTime(), nullable=True),
    sa.Column('company_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_charter_prospects_company_id_companies'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_charter_prospects')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_charter_prospects_token_hash'))
    )
    with op.batch_alter_table('charter_prospects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_charter_prospects_name_key'), ['name_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_charter_prospects_siret'), ['siret'], unique=False)


def downgrade():
    with op.batch_alter_table('charter_prospects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_charter_prospects_siret'))
        batch_op.drop_index(batch_op.f('ix_charter_prospects_name_key'))

    op.drop_table('charter_prospects')
