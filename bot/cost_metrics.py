"""The ledger in Prometheus: cost, energy, carbon, idle capacity, waste, savings and budgets.

Per team, cluster and GPU type, for the last complete week (`period="last_week"`) and the
week so far (`period="this_week"`). Every label value comes from the organisation file (a
team, cluster or GPU type it does not name is `unassigned` or `other`), so no client can add
series. Units are Prometheus base units: GPU time in seconds, energy in joules, CO2e in grams;
money in the organisation's currency, named by the `currency` label.

The ledger-derived families are built once per refresh of the weeks (a scrape reads two rows to
know), not per scrape, and after the first build a scrape never waits for one: it gets the
figures of the previous refresh while the new ones are built in the background. Budgets, which a
person changes in Slack at any time, are read per scrape.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, select
from sqlmodel import col

from bot.budgets import budget_in_force
from config.organisation import UNASSIGNED, Organisation
from domain.ledger import Ledger
from domain.types import J_PER_KWH
from domain.weeks import last_complete_week, week_of
from storage.db import session as new_session
from storage.ledger_repo import load_ledger
from storage.models import LedgerWeek
from storage.outage import unavailable

log = logging.getLogger("ai_cost.cost_metrics")

OTHER = "other"  # a cluster or GPU type the organisation file does not name
LABEL_NUMBER = {label: n for n, label in enumerate("ABCDEFG", start=1)}
PERIODS = ("last_week", "this_week")
_KEYS = ["period", "team", "cluster", "gpu_type"]


@dataclass(frozen=True, slots=True)
class Names:
    """Label values allowed by the organisation file, and the mapping of anything else."""

    teams: frozenset[str]
    clusters: frozenset[str]
    organisation: Organisation

    @classmethod
    def of(cls, organisation: Organisation) -> Names:
        return cls(frozenset([t.name for t in organisation.teams] + [UNASSIGNED]),
                   frozenset(c.name for c in organisation.clusters), organisation)

    def team(self, name: str) -> str:
        return name if name in self.teams else UNASSIGNED

    def cluster(self, name: str) -> str:
        return name if name in self.clusters else OTHER

    def gpu_type(self, name: str) -> str:
        return self.organisation.gpu_price_key(name) or OTHER


def _gauge(name: str, doc: str, labels: list[str]) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, labels=labels)


def ledger_families(ledgers: dict[str, Ledger | None], names: Names) -> list[Metric]:
    """The gauges of the judged weeks, `ledgers` keyed by period."""
    currency = names.organisation.currency
    money = [*_KEYS, "currency"]
    fam = {
        "runs": _gauge("ai_cost_runs", "Runs judged in the week.", _KEYS),
        "gpu": _gauge("ai_cost_gpu_seconds", "GPU time of the runs (GPU-seconds; / 3600 for "
                      "GPU-hours).", _KEYS),
        "energy": _gauge("ai_cost_energy_joules", "Energy of the runs, facility overhead (PUE) "
                         "included (J; / 3.6e6 for kWh).", _KEYS),
        "spend": _gauge("ai_cost_spend", "Cost of the runs: GPU time plus energy, in the "
                        "organisation's currency.", money),
        "co2e": _gauge("ai_cost_co2e_grams", "Emissions of the runs' energy (g CO2e).", _KEYS),
        "oversized": _gauge("ai_cost_oversized_runs", "Runs judged oversized (idle, "
                            "overprovisioned or an oversized model).", _KEYS),
        "held_idle": _gauge("ai_cost_held_idle_gpu_seconds", "GPU time held by runs judged "
                            "idle (GPU-seconds).", _KEYS),
        "waste": _gauge("ai_cost_oversized_spend", "Cost of the runs judged oversized.", money),
        "open": _gauge("ai_cost_open_suggestions", "Open suggestions (not yet approved, "
                       "dismissed or applied).", _KEYS),
        "savings": _gauge("ai_cost_open_suggestion_savings", "Weekly cost the best open "
                          "suggestion of each run would save (an estimate).", money),
    }
    label = _gauge("ai_cost_team_label", "The team's label as a number: A=1 ... G=7.",
                   ["period", "team"])
    rank = _gauge("ai_cost_team_rank", "The team's rank among the teams ranked (1: best).",
                  ["period", "team"])
    capacity = _gauge("ai_cost_cluster_gpu_seconds", "Time of the cluster's GPUs seen in the "
                      "week (GPU-seconds).", ["period", "cluster"])
    unheld = _gauge("ai_cost_unheld_idle_gpu_seconds", "GPU time held by no run: idle "
                    "capacity (GPU-seconds).", ["period", "cluster"])
    unheld_spend = _gauge("ai_cost_unheld_idle_spend", "Cost of the GPU time held by no run.",
                          ["period", "cluster", "currency"])
    last_sample = _gauge("ai_cost_cluster_last_sample_timestamp_seconds", "When the newest "
                         "sample of the cluster counted in the week was taken (Unix time).",
                         ["period", "cluster"])
    refreshed = _gauge("ai_cost_ledger_refreshed_timestamp_seconds", "When the week was last "
                       "judged (Unix time).", ["period", "week"])
    covered = _gauge("ai_cost_ledger_covered_seconds", "Time of the week the ledger covers "
                     "(604800 once it is over).", ["period", "week"])
    stale = _gauge("ai_cost_ledger_stale", "1 when data of the week arrived after it was "
                   "judged.", ["period", "week"])
    for period, ledger in ledgers.items():
        if ledger is None:
            continue
        sums: dict[str, dict[tuple[str, ...], float]] = {k: {} for k in fam}

        def add(kind: str, key: tuple[str, ...], value: float,
                sums: dict[str, dict[tuple[str, ...], float]] = sums) -> None:
            sums[kind][key] = sums[kind].get(key, 0.0) + value

        for line in ledger.lines():
            run = line.job
            key = (period, names.team(run.team), names.cluster(run.cluster),
                   names.gpu_type(run.gpu_type))
            mkey = (*key, currency)
            cost = line.cost
            add("runs", key, 1)
            add("gpu", key, cost.gpu_hours * 3600)
            add("energy", key, cost.energy_j)
            add("spend", mkey, cost.cost_usd)
            add("co2e", key, cost.co2e_kg * 1000)
            add("oversized", key, 1 if line.verdict.oversized else 0)
            add("waste", mkey, cost.cost_usd if line.verdict.oversized else 0.0)
            add("held_idle", key, cost.gpu_hours * 3600 if line.waste_kind == "idle" else 0.0)
            open_ = [s for s in line.suggestions if s.state == "open"]
            add("open", key, len(open_))
            add("savings", mkey, max((s.saved_cost_usd_week for s in open_), default=0.0))
        for kind, values in sums.items():
            for k, v in values.items():
                fam[kind].add_metric(list(k), v)
        for name, team in ledger.teams.items():
            if team.label in LABEL_NUMBER and names.team(name) == name:
                label.add_metric([period, name], LABEL_NUMBER[team.label])
            if team.rank is not None and names.team(name) == name:
                rank.add_metric([period, name], team.rank)
        for name, cluster in ledger.clusters.items():
            if names.cluster(name) != name:
                continue
            capacity.add_metric([period, name], cluster.gpu_hours * 3600)
            unheld.add_metric([period, name], cluster.idle_gpu_hours * 3600)
            unheld_spend.add_metric([period, name, currency], cluster.idle_cost_usd)
            if cluster.last_sample_ts is not None:
                last_sample.add_metric([period, name], cluster.last_sample_ts)
        if ledger.refreshed_at is not None:
            refreshed.add_metric([period, ledger.week], ledger.refreshed_at)
        covered.add_metric([period, ledger.week], ledger.hours * 3600)
        stale.add_metric([period, ledger.week], 1 if ledger.stale else 0)
    return [*fam.values(), label, rank, capacity, unheld, unheld_spend, last_sample, refreshed,
            covered, stale]


class CostCollector(Collector):
    """Prometheus collector of the ledger's figures and the budgets in force.

    `clock` gives the now that decides which weeks are the last complete one and this one.
    """

    def __init__(self, *, engine: Engine, organisation: Organisation,
                 clock: Callable[[], datetime]) -> None:
        self._engine = engine
        self._organisation = organisation
        self._names = Names.of(organisation)
        self._clock = clock
        self._lock = threading.Lock()
        self._key: tuple[object, ...] | None = None
        self._families: list[Metric] = []
        self._rebuild: threading.Thread | None = None
        self.builds = 0  # how often the ledger families were built (once per refresh)

    def _weeks(self) -> dict[str, str]:
        now = self._clock()
        return {"last_week": last_complete_week(now), "this_week": week_of(now)}

    def _key_now(self) -> tuple[dict[str, str], dict[str, tuple[float, bool]], tuple[object, ...]]:
        weeks = self._weeks()
        with new_session(self._engine) as s:
            heads = {w: (r, st) for w, r, st in s.execute(
                select(col(LedgerWeek.week), col(LedgerWeek.refreshed_at), col(LedgerWeek.stale))
                .where(col(LedgerWeek.week).in_(list(weeks.values()))))}
        return weeks, heads, tuple(sorted(weeks.items())) + tuple(sorted(heads.items()))

    def _build(self) -> list[Metric]:
        with self._lock:
            weeks, heads, key = self._key_now()
            if key != self._key:
                with new_session(self._engine) as s:
                    ledgers = {p: load_ledger(session=s, week=w) if w in heads else None
                               for p, w in weeks.items()}
                self._families = ledger_families(ledgers, self._names)
                self._key = key
                self.builds += 1
            return self._families

    def ledger_metrics(self, *, wait: bool = True) -> list[Metric]:
        """The ledger families, built again only when a week was judged again since.

        With `wait=False` and figures already built, a rebuild runs in the background and the
        figures of the previous refresh are returned at once (a scrape never waits for it).
        """
        if wait or self._key is None:
            return self._build()
        _, _, key = self._key_now()
        if key != self._key and (self._rebuild is None or not self._rebuild.is_alive()):
            self._rebuild = threading.Thread(target=self._rebuild_quietly, daemon=True,
                                             name="ai-cost-cost-metrics")
            self._rebuild.start()
        return self._families

    def _rebuild_quietly(self) -> None:
        try:
            self._build()
        except Exception as exc:
            if unavailable(exc) is None:
                log.exception("cost metrics not rebuilt")
            else:
                log.warning("cost metrics not rebuilt: %s", unavailable(exc))

    def settle(self, timeout_s: float = 60.0) -> None:
        """Wait for a background rebuild to finish (tests, benchmarks)."""
        if self._rebuild is not None:
            self._rebuild.join(timeout_s)

    def budget_metrics(self) -> list[Metric]:
        """Each team's weekly budget in force (money and energy), read at every scrape."""
        usd = _gauge("ai_cost_team_weekly_budget", "The team's weekly budget in force, in "
                     "the organisation's currency.", ["team", "currency"])
        energy = _gauge("ai_cost_team_weekly_budget_joules", "The team's weekly energy budget "
                        "in force (J; / 3.6e6 for kWh).", ["team"])
        with new_session(self._engine) as s:
            for team in self._organisation.teams:
                budget = budget_in_force(session=s, organisation=self._organisation,
                                         team=team.name)
                if budget.usd is not None:
                    usd.add_metric([team.name, self._organisation.currency], budget.usd)
                if budget.kwh is not None:
                    energy.add_metric([team.name], budget.kwh * J_PER_KWH)
        return [usd, energy]

    def collect(self) -> Iterator[Metric]:
        # A database that cannot serve must not take the process's other metrics (ingest,
        # HTTP) off the page: the figures last built are shown, and the budgets left out.
        readable = True
        try:
            families = self.ledger_metrics(wait=False) + self.budget_metrics()
        except Exception as exc:
            reason = unavailable(exc)
            if reason is None:
                raise
            log.warning("cost metrics from the last refresh only: %s", reason)
            families, readable = list(self._families), False
        up = _gauge("ai_cost_ledger_readable", "1 when the last scrape read the ledger, 0 when "
                    "the database could not serve it (older figures are shown).", [])
        up.add_metric([], 1 if readable else 0)
        yield from families
        yield up

    def describe(self) -> Iterable[Metric]:
        return []  # families vary with the data: collect only when scraped
