"""``flask --app app gm ...``: analytics, datasets and evals from the command line."""

from __future__ import annotations

import click


@click.group("gm")
def gm() -> None:
    """Game Master tools: query play logs, build datasets, run evals."""
