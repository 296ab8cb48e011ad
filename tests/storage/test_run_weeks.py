"""run_weeks reads each job's roll-ups as runs; per job, its runs add up to the rows."""

from __future__ import annotations

from collections import defaultdict

import pytest
from sqlalchemy import select

from domain.weeks import week_bounds
from storage.db import session
from storage.models import Job, Usage
from storage.runs import run_weeks
from tests.bot.digest_fixtures import seed_week
from tests.clock import WEEK, weeks_after, weeks_before

GAP_S = 300.0


def test_the_runs_of_each_job_add_up_to_its_rollups(engine, organisation):
    seed_week(engine, organisation, judge=False)
    monday, sunday = week_bounds(WEEK)
    with session(engine) as s:
        rows = s.execute(select(Usage, Job.team)
                         .join(Job, Job.id == Usage.job_id)
                         .where(Usage.day >= monday, Usage.day <= sunday)).all()
        per_job: dict[int, list] = defaultdict(list)  # type: ignore[type-arg]
        for usage, team in rows:
            per_job[usage.job_id].append((usage, team))
        runs = run_weeks(session=s, week=WEEK, gap_s=GAP_S)
        by_job: dict[int, list] = defaultdict(list)  # type: ignore[type-arg]
        for run in runs:
            by_job[run.job_id].append(run)
        assert sorted(by_job) == sorted(per_job) and runs
        for job_id, found in by_job.items():
            mine = [u for u, _ in per_job[job_id]]
            assert {r.team for r in found} == {t for _, t in per_job[job_id]}
            assert sum(r.samples for r in found) == sum(u.samples for u in mine)
            assert sum(r.energy_j for r in found) == pytest.approx(sum(u.energy_j for u in mine))
            assert sum(r.gpu_s for r in found) == pytest.approx(sum(u.gpu_s for u in mine))
            assert max(r.util_max for r in found) == max(u.util_max for u in mine)
            assert max(r.mem_max_mib for r in found) == max(u.mem_max_mib for u in mine)
            assert max(r.gpus for r in found) == len({u.gpu_id for u in mine})
            assert min(r.first_ts for r in found) == min(u.first_ts for u in mine)
            assert max(r.last_ts for r in found) == max(u.last_ts for u in mine)
            for run in found:
                assert sum(run.energy_j_by_day.values()) == pytest.approx(run.energy_j)
        assert run_weeks(session=s, week=weeks_before(WEEK), gap_s=GAP_S) == []
        assert run_weeks(session=s, week=weeks_after(WEEK), gap_s=GAP_S) == []
