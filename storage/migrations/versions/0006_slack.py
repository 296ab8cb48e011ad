"""slack: team settings set from Slack, and the log of nudges sent

Revision ID: 0006_slack
Revises: 0007_digests
Create Date: 2026-11-26 09:00:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0006_slack'
down_revision = '0007_digests'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('slack_team_setting',
    sa.Column('team', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('digest_channel', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('weekly_budget_kwh', sa.Float(), nullable=True),
    sa.Column('weekly_budget_usd', sa.Float(), nullable=True),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('team')
    )
    op.create_table('slack_nudge',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('recipient', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('slack_user_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.Column('suggestion_id', sa.Integer(), nullable=True),
    sa.Column('team', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('week', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('local_day', sa.Date(), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('message_ts', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_slack_nudge_recipient_day', 'slack_nudge', ['recipient', 'local_day'])
    op.create_index('ix_slack_nudge_suggestion', 'slack_nudge', ['suggestion_id'])


def downgrade() -> None:
    op.drop_index('ix_slack_nudge_suggestion', table_name='slack_nudge')
    op.drop_index('ix_slack_nudge_recipient_day', table_name='slack_nudge')
    op.drop_table('slack_nudge')
    op.drop_table('slack_team_setting')
