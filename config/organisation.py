"""The organisation file: clusters, prices, teams and the policy thresholds (YAML)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from config.regions import grid_intensity

UNASSIGNED = "unassigned"
log = logging.getLogger("ai_cost.organisation")


class OrganisationError(ValueError):
    """The organisation file is missing, unreadable or inconsistent."""


class ClusterConfig(BaseModel):
    name: str
    region: str = Field(description="Country (DE, DEU, Germany) or cloud region (europe-west3, "
                        "eu-central-1, westeurope): config/regions.py.")
    pue: float = Field(default=1.2, ge=1.0, le=3.0)
    energy_price_usd_per_kwh: float = Field(default=0.15, ge=0)
    ingest_token: str | None = Field(default=None, description="Bearer token of its collectors.")
    usage_from_sacct: bool = Field(
        default=False,
        description="A Slurm cluster with no agent or dcgm-exporter: `collect slurm` turns each "
        "job's sacct averages into estimated samples, so its usage reaches reports. Leave it "
        "off where agents run, or the usage would count twice.",
    )
    slurm_cluster_name: str | None = Field(
        default=None, description="Slurm's ClusterName (slurm.conf) when it differs from name: "
        "`collect slurm` refuses sacct output of any other Slurm cluster.")
    trust_collector_team: bool = Field(
        default=False,
        description="Take the team a collector names for a job (a pod's team label). Off: a "
        "job's team comes from this file (its account or namespace, else its user).",
    )

    def defaults(self) -> list[str]:
        """In words, each of this cluster's figures that comes from a default, not the file."""
        found = []
        if "pue" not in self.model_fields_set:
            found.append(f"no pue: the default {self.pue:g}")
        if "energy_price_usd_per_kwh" not in self.model_fields_set:
            found.append(f"no energy_price_usd_per_kwh: the default "
                         f"{self.energy_price_usd_per_kwh:.2f} $/kWh")
        note = grid_intensity(self.region).default_note
        if note:
            found.append(note)
        return found


class ReadToken(BaseModel):
    """A bearer token of the read API (GET /api/v1/...), never one of the ingest tokens."""

    name: str = Field(description="Who holds it (a dashboard, FinOps, a script): for the logs.")
    token: str = Field(min_length=16)
    teams: list[str] | None = Field(
        default=None, description="The teams whose figures it may read; all when left out.")


class ServedCounterConfig(BaseModel):
    """A custom inference server's Prometheus counters (docs/served.md)."""

    requests: str = Field(description="Counter of completed requests, e.g. myserver_requests.")
    generated_tokens: str | None = Field(default=None, description="Counter of tokens made.")
    model_label: str = "model"
    task: str | None = Field(default=None, description="AI Energy Score task, for its stars.")


class Budget(BaseModel):
    kwh: float | None = Field(default=None, gt=0)
    usd: float | None = Field(default=None, gt=0)


class DigestSchedule(BaseModel):
    day: str = "mon"
    time: str = "09:00"

    @field_validator("day")
    @classmethod
    def _day(cls, value: str) -> str:
        days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        if value.lower()[:3] not in days:
            raise ValueError(f"digest day must be one of {', '.join(days)}")
        return value.lower()[:3]

    @field_validator("time")
    @classmethod
    def _time(cls, value: str) -> str:
        hour, _, minute = value.partition(":")
        if not (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60):
            raise ValueError("digest time must be HH:MM")
        return f"{int(hour):02d}:{int(minute):02d}"


class ReleaseAction(BaseModel):
    """How an approved release of idle GPUs is applied: the team opts in by setting it."""

    slurm_command: str | None = Field(
        default=None, description="The command that cancels a Slurm job, split as a shell "
        "would; {job_id} and {cluster} (Slurm's ClusterName) are filled in: 'scancel "
        "{job_id}', 'scancel --clusters={cluster} {job_id}', 'ssh slurm-login scancel {job_id}'.")
    scale_url: str | None = Field(
        default=None, description="A webhook that scales a Kubernetes Deployment or "
        "StatefulSet: POST {namespace, kind, name, replicas: 0}, signed as the swap webhook.")
    secret_env: str | None = Field(
        default=None, description="Environment variable holding scale_url's HMAC secret.")
    timeout_s: float = Field(default=30.0, gt=0, le=300)


