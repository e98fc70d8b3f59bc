"""``gm eval`` and ``gm compare``: score a dataset's answers, or replay it on models.

Evals write a JSON + Markdown report and exit non-zero under ``--min-score``; with a
Braintrust key (and no ``--local``) they are also sent as experiments.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from ..analytics import datasets as ds
from ..analytics import evals
from . import pairwise as pairwise_cmd
from .base import cli_errors, gm, settings

GATE_EXIT_CODE = 1


def _load_records(
    name: str, source: str, version: int | None, directory: Path | None
) -> list[dict[str, Any]]:
    """A dataset's records from JSONL or Braintrust; an empty dataset is an error."""
    use_bt = source == "braintrust" or (source == "auto" and settings().has_braintrust_key)
    if use_bt:
        records = ds.load_braintrust(settings().braintrust_project, name)
    else:
        records = ds.load_jsonl(directory or settings().dataset_dir, name, version)
    if not records:
        raise click.ClickException(f"dataset {name!r} is empty")
    return records


def _require(dataset: str | None) -> str:
    """The --dataset value; only --pairwise has a default."""
    if not dataset:
        raise click.UsageError("--dataset is required (it is optional only with --pairwise)")
    return dataset


def _run_one(
    records: list[dict[str, Any]],
    *,
    dataset: str,
    mode: str,
    target: evals.Target,
    judge: bool,
    send: bool,
    workdir: Path,
) -> evals.EvalReport:
    """Answer (stored or replayed, with a progress bar), then score and report."""
    if mode == "stored":
        cases = evals.stored_cases(records)
        label = "stored"
    else:
        with click.progressbar(length=len(records), label=f"replaying on {target.label}") as bar:
            cases = evals.replay_cases(
                records,
                target,
                workdir=workdir,
                base_settings=settings(),
                progress=bar.update,
            )
        label = target.label
    with click.progressbar(length=len(cases), label="scoring") as bar:
        return evals.evaluate(
            cases,
            dataset=dataset,
            mode=mode,
            target=label,
            scorers=evals.default_scorers(judge),
            progress=bar.update,
            braintrust_project=settings().braintrust_project if send else None,
        )


def _finish(reports: list[evals.EvalReport], out: Path, min_score: Sequence[str]) -> None:
    """Write reports, print means, apply the gate (exit 1 below a threshold)."""
    thresholds = evals.parse_thresholds(min_score)
    failed = False
    for report in reports:
        json_path, md_path = report.write(out)
        click.echo(f"report: {json_path} and {md_path}")
        if report.experiment:
            click.echo(f"experiment: {report.experiment.get('url') or report.experiment}")
        for failure in evals.gate(report, thresholds):
            failed = True
            click.echo(f"GATE FAILED [{report.target}] {failure}", err=True)
    if failed:
        raise click.exceptions.Exit(GATE_EXIT_CODE)


dataset_options = [
    click.option(
        "--dataset", "dataset", help=f"Dataset name (--pairwise: {pairwise_cmd.DEFAULT_DATASET!r})."
    ),
    click.option("--version", type=int, help="JSONL version (default: latest)."),
    click.option(
        "--from",
        "source",
        type=click.Choice(["auto", "jsonl", "braintrust"]),
        default="auto",
        show_default=True,
    ),
    click.option("--dir", "directory", type=click.Path(path_type=Path), help="JSONL folder."),
    click.option("--endpoint", help="Anthropic-compatible base URL for replays."),
    click.option(
        "--min-score",
        multiple=True,
        help="Gate: 0.8 (every scorer) or scorer=0.8; repeatable. Exit 1 below it.",
    ),
    click.option("--out", type=click.Path(path_type=Path), help="Report folder."),
    click.option("--no-judge", is_flag=True, help="Leave out the LLM judge."),
    click.option("--local", is_flag=True, help="Never send an experiment to Braintrust."),
]


