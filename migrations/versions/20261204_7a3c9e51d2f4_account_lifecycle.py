"""account lifecycle: when and why an account was closed; the observer role

Revision ID: 7a3c9e51d2f4
Revises: 1cfd853fac76
Create Date: 2026-12-04 15:40:00

``users.session_version`` already exists (bumped on sign-out): closing an account bumps it
too, so every session of the account dies at once.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7a3c9e51d2f4'
down_revision = '1cfd853fac76'
branch_labels = None
depends_on = None

ROLES_BEFORE = "role IN ('pupil', 'teacher', 'company', 'tutor', 'steering')"
ROLES_AFTER = "role IN ('pupil', 'teacher', 'company', 'tutor', 'steering', 'observer')"


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deactivated_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('deactivated_reason', sa.Text(), nullable=True))
        batch_op.drop_constraint(op.f('ck_users_role'), type_='check')
        batch_op.create_check_constraint(op.f('ck_users_role'), ROLES_AFTER)


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_role'), type_='check')
        batch_op.create_check_constraint(op.f('ck_users_role'), ROLES_BEFORE)
        batch_op.drop_column('deactivated_reason')
        batch_op.drop_column('deactivated_at')
