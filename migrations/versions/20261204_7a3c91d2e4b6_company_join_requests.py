"""company join requests: kept in the database and shown to the members

Revision ID: 7a3c91d2e4b6
Revises: 7a3c9e51d2f4
Create Date: 2026-12-04 15:40:00

The request's words are no longer mailed: members read them on their members' page.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7a3c91d2e4b6'
down_revision = '7a3c9e51d2f4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('company_join_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_company_join_requests_company_id_companies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_company_join_requests'))
    )
    with op.batch_alter_table('company_join_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_company_join_requests_company_id'), ['company_id'], unique=False)


def downgrade():
    with op.batch_alter_table('company_join_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_company_join_requests_company_id'))

    op.drop_table('company_join_requests')
