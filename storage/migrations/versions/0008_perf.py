"""perf: a covering index for the week's sums of usage roll-ups.

job_weeks sums a week of roll-ups three ways (per job, per job and day, per job and GPU).
With every column it reads in one index led by day, SQLite answers all three from the index
alone, in day order, instead of one table lookup per roll-up: on 1,000,000 roll-ups the three
sums take about half as long. The index replaces ix_usage_day, which is its first column.

Revision ID: 0008_perf
Revises: 0006_slack
Create Date: 2026-11-27 09:00:00
"""
from alembic import op

revision = '0008_perf'
down_revision = '0006_slack'
branch_labels = None
depends_on = None

COLUMNS = ['day', 'job_id', 'gpu_id', 'samples', 'gpu_s', 'energy_j', 'energy_estimated',
           'util_sum', 'util_max', 'mem_max_mib', 'first_ts', 'last_ts']


def upgrade() -> None:
    with op.batch_alter_table('usage', schema=None) as batch_op:
        batch_op.create_index('ix_usage_day_covering', COLUMNS, unique=False)
        batch_op.drop_index('ix_usage_day')


def downgrade() -> None:
    with op.batch_alter_table('usage', schema=None) as batch_op:
        batch_op.create_index('ix_usage_day', ['day'], unique=False)
        batch_op.drop_index('ix_usage_day_covering')
