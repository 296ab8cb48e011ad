"""served: inference servers' request counters, and each served endpoint's judged week.

served_counter holds the counters as the servers reported them (one series per cluster,
service and instance); ledger_served the weekly figures `refresh` judges from them.

Revision ID: 0012_served
Revises: 0011_submit
Create Date: 2026-11-30 23:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0012_served'
down_revision = '0011_submit'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'served_counter',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('cluster_id', sa.Integer(), nullable=False),
        sa.Column('service', sa.String(), nullable=False),
        sa.Column('instance', sa.String(), nullable=False),
        sa.Column('ts', sa.Integer(), nullable=False),
        sa.Column('server', sa.String(), nullable=False),
        sa.Column('model', sa.String(), nullable=True),
        sa.Column('task', sa.String(), nullable=True),
        sa.Column('job_id', sa.Integer(), nullable=True),
        sa.Column('namespace', sa.String(), nullable=True),
        sa.Column('pod', sa.String(), nullable=True),
        sa.Column('node', sa.String(), nullable=True),
        sa.Column('gpu', sa.String(), nullable=True),
        sa.Column('requests', sa.Float(), nullable=False),
        sa.Column('generated_tokens', sa.Float(), nullable=True),
        sa.Column('prompt_tokens', sa.Float(), nullable=True),
        sa.UniqueConstraint('cluster_id', 'service', 'instance', 'ts', name='uq_served_counter'),
    )
    op.create_index('ix_served_counter_ts', 'served_counter', ['ts'])
    op.create_table(
        'ledger_served',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('week', sa.String(), nullable=False),
        sa.Column('team', sa.String(), nullable=False),
        sa.Column('cluster', sa.String(), nullable=False),
        sa.Column('service', sa.String(), nullable=False),
        sa.Column('requests', sa.Float(), nullable=False),
        sa.Column('energy_j', sa.Float(), nullable=False),
        sa.Column('wh_per_1k_requests', sa.Float(), nullable=True),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.UniqueConstraint('week', 'cluster', 'service'),
    )
    op.create_index('ix_ledger_served_week_team', 'ledger_served', ['week', 'team'])


def downgrade() -> None:
    op.drop_index('ix_ledger_served_week_team', table_name='ledger_served')
    op.drop_table('ledger_served')
    op.drop_index('ix_served_counter_ts', table_name='served_counter')
    op.drop_table('served_counter')
