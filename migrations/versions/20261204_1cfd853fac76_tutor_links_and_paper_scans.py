"""tutor links (hashed, expiring, revocable) and host paper scans awaiting the steering group

Revision ID: 1cfd853fac76
Revises: 7c2d4e9a1b05
Create Date: 2026-12-04 15:09:25
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1cfd853fac76'
down_revision = '7c2d4e9a1b05'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('tutor_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tutor_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('length(token_hash) = 64', name=op.f('ck_tutor_links_token_hash')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_tutor_links_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'], name=op.f('fk_tutor_links_revoked_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tutor_id'], ['tutors.id'], name=op.f('fk_tutor_links_tutor_id_tutors'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tutor_links')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_tutor_links_token_hash'))
    )
    with op.batch_alter_table('tutor_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tutor_links_tutor_id'), ['tutor_id'], unique=False)

    op.create_table('agreement_paper_scans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('party', sa.Enum('school', 'host', 'pupil', 'guardian', name='agreement_party', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('signer_name', sa.String(length=200), nullable=False),
    sa.Column('scan_file', sa.String(length=300), nullable=False),
    sa.Column('scan_sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.Enum('pending', 'validated', 'refused', name='paper_scan_state', native_enum=False, create_constraint=True, length=24), server_default='pending', nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('refusal_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], name=op.f('fk_agreement_paper_scans_agreement_id_agreements'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_agreement_paper_scans_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_agreement_paper_scans_uploaded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreement_paper_scans'))
    )
    with op.batch_alter_table('agreement_paper_scans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreement_paper_scans_agreement_id'), ['agreement_id'], unique=False)



def downgrade():
    with op.batch_alter_table('agreement_paper_scans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agreement_paper_scans_agreement_id'))

    op.drop_table('agreement_paper_scans')
    with op.batch_alter_table('tutor_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tutor_links_tutor_id'))

    op.drop_table('tutor_links')
