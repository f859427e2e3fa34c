"""unlinkable storage: mixed responses (no rowid on SQLite), nameless class sheets to reprint

Revision ID: 5e1f0a9c2b7d
Revises: 5daa1d16a083
Create Date: 2026-12-03 20:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e1f0a9c2b7d'
down_revision = '5daa1d16a083'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('questionnaires', schema=None) as batch_op:
        batch_op.add_column(sa.Column('responses_mixed_at', sa.DateTime(), nullable=True))

    op.create_table('questionnaire_sheets',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('class_name', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_questionnaire_sheets_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_questionnaire_sheets_school_id_schools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaire_sheets')),
    sa.UniqueConstraint('campaign_id', 'school_id', 'class_name', name=op.f('uq_questionnaire_sheets_campaign_id_school_id_class_name'))
    )
    with op.batch_alter_table('questionnaire_sheets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questionnaire_sheets_campaign_id'), ['campaign_id'], unique=False)

    with op.batch_alter_table('questionnaire_invitations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sheet_id', sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f('ix_questionnaire_invitations_sheet_id'), ['sheet_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_questionnaire_invitations_sheet_id_questionnaire_sheets'), 'questionnaire_sheets', ['sheet_id'], ['id'])

    # SQLite numbers every row of an ordinary table (rowid) in the order of insertion: rebuild
    # the responses without one, so that they are stored in the order of their random ids.
    # PostgreSQL keeps the table; the mixing job takes care of its physical order.
    if op.get_bind().dialect.name == 'sqlite':
        with op.batch_alter_table('questionnaire_responses', recreate='always',
                                  table_kwargs={'sqlite_with_rowid': False}):
            pass


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        with op.batch_alter_table('questionnaire_responses', recreate='always'):
            pass

    with op.batch_alter_table('questionnaire_invitations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_questionnaire_invitations_sheet_id_questionnaire_sheets'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_questionnaire_invitations_sheet_id'))
        batch_op.drop_column('sheet_id')

    with op.batch_alter_table('questionnaire_sheets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questionnaire_sheets_campaign_id'))

    op.drop_table('questionnaire_sheets')
    with op.batch_alter_table('questionnaires', schema=None) as batch_op:
        batch_op.drop_column('responses_mixed_at')
