"""``flask --app app gm ...``: analytics, datasets and evals from the command line.

Answers come from Braintrust (BTQL) when BRAINTRUST_API_KEY is set, else from the game
database (``--local`` forces the database). Datasets go to Braintrust or to versioned JSONL
files; evals write a JSON + Markdown report and exit non-zero under ``--min-score``.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

from .analytics import datasets as ds
from .analytics import evals
from .analytics.models import AnalyticsError, GameRow, SpanRow, ToolStat, TurnRow, iso
from .analytics.sources import Analytics, braintrust_project, open_analytics
from .errors import GameMasterError
from .service import GameService

gm = AppGroup("gm", help="Game Master tools: query play logs, build datasets, run evals.")

GATE_EXIT_CODE = 1
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


# ---------------------------------------------------------------------------- helpers


def parse_when(value: str | None) -> float | None:
    """``30m``/``24h``/``7d`` ago, or an ISO date/time, as epoch seconds."""
    if not value:
        return None
    m = _DURATION.match(value.strip())
    if m:
        return time.time() - float(m.group(1)) * _UNITS[m.group(2)]
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00")).timestamp()
    except ValueError as exc:
        raise click.BadParameter(f"{value!r}: use 30m, 24h, 7d or an ISO date") from exc


def _service() -> GameService:
    """The app's GameService (its store; nothing is started)."""
    service: GameService = current_app.extensions["game_master"]
    return service


def _analytics(local: bool) -> Analytics:
    """Braintrust or local answers."""
    return open_analytics(_service().store, local=local)


def _data_dir() -> Path:
    """The app's data directory."""
    return Path(current_app.config["GM_DATA_DIR"])


def _default_dataset_dir() -> Path:
    """GM_DATASET_DIR, else <GM_DATA_DIR>/datasets."""
    return Path(os.environ.get("GM_DATASET_DIR") or _data_dir() / "datasets")


def _bt_key() -> bool:
    """True when a Braintrust key is set."""
    return bool(os.environ.get("BRAINTRUST_API_KEY", "").strip())


@contextmanager
def _errors() -> Iterator[None]:
    """Turn analytics failures into a one-line error and exit status 1."""
    try:
        yield
    except (AnalyticsError, GameMasterError, ValueError, FileNotFoundError) as exc:
        raise click.ClickException(str(exc)) from exc


