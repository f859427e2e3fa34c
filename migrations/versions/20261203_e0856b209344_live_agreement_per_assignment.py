"""one live agreement per assignment: a voided agreement stays beside its successor

A manual move of a confirmed assignment voids the agreement of the old placement and drafts a
new one for the new placement on the same assignment, so the unique constraint on
agreements.assignment_id becomes a unique index on the agreements that are not voided.

Revision ID: e0856b209344
Revises: cd47af3f419e
Create Date: 2026-12-03 20:25:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e0856b209344'
down_revision = 'cd47af3f419e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_agreements_assignment_id'), type_='unique')
        batch_op.create_index(batch_op.f('ix_agreements_assignment_id'), ['assignment_id'],
                              unique=False)
        batch_op.create_index('uq_agreements_live_assignment', ['assignment_id'], unique=True,
                              sqlite_where=sa.text("state != 'voided'"),
                              postgresql_where=sa.text("state != 'voided'"))


def downgrade():
    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.drop_index('uq_agreements_live_assignment',
                            sqlite_where=sa.text("state != 'voided'"),
                            postgresql_where=sa.text("state != 'voided'"))
        batch_op.drop_index(batch_op.f('ix_agreements_assignment_id'))
        batch_op.create_unique_constraint(batch_op.f('uq_agreements_assignment_id'),
                                          ['assignment_id'])
