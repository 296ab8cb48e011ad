"""Process settings: one typed object, read from the environment (prefix AI_COST_)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything a process needs to know; built once in the entry point and passed down."""

    model_config = SettingsConfigDict(env_prefix="AI_COST_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///ai-cost.db",
        description="SQLAlchemy URL: sqlite:///path.db (default) or postgresql+psycopg://...",
        repr=False,  # it may hold a password: shown only through bot.cli.common.shown_url
    )
    org_file: Path | None = Field(
        default=None,
        description="Organisation file (YAML): clusters, GPU prices, teams. Default: the "
        "built-in example organisation used by the demo.",
    )
    out_dir: Path = Field(default=Path("out"), description="Where digests and charts are written.")
    raw_retention_days: int = Field(
        default=14, ge=1, description="How long raw GPU samples are kept after roll-up."
    )
    max_sample_gap_s: float = Field(
        default=300.0,
        gt=0,
        description="A gap between two samples of one GPU longer than this counts as no data.",
    )
    max_clock_skew_s: float = Field(
        default=300.0, gt=0, description="Samples further than this in the future are rejected."
    )
    ingest_max_batch: int = Field(default=50_000, ge=1, description="Most samples in one batch.")
    auto_migrate: bool = Field(
        default=True,
        description="Commands bring the schema to the latest revision when they start. False: "
        "they only check it and stop if it is behind (`ai-cost migrate` is then the one step "
        "that migrates, as in deploy/).",
    )
    scheduler_metrics_port: int | None = Field(
        default=None, ge=0, le=65535,
        description="Port of the scheduler's own GET /metrics (ai-cost scheduler). Unset: none.",
    )
    now: datetime | None = Field(
        default=None,
        description="The time commands take as now (ISO 8601 with a zone, e.g. "
        "2026-11-23T09:00:00Z). Unset: the system clock. For replaying a past period and for "
        "tests; never set it on a live deployment.",
    )
    suggestion_ttl_days: int = Field(
        default=14, ge=1, description="Open swap suggestions untouched this long expire (daily)."
    )

    # Slack: the standard names are accepted too, as Slack's own tooling sets them.
    slack_bot_token: str | None = Field(
        default=None, validation_alias=AliasChoices("AI_COST_SLACK_BOT_TOKEN", "SLACK_BOT_TOKEN")
    )
    slack_signing_secret: str | None = Field(
        default=None,
        validation_alias=AliasChoices("AI_COST_SLACK_SIGNING_SECRET", "SLACK_SIGNING_SECRET"),
    )
    slack_app_token: str | None = Field(
        default=None, validation_alias=AliasChoices("AI_COST_SLACK_APP_TOKEN", "SLACK_APP_TOKEN")
    )
    slack_api_url: str | None = Field(
        default=None, validation_alias=AliasChoices("AI_COST_SLACK_API_URL", "SLACK_API_URL")
    )

    # `ask`: free questions through a LangChain chat model (docs/ask.md). None: the parser only.
    ask_model: str | None = Field(
        default=None,
        description="Chat model for `ask`, as init_chat_model takes it: openai:gpt-4o-mini, "
        "ollama:llama3.1, anthropic:claude-... Unset: only the built-in parser answers.",
    )
    ask_base_url: str | None = Field(
        default=None, description="OpenAI-compatible server for `ask` (a local vLLM or Ollama)."
    )
    ask_api_key: SecretStr | None = Field(default=None, description="API key of that provider.")
    ask_timeout_s: float = Field(
        default=20.0, gt=0, le=120, description="Longest wait for the chat model per question."
    )
    ask_cache_ttl_s: float = Field(
        default=300.0, ge=0, description="How long an answer is reused for the same question."
    )
    ask_finops_users: list[str] = Field(
        default_factory=list,
        description="Cluster user names or Slack user ids who see every team in `ask` (JSON).",
    )

    def clock(self) -> datetime:
        """Now, in UTC: the `now` setting when set, else the system clock."""
        if self.now is None:
            return datetime.now(UTC)
        return self.now if self.now.tzinfo else self.now.replace(tzinfo=UTC)

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must be a sqlite:// or postgresql:// URL")
        if value.startswith("postgresql://"):
            # psycopg 3 is the driver we ship; make the plain URL work.
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value


def settings_problems(exc: ValidationError) -> str:
    """One line naming each invalid setting by its variable and saying why, never its value."""
    said = []
    for error in exc.errors(include_url=False, include_input=False, include_context=False):
        where = "_".join(str(part) for part in error["loc"])
        name = where if where.isupper() else f"AI_COST_{where.upper()}"  # an alias is upper
        said.append(f"{name}: {error['msg'].removeprefix('Value error, ')}")
    return "; ".join(said)
