"""``gm scenario list|validate``: the adventures on offer, and a check of one scenario file."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .. import rules
from .base import gm, service


@gm.group("scenario")
def scenario_group() -> None:
    """List the scenarios on offer; validate a scenario file (docs/scenarios.md)."""


@scenario_group.command("list")
def list_scenarios() -> None:
    """Id, title and source (package or file) of every usable scenario; skipped files after."""
    library = service().scenarios
    for entry in library.entries():
        click.echo(f"{entry.scenario.id}\t{entry.scenario.title}\t{entry.source}")
    for error in library.skipped():
        click.echo(f"skipped: {error}", err=True)


@scenario_group.command("validate")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def validate(file: Path) -> None:
    """Check FILE against the schema and its references; exit 1 listing the problems."""
    try:
        scenario = rules.read_scenario_file(file)
    except rules.ScenarioError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        sys.exit(1)
    click.echo(f"ok: {scenario.id} ({scenario.title}, {len(scenario.locations)} locations)")
