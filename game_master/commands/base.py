"""The ``gm`` command group and what its commands share: the app's service, settings, output."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

from ..analytics.judge import JudgeError
from ..analytics.models import AnalyticsError
from ..analytics.sources import Analytics, open_analytics
from ..errors import GameMasterError
from ..service import GameService
from ..settings import Settings

gm = AppGroup("gm", help="Game Master tools: query play logs, build datasets, run evals.")

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


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


def service() -> GameService:
    """The app's GameService (its store; nothing is started)."""
    svc: GameService = current_app.extensions["game_master"]
    return svc


def settings() -> Settings:
    """The app's settings."""
    return service().settings


def analytics(local: bool) -> Analytics:
    """Braintrust or local answers."""
    cfg = settings()
    return open_analytics(
        service().store,
        local=local,
        api_key=cfg.braintrust_api_key or "",
        api_url=cfg.braintrust_api_url,
        project=cfg.braintrust_project,
    )


@contextmanager
def cli_errors() -> Iterator[None]:
    """Turn analytics failures (a failing judge too) into a one-line error and exit status 1."""
    try:
        yield
    except (AnalyticsError, GameMasterError, JudgeError, ValueError, FileNotFoundError) as exc:
        raise click.ClickException(str(exc)) from exc


def table(headers: Sequence[str], rows: list[Sequence[Any]]) -> str:
    """A plain aligned text table."""
    cells = [[str(h) for h in headers]] + [["-" if v is None else str(v) for v in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def short(text: str | None, n: int = 60) -> str:
    """One line of at most ``n`` characters."""
    flat = " ".join((text or "").split())
    return flat if len(flat) <= n else flat[: n - 1] + "…"


def emit(rows: list[Any], as_json: bool, render: Callable[[], str]) -> None:
    """Print rows as JSON or as the rendered table."""
    if as_json:
        click.echo(json.dumps([r.to_dict() for r in rows], indent=2, ensure_ascii=False))
    else:
        click.echo(render())


local_option = click.option(
    "--local", is_flag=True, help="Answer from the game database even when Braintrust is set."
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
