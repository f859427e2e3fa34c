"""assignments indexed by pupil: the class board finds each pupil's placement among every round's

Revision ID: a4c8e2f61b37
Revises: 9e1b7c3d5a20
Create Date: 2026-12-05 19:40:00
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a4c8e2f61b37'
down_revision = '9e1b7c3d5a20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index('ix_assignments_pupil_id', ['pupil_id'], unique=False)


def downgrade():
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index('ix_assignments_pupil_id')
