"""The schema: every table ai-cost keeps. Alembic migrations (storage/migrations) own it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, SmallInteger, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlmodel import Field, SQLModel


class Cluster(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    region: str
    pue: float
    energy_price_usd_per_kwh: float


class Node(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("cluster_id", "hostname"),)
    id: int | None = Field(default=None, primary_key=True)
    cluster_id: int = Field(foreign_key="cluster.id")
    hostname: str


class Gpu(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(unique=True)
    node_id: int = Field(foreign_key="node.id")
    gpu_type: str
    mem_total_mib: int
    mig_profile: str | None = None


class Team(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    slack_channel: str | None = None
    timezone: str = "UTC"
    weekly_budget_kwh: float | None = None
    weekly_budget_usd: float | None = None
    budget_set_at: datetime | None = Field(
        default=None, description="When the file's budget last changed (0009).")


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    team_id: int | None = Field(default=None, foreign_key="team.id")
    slack_user_id: str | None = Field(default=None, index=True)
    email: str | None = None


class Job(SQLModel, table=True):
    """A job as its scheduler knows it: the descriptive fields of the job-record contract."""

    __table_args__ = (UniqueConstraint("cluster_id", "external_id", "incarnation",
                                       name="uq_job_incarnation"),)
    id: int | None = Field(default=None, primary_key=True)
    cluster_id: int = Field(foreign_key="cluster.id")
    external_id: str
    incarnation: int = Field(default=0, sa_column_kwargs={"server_default": "0"},
                             description="0, then 1, 2...: the id reused by another owner.")
    team: str = Field(default="unassigned", index=True)
    user: str | None = None
    name: str = ""
    command: str = ""
    image: str | None = None
    model: str | None = None
    task: str | None = None
    kind: str | None = None
    precision: str | None = None
    batch_size: int | None = None
    gpus_requested: int | None = None
    recurrence: str | None = Field(
        default=None, description="continuous, daily, weekly or None: how often it runs."
    )


class Sample(SQLModel, table=True):
    """One raw GPU sample; kept for the retention window, then only its roll-up remains."""

    __table_args__ = {"sqlite_with_rowid": False}
    gpu_id: int = Field(primary_key=True)
    ts: int = Field(primary_key=True, description="Unix seconds.")
    util_pct: int = Field(sa_type=SmallInteger)
    mem_used_mib: int
    power_dw: int = Field(description="Power in deciwatts (0.1 W).")
    energy_j: int | None = Field(default=None, sa_type=BigInteger,
                                 description="GPU's cumulative energy counter, J.")
    job_id: int | None = None


class RollupDirty(SQLModel, table=True):
    """GPU-days with samples not yet rolled up."""

    gpu_id: int = Field(primary_key=True)
    day: date = Field(primary_key=True)


class Usage(SQLModel, table=True):
    """Per job, GPU and UTC day: the roll-up the accounting reads."""

    # A week's sums read only the covering index (migration 0008_perf), never the table.
    __table_args__ = (Index("ix_usage_gpu_day", "gpu_id", "day"),
                      Index("ix_usage_day_covering", "day", "job_id", "gpu_id", "samples",
                            "gpu_s", "energy_j", "energy_estimated", "util_sum", "util_max",
                            "mem_max_mib", "first_ts", "last_ts"))
    id: int | None = Field(default=None, primary_key=True)
    job_id: int | None = Field(default=None, index=True)
    gpu_id: int
    day: date
    samples: int
    gpu_s: float
    energy_j: float
    energy_estimated: bool = False
    util_sum: float
    util_max: float
    mem_max_mib: int
    first_ts: int
    last_ts: int


class Verdict(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("job_id", "week", "judge"),)
    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(foreign_key="job.id")
    week: str = Field(index=True, description="ISO week, 2026-W47.")
    judge: str = "rules"
    task: str
    oversized: bool
    score: float
    reasons: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    created_at: datetime


class Suggestion(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("job_id", "run_key", "week", "kind",
                                       name="uq_suggestion_run"),)
    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(foreign_key="job.id")
    run_key: str = Field(default="", sa_column_kwargs={"server_default": ""},
                         description="The run of the job it is for: job id:first sample ts.")
    week: str = Field(index=True)
    kind: str = Field(description="model_swap, fewer_gpus, smaller_gpu, release, precision, ...")
    title: str
    change: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    saved_energy_j_week: float
    saved_cost_usd_week: float
    saved_co2e_kg_week: float
    confidence: float
    state: str = Field(default="open", index=True)
    fingerprint: str = Field(index=True, description="Same change on the same workload.")
    created_at: datetime
    updated_at: datetime


class ApprovalEvent(SQLModel, table=True):
    """Append-only audit trail of every change to a suggestion's state."""

    id: int | None = Field(default=None, primary_key=True)
    suggestion_id: int = Field(foreign_key="suggestion.id", index=True)
    at: datetime
    actor: str
    action: str
    old_state: str | None = None
    new_state: str | None = None
    old_model: str | None = None
    new_model: str | None = None
    channel: str | None = None
    message_ts: str | None = None
    outcome: str | None = None
    detail: str | None = None


