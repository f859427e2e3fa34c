"""pupils indexed by school and class: the class board reads one class of a school

Revision ID: 9e1b7c3d5a20
Revises: 8d4f1b2c6e3a
Create Date: 2026-12-05 12:10:00

The index on the school alone is replaced: the new one serves its queries too.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '9e1b7c3d5a20'
down_revision = '8d4f1b2c6e3a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('pupils', schema=None) as batch_op:
        batch_op.create_index('ix_pupils_school_id_class_name', ['school_id', 'class_name'],
                              unique=False)
        batch_op.drop_index('ix_pupils_school_id')


def downgrade():
    with op.batch_alter_table('pupils', schema=None) as batch_op:
        batch_op.create_index('ix_pupils_school_id', ['school_id'], unique=False)
        batch_op.drop_index('ix_pupils_school_id_class_name')
