"""``gm eval --pairwise``: replay a dataset on two targets and let a judge pick per case."""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import click

from ..analytics import evals, judge, pairwise
from .base import settings

DEFAULT_DATASET = "preferences"


def run_pairwise(
    records: list[dict[str, Any]],
    *,
    dataset: str,
    models: tuple[str, ...],
    endpoint: str | None,
    out: Path,
    seed: int | None,
) -> None:
    """Replay on A and B, judge each case (random order), print and write the report.

    A skipped judge (no credentials or model) says why and returns (exit 0) with no win
    rate and nothing replayed; a failing judge raises ClickException (exit 1).
    """
    a, b = (evals.Target(model=m, endpoint=endpoint) for m in models)
    cfg = settings()
    reason = judge.skip_reason(cfg)
    if reason is not None:
        report = pairwise.new_report(dataset, a.label, b.label, [], cfg, skipped=reason)
        _write(report, out)
        return
    answers = []
    runs = settings().data_dir / "eval-runs"
    for side, target in (("A", a), ("B", b)):
        label = f"replaying on {side} = {target.label}"
        with click.progressbar(length=len(records), label=label) as bar:
            answers.append(
                evals.replay_cases(
                    records,
                    target,
                    workdir=runs / f"{int(time.time())}-pairwise-{side}",
                    base_settings=cfg,
                    progress=bar.update,
                )
            )
    cases = pairwise.pair_cases(records, answers[0], answers[1])
    try:
        with click.progressbar(length=len(cases), label="judging") as bar:
            pairwise.judge_cases(cases, cfg, random.Random(seed), bar.update)
    except judge.JudgeError as exc:
        raise click.ClickException(f"pairwise judge failed: {exc}") from exc
    _write(pairwise.new_report(dataset, a.label, b.label, cases, cfg), out)


def _write(report: pairwise.PairwiseReport, out: Path) -> None:
    """Print the result line and where the report went."""
    json_path, md_path = report.write(out)
    click.echo(report.summary())
    click.echo(f"report: {json_path} and {md_path}")