class DigestSent(SQLModel, table=True):
    """A team's digest for an ISO week: at most one per team and week."""

    __tablename__ = "digest_sent"
    __table_args__ = (UniqueConstraint("team", "week"),)
    id: int | None = Field(default=None, primary_key=True)
    team: str
    week: str
    status: str = "pending"
    channel: str | None = None
    message_ts: str | None = None
    attempts: int = 0
    created_at: datetime
    posted_at: datetime | None = None
    error: str | None = None
    # Added by 0007_digests: when the current claim was taken (stale claims and backoff), the
    # chart's Slack file, and how many times the digest was reposted on purpose (--force).
    claimed_at: datetime | None = None
    file_id: str | None = None
    reposts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class IngestRejection(SQLModel, table=True):
    """Counts of rejected input by source and reason, for `ai-cost status`."""

    __tablename__ = "ingest_rejection"
    __table_args__ = (UniqueConstraint("source", "reason"),)
    id: int | None = Field(default=None, primary_key=True)
    source: str
    reason: str
    count: int = 0
    last_at: datetime
    example: str | None = None


class TeamRating(SQLModel, table=True):
    """A team's label and totals for one ISO week, kept for the label's history (0007)."""

    __tablename__ = "team_rating"
    __table_args__ = (UniqueConstraint("team", "week"),)
    id: int | None = Field(default=None, primary_key=True)
    team: str
    week: str
    label: str | None = None
    score: float | None = None
    energy_kwh: float = 0.0
    cost_usd: float = 0.0
    co2e_kg: float = 0.0
    updated_at: datetime


class BudgetAlert(SQLModel, table=True):
    """A budget threshold crossed by a team in a period: posted at most once (0007)."""

    __tablename__ = "budget_alert"
    __table_args__ = (UniqueConstraint("team", "period", "metric", "threshold_pct"),)
    id: int | None = Field(default=None, primary_key=True)
    team: str
    period: str = Field(description="ISO week of the weekly budget, 2026-W47.")
    metric: str = Field(description="kwh or usd.")
    threshold_pct: int
    spent: float
    budget: float
    status: str = "pending"
    channel: str | None = None
    message_ts: str | None = None
    attempts: int = 0
    created_at: datetime
    claimed_at: datetime | None = None
    posted_at: datetime | None = None
    error: str | None = None


class SlackTeamSetting(SQLModel, table=True):
    """What a team's approvers set from Slack (`/ai-cost subscribe`, `budget set`) (0006).

    Kept apart from `team`, which the organisation file rewrites at every start; a value here
    wins over the file's.
    """

    __tablename__ = "slack_team_setting"
    team: str = Field(primary_key=True)
    digest_channel: str | None = None
    weekly_budget_kwh: float | None = None
    weekly_budget_usd: float | None = None
    updated_by: str | None = None
    updated_at: datetime


class SlackNudge(SQLModel, table=True):
    """A direct message or praise the bot sent: how many per person and day it may send (0006)."""

    __tablename__ = "slack_nudge"
    __table_args__ = (Index("ix_slack_nudge_recipient_day", "recipient", "local_day"),
                      Index("ix_slack_nudge_suggestion", "suggestion_id"))
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(description="suggestion or praise.")
    recipient: str = Field(description="Cluster user name, or team name for praise.")
    slack_user_id: str | None = None
    job_id: int | None = None
    suggestion_id: int | None = None
    team: str | None = None
    week: str | None = None
    local_day: date = Field(description="The day in the recipient's time zone.")
    channel: str | None = None
    message_ts: str | None = None
    sent_at: datetime


class SlackClaim(SQLModel, table=True):
    """A claimed key: of several nudgers, the one whose insert wins sends the message (0010)."""

    __tablename__ = "slack_claim"
    __table_args__ = (UniqueConstraint("key", name="uq_slack_claim_key"),)
    id: int | None = Field(default=None, primary_key=True)
    key: str
    claimed_at: datetime


