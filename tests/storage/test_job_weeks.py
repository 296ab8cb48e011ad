"""The SQL-aggregated job_weeks gives what storage.queries.job_weeks gives."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from storage import job_weeks_sql, queries
from storage.db import session
from tests.bot.digest_fixtures import WEEK, seed_week


def test_same_job_weeks_as_the_row_by_row_query(engine, organisation):
    seed_week(engine, organisation)
    with session(engine) as s:
        for teams in (None, ["nlp", "speech"]):
            slow = queries.job_weeks(session=s, week=WEEK, teams=teams)
            fast = job_weeks_sql.job_weeks(session=s, week=WEEK, teams=teams)
            assert len(fast) == len(slow) > 0
            for a, b in zip(fast, slow, strict=True):
                left, right = asdict(a), asdict(b)
                assert left.pop("energy_j_by_day") == pytest.approx(right.pop("energy_j_by_day"))
                assert left == pytest.approx(right)
        assert job_weeks_sql.job_weeks(session=s, week="2026-W01") == []
