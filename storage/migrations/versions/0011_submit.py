"""submit: warnings given at submit time (Slurm job_submit, Kubernetes admission, `ai-cost check`).

submit_warning holds one row per warned submission: who and what, the judged request, the
suggestion and its estimate, and, once the job is seen running, whether it ran as submitted or
resized (outcome).

Revision ID: 0011_submit
Revises: 0010_approvals
Create Date: 2026-11-30 22:10:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0011_submit'
down_revision = '0010_approvals'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'submit_warning',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('source', sa.String(), nullable=False),
        sa.Column('cluster', sa.String(), nullable=True),
        sa.Column('team', sa.String(), nullable=True),
        sa.Column('user', sa.String(), nullable=True),
        sa.Column('job_name', sa.String(), nullable=False),
        sa.Column('request', sa.JSON(), nullable=False),
        sa.Column('kinds', sa.JSON(), nullable=False),
        sa.Column('warnings', sa.JSON(), nullable=False),
        sa.Column('suggestion', sa.JSON(), nullable=True),
        sa.Column('est_saved_usd_week', sa.Float(), nullable=False),
        sa.Column('denied', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('outcome', sa.String(), nullable=True),
        sa.Column('job_id', sa.Integer(), nullable=True),
        sa.Column('matched_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    )
    op.create_index('ix_submit_warning_at', 'submit_warning', ['at'])
    op.create_index('ix_submit_warning_job', 'submit_warning', ['cluster', 'user', 'job_name'])


def downgrade() -> None:
    op.drop_index('ix_submit_warning_job', table_name='submit_warning')
    op.drop_index('ix_submit_warning_at', table_name='submit_warning')
    op.drop_table('submit_warning')