def _table(headers: Sequence[str], rows: list[Sequence[Any]]) -> str:
    """A plain aligned text table."""
    cells = [[str(h) for h in headers]] + [["-" if v is None else str(v) for v in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def _short(text: str | None, n: int = 60) -> str:
    """One line of at most ``n`` characters."""
    flat = " ".join((text or "").split())
    return flat if len(flat) <= n else flat[: n - 1] + "…"


def _emit(rows: list[Any], as_json: bool, render: Callable[[], str]) -> None:
    """Print rows as JSON or as the rendered table."""
    if as_json:
        click.echo(json.dumps([r.to_dict() for r in rows], indent=2, ensure_ascii=False))
    else:
        click.echo(render())


def _turn_table(rows: list[TurnRow]) -> str:
    """TurnRows as a table."""
    return _table(
        ["when", "game", "#", "player", "narration", "tools", "low scores"],
        [
            (
                iso(r.created),
                (r.game_id or "-")[:8],
                r.number,
                _short(r.player_message, 30),
                _short(r.narration, 50),
                ",".join(r.tools),
                ",".join(f"{k}={v:g}" for k, v in r.scores.items() if v < 0.5),
            )
            for r in rows
        ],
    )


local_option = click.option(
    "--local", is_flag=True, help="Answer from the game database even when Braintrust is set."
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


# ---------------------------------------------------------------------------- queries


@gm.command("games")
@click.option("--limit", default=20, show_default=True, help="How many games.")
@click.option("--since", help="Created after: 30m, 24h, 7d or an ISO date.")
@click.option("--until", help="Created before: 30m, 24h, 7d or an ISO date.")
@local_option
@json_option
def games_cmd(limit: int, since: str | None, until: str | None, local: bool, as_json: bool) -> None:
    """Recent games with their aggregated story (root `game` spans)."""
    with _errors():
        source = _analytics(local)
        rows: list[GameRow] = source.recent_games(limit, parse_when(since), parse_when(until))
    _emit(
        rows,
        as_json,
        lambda: (
            _table(
                ["created", "game", "character", "turns", "outcome", "location", "first message"],
                [
                    (
                        iso(r.created),
                        r.game_id,
                        f"{r.character.get('name', '?')} ({r.character.get('class', '?')})",
                        f"{r.completed_turns}/{r.total_turns}",
                        r.outcome,
                        r.location,
                        _short(r.first_message, 30),
                    )
                    for r in rows
                ],
            )
            + f"\n({len(rows)} games from {source.source})"
        ),
    )


@gm.command("search")
@click.argument("text")
@click.option("--limit", default=20, show_default=True)
@local_option
@json_option
def search_cmd(text: str, limit: int, local: bool, as_json: bool) -> None:
    """Turns whose player message or narration contains TEXT."""
    with _errors():
        source = _analytics(local)
        rows = source.search(text, limit)
    _emit(rows, as_json, lambda: _turn_table(rows) + f"\n({len(rows)} turns from {source.source})")


@gm.command("turns")
@click.option("--since", default="24h", show_default=True)
@click.option("--until")
@click.option("--limit", default=100, show_default=True)
@local_option
@json_option
def turns_cmd(since: str, until: str | None, limit: int, local: bool, as_json: bool) -> None:
    """Turns played in a time window, newest first."""
    with _errors():
        source = _analytics(local)
        rows = source.turns(parse_when(since), parse_when(until), limit)
    _emit(rows, as_json, lambda: _turn_table(rows) + f"\n({len(rows)} turns from {source.source})")


@gm.command("tools")
@click.option("--since", help="Only calls after: 30m, 24h, 7d or an ISO date.")
@click.option("--until")
@local_option
@json_option
def tools_cmd(since: str | None, until: str | None, local: bool, as_json: bool) -> None:
    """Tool usage: calls, errors (refusals), error rate, latency."""
    with _errors():
        source = _analytics(local)
        rows: list[ToolStat] = source.tool_stats(parse_when(since), parse_when(until))
    _emit(
        rows,
        as_json,
        lambda: (
            _table(
                ["tool", "calls", "errors", "error rate", "avg ms", "max ms"],
                [
                    (s.tool, s.calls, s.errors, f"{s.error_rate:.1%}", s.avg_ms, s.max_ms)
                    for s in rows
                ],
            )
            + f"\n(from {source.source}"
            + ("; latency is only recorded in Braintrust)" if source.source == "local" else ")")
        ),
    )


@gm.command("low-rated")
@click.option("--threshold", default=0.5, show_default=True, help="Scores below this.")
@click.option("--limit", default=50, show_default=True)
@local_option
@json_option
def low_rated_cmd(threshold: float, limit: int, local: bool, as_json: bool) -> None:
    """Turns with a player rating or heuristic score below the threshold."""
    with _errors():
        source = _analytics(local)
        rows = source.low_rated(threshold, limit)
    _emit(rows, as_json, lambda: _turn_table(rows) + f"\n({len(rows)} turns from {source.source})")


@gm.command("trace")
@click.argument("game_id")
@local_option
@json_option
def trace_cmd(game_id: str, local: bool, as_json: bool) -> None:
    """One game's whole trace as a tree: game → turns → LLM and tool spans."""
    with _errors():
        spans = _analytics(local).game_trace(game_id)
    if not spans:
        raise click.ClickException(f"no trace for game {game_id!r}")
    _emit(spans, as_json, lambda: _tree(spans))


def _tree(spans: list[SpanRow]) -> str:
    """Spans as an indented tree (children under their parent, in order)."""
    children: dict[str | None, list[SpanRow]] = {}
    ids = {s.span_id for s in spans}
    for s in spans:
        children.setdefault(s.parent_id if s.parent_id in ids else None, []).append(s)
    lines: list[str] = []

    def walk(parent: str | None, depth: int) -> None:
        for s in children.get(parent, []):
            ms = f" {round((s.end - s.start) * 1000)}ms" if s.start and s.end else ""
            text = s.input if s.name == "turn" else s.output if s.type == "tool" else ""
            err = " ERROR" if s.error else ""
            scores = " ".join(f"{k}={v:g}" for k, v in s.scores.items())
            detail = _short(text if isinstance(text, str) else json.dumps(text), 50)
            lines.append(f"{'  ' * depth}- {s.name} [{s.type}]{ms}{err} {detail} {scores}".rstrip())
            walk(s.span_id, depth + 1)

    walk(None, 0)
    return "\n".join(lines)


# ---------------------------------------------------------------------------- datasets


@gm.group("dataset")
def dataset_group() -> None:
    """Build and list eval datasets from logged turns."""


@dataset_group.command("build")
@click.argument("name")
@click.option(
    "--kind",
    type=click.Choice(["recent", "criteria", "multi-tool"]),
    default="recent",
    show_default=True,
    help="recent turns; turns matching the criteria options; turns with 2+ tool calls.",
)
@click.option("--text", help="Player message or narration contains this.")
@click.option("--tool", help="The turn called this tool.")
@click.option("--score", "score_name", help="A scorer or player_rating to filter on.")
@click.option("--min-score", type=float, help="Keep turns with score >= this.")
@click.option("--max-score", type=float, help="Keep turns with score <= this.")
@click.option("--since", help="Played after: 30m, 24h, 7d or an ISO date.")
@click.option("--until")
@click.option("--limit", default=100, show_default=True)
@click.option(
    "--to",
    "dest",
    type=click.Choice(["auto", "jsonl", "braintrust"]),
    default="auto",
    show_default=True,
    help="auto: Braintrust when BRAINTRUST_API_KEY is set, else JSONL.",
)
@click.option("--dir", "directory", type=click.Path(path_type=Path), help="JSONL folder.")
def dataset_build_cmd(
    name: str,
    kind: str,
    text: str | None,
    tool: str | None,
    score_name: str | None,
    min_score: float | None,
    max_score: float | None,
    since: str | None,
    until: str | None,
    limit: int,
    dest: str,
    directory: Path | None,
) -> None:
    """Build dataset NAME from stored turns; re-running adds no duplicates."""
    criteria = ds.Criteria(
        text=text,
        tool=tool,
        min_tools=2 if kind == "multi-tool" else 0,
        score=score_name,
        min_score=min_score,
        max_score=max_score,
        since=parse_when(since),
        until=parse_when(until),
        limit=limit,
    )
    if kind == "recent" and any([text, tool, score_name]):
        raise click.UsageError("--text/--tool/--score need --kind criteria")
    with _errors():
        ds.validate_name(name)
        store = _service().store
        records = ds.build_records(store, ds.select_turns(store, criteria))
        to_bt = dest == "braintrust" or (dest == "auto" and _bt_key())
        if to_bt:
            with click.progressbar(length=len(records), label="inserting") as bar:
                result = ds.push_braintrust(braintrust_project(), name, records, bar.update)
        else:
            result = ds.write_jsonl(directory or _default_dataset_dir(), name, records)
    version = f" version {result.version}" if result.version else ""
    click.echo(
        f"dataset {name!r}: {len(records)} turns selected; {result.total} records "
        f"({result.added} new, {result.updated} updated) → {result.destination}{version}"
    )


@dataset_group.command("list")
@click.option("--dir", "directory", type=click.Path(path_type=Path), help="JSONL folder.")
def dataset_list_cmd(directory: Path | None) -> None:
    """JSONL datasets and their versions."""
    folder = directory or _default_dataset_dir()
    names = sorted(
        {m.group("name") for p in folder.glob("*.jsonl") if (m := ds.VERSION_RE.match(p.name))}
    )
    if not names:
        click.echo(f"no datasets in {folder}")
    for n in names:
        versions = ds.versions(folder, n)
        count = len(ds.load_jsonl(folder, n))
        click.echo(f"{n}: versions {versions}, latest has {count} records")


# ---------------------------------------------------------------------------- evals


def _load_records(
    name: str, source: str, version: int | None, directory: Path | None
) -> list[dict[str, Any]]:
    """A dataset's records from JSONL or Braintrust."""
    use_bt = source == "braintrust" or (source == "auto" and _bt_key())
    if use_bt:
        return ds.load_braintrust(braintrust_project(), name)
    return ds.load_jsonl(directory or _default_dataset_dir(), name, version)


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
                base_settings=current_app.config,
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
            braintrust_project=braintrust_project() if send else None,
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
    click.option("--dataset", "dataset", required=True, help="Dataset name."),
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
@click.option("--model", help="Model for replays ('offline' = the offline narrator).")
def eval_cmd(
    dataset: str,
    version: int | None,
    source: str,
    directory: Path | None,
    endpoint: str | None,
    min_score: tuple[str, ...],
    out: Path | None,
    no_judge: bool,
    local: bool,
    mode: str,
    model: str | None,
) -> None:
    """Score a dataset's stored answers, or replay it on a model and score the new answers."""
    with _errors():
        evals.parse_thresholds(min_score)
        records = _load_records(dataset, source, version, directory)
        if not records:
            raise click.ClickException(f"dataset {dataset!r} is empty")
        target = evals.Target(model=model, endpoint=endpoint)
        report = _run_one(
            records,
            dataset=dataset,
            mode=mode,
            target=target,
            judge=not no_judge,
            send=_bt_key() and not local,
            workdir=_data_dir() / "eval-runs" / f"{int(time.time())}",
        )
    click.echo(evals.compare_table([report]))
    _finish([report], out or _data_dir() / "eval-reports", min_score)


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
    dataset: str,
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
    with _errors():
        evals.parse_thresholds(min_score)
        records = _load_records(dataset, source, version, directory)
        if not records:
            raise click.ClickException(f"dataset {dataset!r} is empty")
        send = _bt_key() and not local
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
                workdir=_data_dir() / "eval-runs" / f"{int(time.time())}-{i}",
            )
            for i, (mode, target) in enumerate(runs)
        ]
    click.echo(evals.compare_table(reports))
    _finish(reports, out or _data_dir() / "eval-reports", min_score)
