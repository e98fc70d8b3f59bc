"""Result types shared by the BTQL and the local-database answers (same shapes either way)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


class AnalyticsError(Exception):
    """A query could not be answered (Braintrust unreachable, bad answer, unknown project)."""


@dataclass
class GameRow:
    """One game with its aggregated story (the output of its root span ``game``)."""

    game_id: str
    created: float | None
    character: dict[str, Any]
    total_turns: int
    completed_turns: int
    outcome: str | None
    location: str | None
    first_message: str | None
    latest_narration: str | None
    source: str

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return asdict(self)


@dataclass
class TurnRow:
    """One turn: what the player said, what the game master answered, and its scores."""

    turn_id: str
    game_id: str | None
    number: int | None
    player_message: str
    narration: str | None
    tools: list[str]
    scores: dict[str, float]
    created: float | None
    span_id: str | None
    source: str

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return asdict(self)


@dataclass
class ToolStat:
    """Usage of one tool: calls, refused or failed calls, latency (None when not recorded)."""

    tool: str
    calls: int
    errors: int
    avg_ms: float | None = None
    max_ms: float | None = None

    @property
    def error_rate(self) -> float:
        """Errors per call (0 when never called)."""
        return self.errors / self.calls if self.calls else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON form, with the error rate."""
        return {**asdict(self), "error_rate": round(self.error_rate, 4)}


@dataclass
class SpanRow:
    """One span of a game's trace (a synthesized one when read from the local database)."""

    span_id: str
    parent_id: str | None
    name: str
    type: str | None
    input: Any = None
    output: Any = None
    error: Any = None
    scores: dict[str, float] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    start: float | None = None
    end: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return asdict(self)


def parse_time(value: Any) -> float | None:
    """Epoch seconds from a number or an ISO-8601 string (Braintrust's ``created``)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return None
    return None


def iso(ts: float | None) -> str:
    """A compact UTC timestamp for tables ('-' when unknown)."""
    if ts is None:
        return "-"
    from datetime import UTC

    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S")