class SubmitWarning(SQLModel, table=True):
    """A warning given at submit time, and once the job is seen, how it ran (0011)."""

    __tablename__ = "submit_warning"
    __table_args__ = (Index("ix_submit_warning_at", "at"),
                      Index("ix_submit_warning_job", "cluster", "user", "job_name"))
    id: int | None = Field(default=None, primary_key=True)
    at: datetime
    source: str = Field(description="slurm, kubernetes, cli or api.")
    cluster: str | None = None
    team: str | None = None
    user: str | None = None
    job_name: str
    request: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    kinds: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    warnings: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    suggestion: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    est_saved_usd_week: float = 0.0
    denied: bool = Field(default=False, sa_column_kwargs={"server_default": sa_false()})
    outcome: str | None = Field(default=None, description="as_submitted or resized, once seen.")
    job_id: int | None = None
    matched_at: datetime | None = None


class LedgerWeek(SQLModel, table=True):
    """A judged week: when `refresh` wrote it, and whether data arrived since (0009)."""

    __tablename__ = "ledger_week"
    week: str = Field(primary_key=True)
    judge: str
    refreshed_at: float = Field(description="Unix seconds.")
    data_through_ts: int | None = Field(default=None, sa_type=BigInteger)
    hours: float = Field(description="Hours of the week covered (168 once it is over).")
    stale: bool = Field(default=False, sa_column_kwargs={"server_default": sa_false()})
    clusters: list[dict[str, Any]] = Field(default_factory=list,
                                            sa_column=Column(JSON, nullable=False))


class LedgerTeam(SQLModel, table=True):
    """A team's judged week: totals, label, rank, realized savings (0009)."""

    __tablename__ = "ledger_team"
    __table_args__ = (UniqueConstraint("week", "team"),)
    id: int | None = Field(default=None, primary_key=True)
    week: str
    team: str
    label: str | None = None
    score: float | None = None
    rank: int | None = None
    teams_ranked: int = 0
    cost_usd: float
    energy_j: float
    co2e_kg: float
    gpu_hours: float
    defaults: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    realized: list[dict[str, Any]] = Field(default_factory=list,
                                            sa_column=Column(JSON, nullable=False))


class LedgerRun(SQLModel, table=True):
    """A run's judged share of a week; `data` holds the run, its verdict and label (0009)."""

    __tablename__ = "ledger_run"
    __table_args__ = (UniqueConstraint("week", "run_key"),
                      Index("ix_ledger_run_week_team", "week", "team"),
                      Index("ix_ledger_run_external_id", "external_id"))
    id: int | None = Field(default=None, primary_key=True)
    week: str
    run_key: str
    job_id: int
    team: str
    user: str | None = None
    workload: str
    external_id: str
    cost_usd: float
    energy_j: float
    data: dict[str, Any] = Field(default_factory=dict,
                                  sa_column=Column(JSON, nullable=False))


class ServedCounter(SQLModel, table=True):
    """An inference server's request and token counters at one time, as it reported them (0012).

    One series per (cluster, service, instance): `instance` is the pod, the node and GPU, or the
    job, with the model. The judge turns the counters into increments (restarts handled).
    """

    __tablename__ = "served_counter"
    __table_args__ = (UniqueConstraint("cluster_id", "service", "instance", "ts",
                                       name="uq_served_counter"),
                      Index("ix_served_counter_ts", "ts"))
    id: int | None = Field(default=None, primary_key=True)
    cluster_id: int
    service: str
    instance: str
    ts: int = Field(description="Unix seconds.")
    server: str = Field(description="vllm, tgi, triton or custom.")
    model: str | None = None
    task: str | None = None
    job_id: int | None = None
    namespace: str | None = None
    pod: str | None = None
    node: str | None = None
    gpu: str | None = None
    requests: float
    generated_tokens: float | None = None
    prompt_tokens: float | None = None


class LedgerServed(SQLModel, table=True):
    """A served endpoint's judged week: requests, energy, Wh per 1,000, stars, trend (0012)."""

    __tablename__ = "ledger_served"
    __table_args__ = (UniqueConstraint("week", "cluster", "service"),
                      Index("ix_ledger_served_week_team", "week", "team"))
    id: int | None = Field(default=None, primary_key=True)
    week: str
    team: str
    cluster: str
    service: str
    requests: float
    energy_j: float
    wh_per_1k_requests: float | None = None
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
