"""`ai-cost train-classifier` and `ai-cost model-card`: the oversized classifier's life cycle."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

from bot.cli.common import fail

out = Console()


def register(app: typer.Typer) -> None:
    app.command("train-classifier")(train_classifier)
    app.command("model-card")(model_card)


def train_classifier(
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Where the student goes; default: the shipped weights."),
    teacher_output: Path | None = typer.Option(
        None, "--teacher-output", help="Where the teacher goes; default: bench/data/."),
    seed: int | None = typer.Option(None, "--seed", help="Random seed (default: the recipe's)."),
    jobs: int | None = typer.Option(None, "--jobs", help="Training jobs (default 24,000)."),
) -> None:
    """Retrain the classifier from scratch: corpus, tokenizer, teacher, distilled student."""
    from dataclasses import replace

    from analyzers.classifier.card import model_card as render_card
    from analyzers.classifier.train import TEACHER_DIR, WEIGHTS_DIR, Recipe, train

    recipe = Recipe()
    if seed is not None:
        recipe = replace(recipe, seed=seed)
    if jobs is not None:
        if jobs < 100:
            raise fail("--jobs must be at least 100")
        recipe = replace(recipe, n_train=jobs)
    columns = (TextColumn("{task.description:<9}"), BarColumn(), MofNCompleteColumn(),
               TimeRemainingColumn())
    with Progress(*columns, console=out, transient=False) as progress:
        bars: dict[str, TaskID] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in bars:
                bars[stage] = progress.add_task(stage, total=total)
            progress.update(bars[stage], completed=done)

        card = train(output or WEIGHTS_DIR, teacher_output or TEACHER_DIR, recipe, report)
    out.print(render_card(card), highlight=False, markup=False, soft_wrap=True)


def model_card(
    weights: Path | None = typer.Option(None, "--weights", help="A trained model's folder."),
) -> None:
    """Print what the shipped classifier is, how well it does and what it costs."""
    from analyzers.classifier.card import load_card
    from analyzers.classifier.card import model_card as render_card
    from analyzers.classifier.judge import WEIGHTS_DIR

    try:
        card = load_card(weights or WEIGHTS_DIR)
    except FileNotFoundError as exc:
        raise fail(f"no trained classifier at {exc.filename}; "
                   "run ai-cost train-classifier") from exc
    out.print(render_card(card), highlight=False, markup=False, soft_wrap=True)
