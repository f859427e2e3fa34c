"""host decisions: reasons of a host's decline, withdrawal requests after the reveal

Revision ID: cd47af3f419e
Revises: 1a6348df24a8
Create Date: 2026-12-03 20:02:08.032330

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'cd47af3f419e'
down_revision = '1a6348df24a8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('withdrawal_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Enum('seat_gone', 'tutor_unavailable', 'accessibility', 'other', name='host_reason', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('state', sa.Enum('pending', 'accepted', 'refused', name='withdrawal_state', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.CheckConstraint("(state = 'pending') = (decided_at IS NULL)", name=op.f('ck_withdrawal_requests_decided_when_not_pending')),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_withdrawal_requests_assignment_id_assignments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_withdrawal_requests_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_withdrawal_requests_requested_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_withdrawal_requests'))
    )
    with op.batch_alter_table('withdrawal_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_withdrawal_requests_assignment_id'), ['assignment_id'], unique=False)

    # Two steps: SQLite's table copy cannot add a column and a CHECK on it at once.
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('host_reason', sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column('host_reason_note', sa.Text(), nullable=True))
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f('ck_assignments_host_reason'),
            "host_reason IN ('seat_gone', 'tutor_unavailable', 'accessibility', 'other')")



def downgrade():
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_assignments_host_reason'), type_='check')
        batch_op.drop_column('host_reason_note')
        batch_op.drop_column('host_reason')

    with op.batch_alter_table('withdrawal_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_withdrawal_requests_assignment_id'))

    op.drop_table('withdrawal_requests')