class TeamConfig(BaseModel):
    name: str
    members: list[str] = Field(default_factory=list)
    slack_channel: str | None = None
    approvers: list[str] = Field(default_factory=list)
    timezone: str = "UTC"
    weekly_budget: Budget | None = None
    digest: DigestSchedule = Field(default_factory=DigestSchedule)
    accounts: list[str] = Field(
        default_factory=list,
        description="Slurm accounts and Kubernetes namespaces whose usage belongs to the team.",
    )
    swap_action: dict[str, str] = Field(
        default_factory=lambda: {"type": "none"},
        description="How an approved swap is applied: none, webhook or git.",
    )
    release_action: ReleaseAction | None = Field(
        default=None, description="Left out: a release of idle GPUs is advice only, done by "
        "hand. Set: an approved release cancels the Slurm job or scales the workload to zero.")

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


class PolicyConfig(BaseModel):
    """Thresholds of the oversized policy (shared/contracts/job-records.md), all changeable."""

    idle_util_pct: float = 5.0
    idle_min_s: float = 1800.0
    busy_util_pct: float = 70.0
    mem_headroom: float = 0.9
    single_gpu_min_mem_gib: float = 40.0
    single_gpu_util_pct: float = 15.0
    single_gpu_mem_gib: float = 10.0
    single_gpu_min_s: float = 3600.0
    oversized_model_min_params_b: float = 3.0
    small_batch_max: int = 2
    interactive_max_gpus: int = Field(
        default=2, ge=1, description="At submit time: an interactive job (a notebook, srun "
        "--pty) asking for more GPUs than this is warned (rule notebook_gpus).")


SUBMIT_RULES = ("oversized_model", "notebook_gpus", "fp32")


class SubmitConfig(BaseModel):
    """Warnings at submit time (docs/submit-time.md): warn-only unless a rule is denied."""

    deny: list[str] = Field(
        default_factory=list, description="Rules whose submissions are refused, not only "
        f"warned: any of {', '.join(SUBMIT_RULES)}. Empty (the default): warn, never block.")
    public_url: str | None = Field(
        default=None, description="The server's public URL; warnings link to its "
        "/docs/submit-time page when set.")

    @field_validator("deny")
    @classmethod
    def _rules(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(SUBMIT_RULES))
        if unknown:
            raise ValueError(f"submit.deny names unknown rules: {', '.join(unknown)}; "
                             f"choose from {', '.join(SUBMIT_RULES)}")
        return value


