"""``gm games|search|turns|tools|low-rated|trace``: questions about play logs.

Answers come from Braintrust (BTQL) when BRAINTRUST_API_KEY is set, else from the game
database (``--local`` forces the database).
"""

from __future__ import annotations

import json

import click

from ..analytics.models import GameRow, SpanRow, ToolStat, TurnRow, iso
from .base import (
    analytics,
    cli_errors,
    emit,
    gm,
    json_option,
    local_option,
    parse_when,
    short,
    table,
)


def turn_table(rows: list[TurnRow]) -> str:
    """TurnRows as a table."""
    return table(
        ["when", "game", "#", "player", "narration", "tools", "low scores"],
        [
            (
                iso(r.created),
                (r.game_id or "-")[:8],
                r.number,
                short(r.player_message, 30),
                short(r.narration, 50),
                ",".join(r.tools),
                ",".join(f"{k}={v:g}" for k, v in r.scores.items() if v < 0.5),
            )
            for r in rows
        ],
    )


@gm.command("games")
@click.option("--limit", default=20, show_default=True, help="How many games.")
@click.option("--since", help="Created after: 30m, 24h, 7d or an ISO date.")
@click.option("--until", help="Created before: 30m, 24h, 7d or an ISO date.")
@local_option
@json_option
def games_cmd(limit: int, since: str | None, until: str | None, local: bool, as_json: bool) -> None:
    """Recent games with their aggregated story (root `game` spans)."""
    with cli_errors():
        source = analytics(local)
        rows: list[GameRow] = source.recent_games(limit, parse_when(since), parse_when(until))
    emit(
        rows,
        as_json,
        lambda: (
            table(
                ["created", "game", "character", "turns", "outcome", "location", "first message"],
                [
                    (
                        iso(r.created),
                        r.game_id,
                        f"{r.character.get('name', '?')} ({r.character.get('class', '?')})",
                        f"{r.completed_turns}/{r.total_turns}",
                        r.outcome,
                        r.location,
                        short(r.first_message, 30),
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
    with cli_errors():
        source = analytics(local)
        rows = source.search(text, limit)
    emit(rows, as_json, lambda: turn_table(rows) + f"\n({len(rows)} turns from {source.source})")


@gm.command("turns")
@click.option("--since", default="24h", show_default=True)
@click.option("--until")
@click.option("--limit", default=100, show_default=True)
@local_option
@json_option
def turns_cmd(since: str, until: str | None, limit: int, local: bool, as_json: bool) -> None:
    """Turns played in a time window, newest first."""
    with cli_errors():
        source = analytics(local)
        rows = source.turns(parse_when(since), parse_when(until), limit)
    emit(rows, as_json, lambda: turn_table(rows) + f"\n({len(rows)} turns from {source.source})")


@gm.command("tools")
@click.option("--since", help="Only calls after: 30m, 24h, 7d or an ISO date.")
@click.option("--until")
@local_option
@json_option
def tools_cmd(since: str | None, until: str | None, local: bool, as_json: bool) -> None:
    """Tool usage: calls, errors (refusals), error rate, latency."""
    with cli_errors():
        source = analytics(local)
        rows: list[ToolStat] = source.tool_stats(parse_when(since), parse_when(until))
    emit(
        rows,
        as_json,
        lambda: (
            table(
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
    with cli_errors():
        source = analytics(local)
        rows = source.low_rated(threshold, limit)
    emit(rows, as_json, lambda: turn_table(rows) + f"\n({len(rows)} turns from {source.source})")


@gm.command("trace")
@click.argument("game_id")
@local_option
@json_option
def trace_cmd(game_id: str, local: bool, as_json: bool) -> None:
    """One game's whole trace as a tree: game → turns → LLM and tool spans."""
    with cli_errors():
        spans = analytics(local).game_trace(game_id)
    if not spans:
        raise click.ClickException(f"no trace for game {game_id!r}")
    emit(spans, as_json, lambda: _tree(spans))


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
            detail = short(text if isinstance(text, str) else json.dumps(text), 50)
            lines.append(f"{'  ' * depth}- {s.name} [{s.type}]{ms}{err} {detail} {scores}".rstrip())
            walk(s.span_id, depth + 1)

    walk(None, 0)
    return "\n".join(lines)
