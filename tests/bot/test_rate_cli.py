"""`ai-cost rate`: refuses what it cannot rate, with the reason, rates the rest; reads the AI
Energy Score tables as published."""

from __future__ import annotations

import csv
import json
from importlib import resources
from pathlib import Path

from typer.testing import CliRunner, Result

from bot.cli import app

PUBLISHED = Path(str(resources.files("analyzers").joinpath("data/ai_energy_score")))


def rate(*args: str) -> Result:
    return CliRunner().invoke(app, ["rate", *args])


def stars_of(result: Result) -> dict[str, int]:
    return {r["model"]: r["stars"] for r in map(json.loads, result.stdout.splitlines())}


def test_rows_the_reference_cannot_rate_are_refused_with_their_reason(tmp_path: Path):
    models = tmp_path / "models.csv"
    models.write_text(
        "model,task,energy_kwh_per_1000_queries,class\n"
        "mine-7b,text_generation,0.0012,A\n"
        "dashed,text-generation,0.0012,A\n"
        "huge,text_generation,99,C\n"
        "no-class,text_generation,0.5,\n"
        "whisper-ish,asr,0.001,\n"
        "classy-asr,asr,0.001,B\n"
        "painter,image_generation,1.0,\n")
    result = rate("--input", str(models), "--reference", str(PUBLISHED))
    assert result.exit_code == 0, result.output
    # the rest is rated against the published ranges: 99 kWh is far above class C's highest
    assert stars_of(result) == {"mine-7b": 5, "huge": 1, "whisper-ish": 5}
    errors = result.stderr.splitlines()
    assert errors == [
        f"{models}: line 3: dashed not rated: task 'text-generation' is not in the reference "
        "(its tasks: asr, sentence_similarity, summarization, text_classification, "
        "text_generation); did you mean 'text_generation'?",
        f"{models}: line 5: no-class not rated: no class: text_generation is rated within a "
        "size class (A, B, C in the reference)",
        f"{models}: line 7: classy-asr not rated: class 'B' of asr is not in the reference "
        "(asr has no classes)",
        f"{models}: line 8: painter not rated: task 'image_generation' is not in the reference "
        "(its tasks: asr, sentence_similarity, summarization, text_classification, "
        "text_generation)",
    ]


def test_nothing_rated_is_an_error(tmp_path: Path):
    models = tmp_path / "models.csv"
    models.write_text("model,task,energy_kwh_per_1000_queries\nx,text-generation,1\n")
    result = rate("--input", str(models), "--reference", str(PUBLISHED / "text_generation.csv"))
    assert result.exit_code == 1
    assert "no row could be rated" in result.stderr


def test_the_published_tables_are_read_as_published():
    published = PUBLISHED / "text_generation.csv"
    with published.open(encoding="utf-8") as handle:
        expected = {r["model"]: int(r["energy_score"]) for r in csv.DictReader(handle)}
    # a published file as the input: the task is the file's name, energy is total_gpu_energy
    as_input = rate("--input", str(published))
    assert as_input.exit_code == 0, as_input.output
    assert stars_of(as_input) == expected
    # a folder of them as the reference, for an input in the current layout
    single = rate("--input", str(published), "--reference", str(PUBLISHED))
    assert stars_of(single) == expected
    everything = rate("--input", str(PUBLISHED))
    assert everything.exit_code == 0 and len(everything.stdout.splitlines()) == 96


def test_a_published_table_not_named_after_its_task_says_what_to_do(tmp_path: Path):
    renamed = tmp_path / "speech.csv"
    renamed.write_text((PUBLISHED / "asr.csv").read_text())
    result = rate("--input", str(renamed))
    assert result.exit_code == 1
    assert "add a task column or name the file after its task" in result.stderr
    other = tmp_path / "other.csv"
    other.write_text("name,kwh\nx,1\n")
    result = rate("--input", str(other))
    assert result.exit_code == 1 and "total_gpu_energy" in result.stderr
