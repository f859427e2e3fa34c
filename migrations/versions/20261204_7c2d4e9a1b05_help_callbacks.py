"""help for victims: call-back requests (kept a few days) and their monthly counts

Revision ID: 7c2d4e9a1b05
Revises: 7b3d2e91c0a4
Create Date: 2026-12-04 15:30:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c2d4e9a1b05'
down_revision = '7b3d2e91c0a4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('callback_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=True),
    sa.Column('phone', sa.String(length=30), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('topic', sa.String(length=20), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_callback_requests'))
    )
    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_callback_requests_created_at'), ['created_at'], unique=False)

    op.create_table('callback_counts',
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('topic', sa.String(length=20), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('month', 'topic', name=op.f('pk_callback_counts'))
    )


def downgrade():
    op.drop_table('callback_counts')
    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_callback_requests_created_at'))

    op.drop_table('callback_requests')
