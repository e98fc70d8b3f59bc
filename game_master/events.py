"""Typed events of one turn, in the order the SSE stream sends them."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, ClassVar


@dataclass(frozen=True)
class GameEvent:
    """Base of the turn events; ``name`` is the SSE event name."""

    name: ClassVar[str] = "event"

    def to_dict(self) -> dict[str, Any]:
        """The SSE ``data`` payload."""
        return asdict(self)


@dataclass(frozen=True)
class TurnStarted(GameEvent):
    """The turn was stored and handed to the game master."""

    name: ClassVar[str] = "turn.started"
    turn_id: str
    number: int


@dataclass(frozen=True)
class TextDelta(GameEvent):
    """A piece of narration as the model streams it."""

    name: ClassVar[str] = "text"
    delta: str


@dataclass(frozen=True)
class ToolEvent(GameEvent):
    """One game tool call and its result (``is_error`` when the rules refused)."""

    name: ClassVar[str] = "tool"
    tool: str
    input: dict[str, Any]
    result: Any
    is_error: bool

    def to_dict(self) -> dict[str, Any]:
        """API.md names the tool ``name``."""
        return {
            "name": self.tool,
            "input": self.input,
            "result": self.result,
            "is_error": self.is_error,
        }


@dataclass(frozen=True)
class StateEvent(GameEvent):
    """The game's state after the turn."""

    name: ClassVar[str] = "state"
    state: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """The state itself is the payload."""
        return dict(self.state)


@dataclass(frozen=True)
class TurnCompleted(GameEvent):
    """The turn finished and is stored."""

    name: ClassVar[str] = "turn.completed"
    turn_id: str
    narration: str
    usage: dict[str, Any] | None
    trace: dict[str, Any] | None
    tool_calls: list[dict[str, Any]]
    duration_ms: float | None


@dataclass(frozen=True)
class TurnError(GameEvent):
    """The turn failed; the player's message is stored and the game can go on."""

    name: ClassVar[str] = "error"
    code: str
    message: str
    turn_id: str | None = None
    retry_after: float | None = None
