"""``gm dataset build|list``: eval datasets from logged turns (Braintrust or JSONL files)."""

from __future__ import annotations

from pathlib import Path

import click

from ..analytics import datasets as ds
from ..analytics import preferences
from .base import cli_errors, gm, parse_when, service, settings


@gm.group("dataset")
def dataset_group() -> None:
    """Build and list eval datasets from logged turns."""


@dataset_group.command("build")
@click.argument("name")
@click.option(
    "--kind",
    type=click.Choice(["recent", "criteria", "multi-tool", "preferences"]),
    default="recent",
    show_default=True,
    help="recent turns; turns matching the criteria options; turns with 2+ tool calls; "
    "the players' choices between two tellings of a turn (chosen vs rejected).",
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
    if kind == "preferences" and any([text, tool, score_name, since, until]):
        raise click.UsageError("--kind preferences takes every recorded choice (and --limit)")
    with cli_errors():
        ds.validate_name(name)
        store = service().store
        if kind == "preferences":
            records = preferences.build_preference_records(store, limit=limit)
        else:
            records = ds.build_records(store, ds.select_turns(store, criteria))
        to_bt = dest == "braintrust" or (dest == "auto" and settings().has_braintrust_key)
        if to_bt:
            with click.progressbar(length=len(records), label="inserting") as bar:
                result = ds.push_braintrust(
                    settings().braintrust_project, name, records, bar.update
                )
        else:
            result = ds.write_jsonl(directory or settings().dataset_dir, name, records)
    version = f" version {result.version}" if result.version else ""
    click.echo(
        f"dataset {name!r}: {len(records)} {'preferences' if kind == 'preferences' else 'turns'}"
        f" selected; {result.total} records "
        f"({result.added} new, {result.updated} updated) → {result.destination}{version}"
    )


@dataset_group.command("list")
@click.option("--dir", "directory", type=click.Path(path_type=Path), help="JSONL folder.")
def dataset_list_cmd(directory: Path | None) -> None:
    """JSONL datasets and their versions."""
    folder = directory or settings().dataset_dir
    names = sorted(
        {m.group("name") for p in folder.glob("*.jsonl") if (m := ds.VERSION_RE.match(p.name))}
    )
    if not names:
        click.echo(f"no datasets in {folder}")
    for n in names:
        versions = ds.versions(folder, n)
        count = len(ds.load_jsonl(folder, n))
        click.echo(f"{n}: versions {versions}, latest has {count} records")
