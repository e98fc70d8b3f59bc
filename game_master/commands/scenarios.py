"""``gm scenario list|validate``: the adventures on offer, and a check of scenario files.

``validate`` also runs without the app, writing nothing anywhere:
``python -m game_master.scenarios validate my_heist.json`` (the Flask command opens the app,
and with it the data folder).
"""

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


def check_files(files: tuple[Path, ...]) -> int:
    """Check each file (schema, references, the solver); print ``ok`` with the path that
    proves it, or every problem; 0 when all are whole, else 1."""
    status = 0
    for file in files:
        try:
            scenario = rules.read_scenario_file(file)
        except rules.ScenarioError as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            status = 1
            continue
        raw = rules.scenario_checks.parse_json(file.read_text("utf-8"), file.name)
        click.echo(f"ok: {scenario.id} ({scenario.title}, {len(scenario.locations)} locations)")
        click.echo(f"  won by: {rules.prove(raw)}")
    return status


FILES = click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))


@scenario_group.command("validate")
@FILES
def validate(files: tuple[Path, ...]) -> None:
    """Check FILES against the schema, their references and the solver; exit 1 on problems."""
    sys.exit(check_files(files))


@click.group()
def standalone() -> None:
    """Scenario tools that need no app: ``python -m game_master.scenarios validate FILE``."""


@standalone.command("validate")
@FILES
def validate_alone(files: tuple[Path, ...]) -> None:
    """Check FILES against the schema, their references and the solver; exit 1 on problems."""
    sys.exit(check_files(files))
