"""`ai-cost suggest --job` on a stored job, and `ai-cost rate --input` on the shared tables."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from bot.cli import app
from bot.pipeline import refresh
from config.organisation import load_organisation
from config.settings import Settings
from storage.db import session as open_session
from storage.models import Cluster, Gpu, Job, Node, Usage
from tests.clock import WEEK, WEEK_MONDAY, at


@pytest.fixture
def invoke(database_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AI_COST_DATABASE_URL", database_url)
    with open_session(engine) as s:
        s.add(Cluster(id=1, name="lab", region="DEU", pue=1.2, energy_price_usd_per_kwh=0.2))
        s.flush()
        s.add(Node(id=1, cluster_id=1, hostname="n1"))
        s.flush()
        for i in (1, 2):
            s.add(Gpu(id=i, uuid=f"GPU-{i}", node_id=1, gpu_type="NVIDIA H100 80GB HBM3",
                      mem_total_mib=81559))
        s.add(Job(id=1, cluster_id=1, external_id="reviews-polarity-x2k4p", team="nlp",
                  name="reviews-polarity-x2k4p", model="meta-llama/Llama-3.1-70B-Instruct",
                  task="sentiment-analysis", kind="inference", recurrence="continuous"))
        s.flush()
        for gpu in (1, 2):
            for d in range(7):
                day = WEEK_MONDAY + timedelta(days=d)
                ts = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
                s.add(Usage(job_id=1, gpu_id=gpu, day=day, samples=1440, gpu_s=86400.0,
                            energy_j=6.0 * 3.6e6, util_sum=1440 * 30.0, util_max=70.0,
                            mem_max_mib=70000, first_ts=ts, last_ts=ts + 86340))
        s.commit()
        now = at(WEEK, 9, 12)  # the week is over and judged, as the scheduler does
        refresh(session=s, settings=Settings(now=now), organisation=load_organisation(None),
                now=now, weeks=[WEEK])
        s.commit()
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args), catch_exceptions=False)


def test_suggest_shows_the_swap_with_weekly_savings(invoke):  # type: ignore[no-untyped-def]
    result = invoke("suggest", "--job", "reviews-polarity-x2k4p")
    assert result.exit_code == 0, result.output
    assert f"{WEEK}, run from" in result.output and "on 2x NVIDIA H100" in result.output
    assert "label F" in result.output and "84.00 kWh" in result.output
    assert "distilbert" in result.output and "in the week" in result.output
    data = json.loads(invoke("suggest", "--job", "reviews-polarity-x2k4p", "--json").output)
    [run] = data["runs"]
    assert data["week"] == WEEK and run["task"] == "text_classification"
    assert run["label"] == "F" and run["gpus"] == 2 and run["energy_kwh"] == pytest.approx(84)
    best = run["suggestions"][0]
    assert best["kind"] == "model_swap"
    # 84 kWh a week on 2 GPUs; after the swap one GPU idles at 70 W all week: 11.76 kWh.
    assert best["saved_energy_kwh_week"] == pytest.approx(84 - 11.76, rel=1e-3)
    assert best["saved_cost_usd_week"] > 7 * 24 * 4.0  # one H100 given back all week


def test_an_unknown_job_is_one_clear_error(invoke):  # type: ignore[no-untyped-def]
    result = invoke("suggest", "--job", "nope")
    assert result.exit_code == 1
    assert "no run of job 'nope'" in result.output


def test_rate_reproduces_the_published_stars_and_reports_bad_rows(tmp_path: Path):
    shared = Path(__file__).parents[2] / "analyzers/data/ai_energy_score/text_generation.csv"
    lines = ["model,task,energy_kwh_per_1000_queries,class"]
    expected = []
    for row in shared.read_text().splitlines()[1:]:
        model, energy, score, size_class = row.split(",")
        lines.append(f"{model},text_generation,{energy},{size_class}")
        expected.append(int(score))
    lines.append("broken,text_generation,lots,A")
    path = tmp_path / "models.csv"
    path.write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(app, ["rate", "--input", str(path)])
    assert result.exit_code == 0
    rated = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["stars"] for r in rated] == expected
    assert set(rated[0]) == {"model", "task", "class", "stars"}
    assert f"line {len(lines)}: energy_kwh_per_1000_queries 'lots'" in result.stderr
