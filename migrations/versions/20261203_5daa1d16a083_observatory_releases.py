"""observatory releases: frozen figures, and the priority-area strata of questionnaire answers

Revision ID: 5daa1d16a083
Revises: e0856b209344
Create Date: 2026-12-03 20:07:58.034188

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5daa1d16a083'
down_revision = 'e0856b209344'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('observatory_releases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('campaign', 'annual', name='release_kind', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('scope', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('questionnaires', sa.JSON(), nullable=False),
    sa.Column('indicators', sa.JSON(), nullable=False),
    sa.Column('published', sa.JSON(), nullable=False),
    sa.Column('audit_tables', sa.JSON(), nullable=False),
    sa.CheckConstraint("(kind = 'campaign') = (campaign_id IS NOT NULL)", name=op.f('ck_observatory_releases_campaign_when_campaign_kind')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_observatory_releases_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_observatory_releases_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_observatory_releases')),
    sa.UniqueConstraint('scope', name=op.f('uq_observatory_releases_scope'))
    )
    with op.batch_alter_table('observatory_releases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_observatory_releases_campaign_id'), ['campaign_id'], unique=False)

    with op.batch_alter_table('questionnaire_invitations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('priority_area', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('qpv_resident', sa.Boolean(), nullable=True))

    with op.batch_alter_table('questionnaire_responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('priority_area', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('qpv_resident', sa.Boolean(), nullable=True))

    # Two steps: SQLite's table copy cannot add a column and a CHECK on it at once.
    for table in ('questionnaire_invitations', 'questionnaire_responses'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_check_constraint(
                op.f(f'ck_{table}_priority_area'), "priority_area IN ('REP', 'REP+', 'none')")



def downgrade():
    for table in ('questionnaire_invitations', 'questionnaire_responses'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f'ck_{table}_priority_area'), type_='check')

    with op.batch_alter_table('questionnaire_responses', schema=None) as batch_op:
        batch_op.drop_column('qpv_resident')
        batch_op.drop_column('priority_area')

    with op.batch_alter_table('questionnaire_invitations', schema=None) as batch_op:
        batch_op.drop_column('qpv_resident')
        batch_op.drop_column('priority_area')

    with op.batch_alter_table('observatory_releases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_observatory_releases_campaign_id'))

    op.drop_table('observatory_releases')