class Organisation(BaseModel):
    name: str = "example"
    currency: str = "USD"
    gpu_prices_usd_per_hour: dict[str, float] = Field(default_factory=dict)
    default_gpu_price_usd_per_hour: float = 2.0
    clusters: list[ClusterConfig] = Field(default_factory=list)
    teams: list[TeamConfig] = Field(default_factory=list)
    finops_channel: str | None = None
    slack_users: dict[str, str] = Field(
        default_factory=dict,
        description="Cluster user name -> Slack user id, for people whose Slack e-mail does "
        "not match; everyone else is found by e-mail (users.lookupByEmail).",
    )
    email_domain: str | None = Field(
        default=None, description="name@email_domain is a cluster user's Slack e-mail."
    )
    policy: PolicyConfig = Field(default_factory=PolicyConfig)
    submit: SubmitConfig = Field(default_factory=SubmitConfig)
    read_tokens: list[ReadToken] = Field(
        default_factory=list,
        description="Bearer tokens of the read API (/api/v1); separate from ingest tokens.")
    served_counters: list[ServedCounterConfig] = Field(
        default_factory=list, description="Custom inference servers' request counters.")

    @model_validator(mode="after")
    def _unique_names(self) -> Organisation:
        for kind, names in (
            ("cluster", [c.name for c in self.clusters]),
            ("team", [t.name for t in self.teams]),
        ):
            dupes = sorted({n for n in names if names.count(n) > 1})
            if dupes:
                raise ValueError(f"{kind} names must be unique; repeated: {', '.join(dupes)}")
        ingest = {c.ingest_token for c in self.clusters if c.ingest_token}
        for read in self.read_tokens:
            if read.token in ingest:
                raise ValueError(f"read token {read.name!r} is also an ingest token; "
                                 "use a token of its own")
            unknown = sorted(set(read.teams or []) - {t.name for t in self.teams})
            if unknown:
                raise ValueError(f"read token {read.name!r} names unknown teams: "
                                 f"{', '.join(unknown)}")
        return self

    def cluster(self, name: str) -> ClusterConfig:
        """The cluster called `name`; unknown names raise OrganisationError."""
        for cluster in self.clusters:
            if cluster.name == name:
                return cluster
        raise OrganisationError(f"unknown cluster {name!r}; the organisation file lists "
                                f"{', '.join(c.name for c in self.clusters) or 'none'}")

    def team(self, name: str) -> TeamConfig | None:
        return next((t for t in self.teams if t.name == name), None)

    def gpu_price_key(self, gpu_type: str) -> str | None:
        """The configured GPU name that prices `gpu_type` (the longest it contains), or None."""
        if gpu_type in self.gpu_prices_usd_per_hour:
            return gpu_type
        lowered = gpu_type.lower()
        matches = [k for k in self.gpu_prices_usd_per_hour if k.lower() in lowered]
        return max(matches, key=len) if matches else None

    def gpu_price_usd_per_hour(self, gpu_type: str) -> float:
        """Hourly price of one GPU, matched on the longest configured name it contains."""
        key = self.gpu_price_key(gpu_type)
        return self.default_gpu_price_usd_per_hour if key is None \
            else self.gpu_prices_usd_per_hour[key]

    def gpu_price_default(self, gpu_type: str) -> str | None:
        """In words, that `gpu_type` has no price and takes the default; None when priced."""
        if self.gpu_price_key(gpu_type) is not None:
            return None
        return (f"no price for GPU type {gpu_type}: the default "
                f"{self.default_gpu_price_usd_per_hour:.2f} $/h")

    def problems(self, gpu_types_seen: Iterable[str] = ()) -> list[str]:
        """Each gap in the file, once: clusters' defaults, teams without a channel, GPU prices."""
        found = [f"cluster {c.name}: {note}" for c in self.clusters for note in c.defaults()]
        found += [f"team {t.name}: no slack_channel: its digest is posted nowhere "
                  "until one is set here or with `/ai-cost subscribe`"
                  for t in self.teams if not t.slack_channel]
        for gpu_type in sorted(set(gpu_types_seen)):
            note = self.gpu_price_default(gpu_type)
            if note:
                found.append(note)
        return found

    def team_of(self, *, user: str | None, account: str | None) -> str:
        """Team that owns usage of `user` or `account` (Slurm account, k8s namespace)."""
        for team in self.teams:
            if account and (account in team.accounts or account == team.name):
                return team.name
        for team in self.teams:
            if user and user in team.members:
                return team.name
        return UNASSIGNED


def load_organisation(path: Path | None, *, warn: bool = True) -> Organisation:
    """Read the organisation file at `path`, or the built-in example when None.

    Each problem it has (`Organisation.problems`) is logged once as a warning, unless `warn`
    is false (for a caller that lists them itself).
    """
    if path is None:
        text = resources.files("config").joinpath("example_organisation.yaml").read_text()
        source = "built-in example organisation"
    else:
        try:
            text = Path(path).read_text()
        except OSError as exc:
            raise OrganisationError(f"cannot read organisation file {path}: {exc}") from exc
        source = str(path)
    try:
        organisation = Organisation.model_validate(yaml.safe_load(text) or {})
    except (yaml.YAMLError, ValidationError) as exc:
        raise OrganisationError(f"invalid organisation file {source}: {exc}") from exc
    if warn:
        for problem in organisation.problems():
            log.warning("%s: %s", source, problem)
    return organisation
