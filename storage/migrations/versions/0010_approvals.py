"""approvals: claims that make each Slack direct message go out once, however many nudgers run.

slack_claim holds one row per claimed key (a suggestion on a day, a person's message slot on a
day, a job's slot on a day); its unique key lets one of several processes win each claim.

Revision ID: 0010_approvals
Revises: 0009_ledger
Create Date: 2026-11-30 21:00:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0010_approvals'
down_revision = '0009_ledger'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'slack_claim',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('key', sa.String(), nullable=False),
        sa.Column('claimed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.UniqueConstraint('key', name='uq_slack_claim_key'),
    )


def downgrade() -> None:
    op.drop_table('slack_claim')