def _with_options(options: list[Callable[..., Any]]) -> Callable[..., Any]:
    """Apply shared click options."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            fn = option(fn)
        return fn

    return decorate


@gm.command("eval")
@_with_options(dataset_options)
@click.option(
    "--mode",
    type=click.Choice(["stored", "replay"]),
    default="stored",
    show_default=True,
    help="stored: score logged answers; replay: play the messages again and score.",
)
@click.option(
    "--model",
    "models",
    multiple=True,
    help="Model for replays ('offline' = the offline narrator); --pairwise takes two: A and B.",
)
@click.option(
    "--pairwise",
    is_flag=True,
    help="Replay on two --model targets; a judge picks the better telling per case.",
)
@click.option("--seed", type=int, help="--pairwise: seed of the random order shown to the judge.")
def eval_cmd(
    dataset: str | None,
    version: int | None,
    source: str,
    directory: Path | None,
    endpoint: str | None,
    min_score: tuple[str, ...],
    out: Path | None,
    no_judge: bool,
    local: bool,
    mode: str,
    models: tuple[str, ...],
    pairwise: bool,
    seed: int | None,
) -> None:
    """Score a dataset's stored answers, or replay it on a model and score the new answers.

    With --pairwise, replay it on two models and print the win rate of the first over the
    second (ties count half) with a 95 % confidence interval.
    """
    if pairwise:
        if len(models) != 2:
            raise click.UsageError("--pairwise needs two --model options: A, then B")
        if min_score or no_judge:
            raise click.UsageError("--min-score and --no-judge do not apply to --pairwise")
        name = dataset or pairwise_cmd.DEFAULT_DATASET
        with cli_errors():
            pairwise_cmd.run_pairwise(
                _load_records(name, source, version, directory),
                dataset=name,
                models=models,
                endpoint=endpoint,
                out=out or settings().data_dir / "eval-reports",
                seed=seed,
            )
        return
    if len(models) > 1:
        raise click.UsageError("give one --model (two only with --pairwise)")
    model = models[0] if models else None
    dataset = _require(dataset)
    with cli_errors():
        evals.parse_thresholds(min_score)  # a bad gate fails before any work
        records = _load_records(dataset, source, version, directory)
        target = evals.Target(model=model, endpoint=endpoint)
        report = _run_one(
            records,
            dataset=dataset,
            mode=mode,
            target=target,
            judge=not no_judge,
            send=settings().has_braintrust_key and not local,
            workdir=settings().data_dir / "eval-runs" / f"{int(time.time())}",
        )
    click.echo(evals.compare_table([report]))
    _finish([report], out or settings().data_dir / "eval-reports", min_score)


@gm.command("compare")
@_with_options(dataset_options)
@click.option(
    "--model",
    "models",
    multiple=True,
    required=True,
    help="Repeat for each model to compare ('offline' = the offline narrator).",
)
@click.option("--stored", is_flag=True, help="Add the stored answers as a column.")
def compare_cmd(
    dataset: str | None,
    version: int | None,
    source: str,
    directory: Path | None,
    endpoint: str | None,
    min_score: tuple[str, ...],
    out: Path | None,
    no_judge: bool,
    local: bool,
    models: tuple[str, ...],
    stored: bool,
) -> None:
    """Replay one dataset on several models and print their scorer means side by side."""
    dataset = _require(dataset)
    with cli_errors():
        evals.parse_thresholds(min_score)  # a bad gate fails before any work
        records = _load_records(dataset, source, version, directory)
        send = settings().has_braintrust_key and not local
        runs = [("stored", evals.Target())] if stored else []
        runs += [("replay", evals.Target(model=m, endpoint=endpoint)) for m in models]
        reports = [
            _run_one(
                records,
                dataset=dataset,
                mode=mode,
                target=target,
                judge=not no_judge,
                send=send,
                workdir=settings().data_dir / "eval-runs" / f"{int(time.time())}-{i}",
            )
            for i, (mode, target) in enumerate(runs)
        ]
    click.echo(evals.compare_table(reports))
    _finish(reports, out or settings().data_dir / "eval-reports", min_score)
