"""ledger: one judged week, written by refresh and read by every surface; runs for suggestions.

ledger_week says when a week was judged and whether data arrived since; ledger_run,
ledger_team and ledger_cluster hold its rows (the numbers as columns, the rest as JSON).
A suggestion now belongs to a run of a job (run_key), so a reused job name gives new
suggestions instead of rewriting old ones; a job id reused by another team or user is a new
incarnation of the job (job.incarnation), so past weeks keep their owner.

Revision ID: 0009_ledger
Revises: 0008_perf
Create Date: 2026-11-30 20:00:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0009_ledger'
down_revision = '0008_perf'
branch_labels = None
depends_on = None
# Names SQLite's unnamed unique constraints so that batch mode can drop one.
NAMES = {'uq': 'uq_%(table_name)s_%(column_0_N_name)s'}


def upgrade() -> None:
    op.create_table(
        'ledger_week',
        sa.Column('week', sa.String(), primary_key=True),
        sa.Column('judge', sa.String(), nullable=False),
        sa.Column('refreshed_at', sa.Float(), nullable=False),
        sa.Column('data_through_ts', sa.BigInteger(), nullable=True),
        sa.Column('hours', sa.Float(), nullable=False),
        sa.Column('stale', sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column('clusters', sa.JSON(), nullable=False),
    )
    op.create_table(
        'ledger_team',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('week', sa.String(), nullable=False),
        sa.Column('team', sa.String(), nullable=False),
        sa.Column('label', sa.String(), nullable=True),
        sa.Column('score', sa.Float(), nullable=True),
        sa.Column('rank', sa.Integer(), nullable=True),
        sa.Column('teams_ranked', sa.Integer(), nullable=False),
        sa.Column('cost_usd', sa.Float(), nullable=False),
        sa.Column('energy_j', sa.Float(), nullable=False),
        sa.Column('co2e_kg', sa.Float(), nullable=False),
        sa.Column('gpu_hours', sa.Float(), nullable=False),
        sa.Column('realized', sa.JSON(), nullable=False),
        sa.Column('defaults', sa.JSON(), nullable=False),
        sa.UniqueConstraint('week', 'team'),
    )
    op.create_table(
        'ledger_run',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('week', sa.String(), nullable=False),
        sa.Column('run_key', sa.String(), nullable=False),
        sa.Column('job_id', sa.Integer(), nullable=False),
        sa.Column('team', sa.String(), nullable=False),
        sa.Column('user', sa.String(), nullable=True),
        sa.Column('workload', sa.String(), nullable=False),
        sa.Column('external_id', sa.String(), nullable=False),
        sa.Column('cost_usd', sa.Float(), nullable=False),
        sa.Column('energy_j', sa.Float(), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.UniqueConstraint('week', 'run_key'),
    )
    op.create_index('ix_ledger_run_week_team', 'ledger_run', ['week', 'team'])
    op.create_index('ix_ledger_run_external_id', 'ledger_run', ['external_id'])
    with op.batch_alter_table('team') as batch:
        batch.add_column(sa.Column('budget_set_at', sqlmodel.sql.sqltypes.UTCDateTime(),
                                   nullable=True))
    # A job id reused by another team or user is a new incarnation, not a rewrite.
    postgres = op.get_bind().dialect.name == 'postgresql'
    if postgres:
        op.drop_constraint('job_cluster_id_external_id_key', 'job', type_='unique')
    with op.batch_alter_table('job', naming_convention=NAMES) as batch:
        batch.add_column(sa.Column('incarnation', sa.Integer(), nullable=False,
                                   server_default='0'))
        if not postgres:
            batch.drop_constraint('uq_job_cluster_id_external_id', type_='unique')
        batch.create_unique_constraint('uq_job_incarnation', ['cluster_id', 'external_id',
                                                              'incarnation'])
    old = 'uq_suggestion_job_id_week_kind'
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_constraint('suggestion_job_id_week_kind_key', 'suggestion', type_='unique')
        old = None
    with op.batch_alter_table('suggestion', naming_convention=NAMES) as batch:
        batch.add_column(sa.Column('run_key', sa.String(), nullable=False, server_default=''))
        if old:
            batch.drop_constraint(old, type_='unique')
        batch.create_unique_constraint('uq_suggestion_run', ['job_id', 'run_key', 'week',
                                                              'kind'])


def downgrade() -> None:
    with op.batch_alter_table('job') as batch:
        batch.drop_constraint('uq_job_incarnation', type_='unique')
        batch.create_unique_constraint('uq_job_cluster_id_external_id',
                                       ['cluster_id', 'external_id'])
        batch.drop_column('incarnation')
    with op.batch_alter_table('team') as batch:
        batch.drop_column('budget_set_at')
    with op.batch_alter_table('suggestion') as batch:
        batch.drop_constraint('uq_suggestion_run', type_='unique')
        batch.create_unique_constraint('uq_suggestion_job_id_week_kind',
                                       ['job_id', 'week', 'kind'])
        batch.drop_column('run_key')
    op.drop_index('ix_ledger_run_external_id', 'ledger_run')
    op.drop_index('ix_ledger_run_week_team', 'ledger_run')
    op.drop_table('ledger_run')
    op.drop_table('ledger_team')
    op.drop_table('ledger_week')
