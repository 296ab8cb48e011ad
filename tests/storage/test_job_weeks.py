"""job_weeks sums each job's roll-ups in the database; checked against the rows themselves."""

from __future__ import annotations

from collections import defaultdict

import pytest
from sqlalchemy import select

from storage import queries
from storage.db import session
from storage.models import Gpu, Job, Usage
from tests.bot.digest_fixtures import seed_week
from tests.clock import WEEK, weeks_after, weeks_before


def test_job_weeks_equal_the_sums_of_their_rollups(engine, organisation):
    seed_week(engine, organisation)
    monday, sunday = queries.week_bounds(WEEK)
    with session(engine) as s:
        rows = s.execute(select(Usage, Gpu.mem_total_mib, Job.team)
                         .join(Gpu, Gpu.id == Usage.gpu_id)
                         .join(Job, Job.id == Usage.job_id)
                         .where(Usage.day >= monday, Usage.day <= sunday)).all()
        per_job: dict[int, list] = defaultdict(list)
        for usage, mem_total, team in rows:
            per_job[usage.job_id].append((usage, mem_total, team))
        for teams in (None, ["nlp", "speech"]):
            found = queries.job_weeks(session=s, week=WEEK, teams=teams)
            expected = {j: r for j, r in per_job.items() if teams is None or r[0][2] in teams}
            assert sorted(j.job_id for j in found) == sorted(expected) and found
            for job in found:
                mine = [u for u, _, _ in expected[job.job_id]]
                assert job.samples == sum(u.samples for u in mine)
                assert job.energy_j == pytest.approx(sum(u.energy_j for u in mine))
                assert job.gpu_s == pytest.approx(sum(u.gpu_s for u in mine))
                assert job.util_max == max(u.util_max for u in mine)
                assert job.mem_max_mib == max(u.mem_max_mib for u in mine)
                assert job.gpus == len({u.gpu_id for u in mine})
                assert job.first_ts == min(u.first_ts for u in mine)
                assert sum(job.energy_j_by_day.values()) == pytest.approx(job.energy_j)
        assert queries.job_weeks(session=s, week=weeks_before(WEEK)) == []
        assert queries.job_weeks(session=s, week=weeks_after(WEEK)) == []
