"""The events of one turn: the one home of their names, shapes and JSON answer.

    turn.started ─▶ text* and tool*, in any order ─▶ state ─▶ turn.completed
          └──────────────── error, in place of what is left ───────────────┘

Each event is a frozen dataclass whose ``name`` is its SSE event name and whose
:meth:`~GameEvent.carry` says where the JSON answer of a turn (a client without
``Accept: text/event-stream``) carries it. Everything else takes the names from
:data:`EVENTS`: the OpenAPI document's ``x-sse-events`` (openapi/schemas.py) and the
page's event table (``EVENT_HANDLERS`` in static/js/turn.js); tests/contract/test_events.py
and tests/browser/test_event_table.py hold them to this set.

A party game's table stream (``GET /api/games/<id>/events``) carries these turn events of
each resolving round (each with its ``turn_id``) and the table's own events,
:data:`TABLE_EVENTS`; :data:`TABLE_EVENT_NAMES` is the whole stream's set, which the OpenAPI
document's ``x-sse-events`` of that route holds to (tests/contract/test_events.py).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, ClassVar


@dataclass(frozen=True)
class GameEvent(ABC):
    """Base of the turn events; ``name`` is the SSE event name."""

    name: ClassVar[str] = "event"

    def to_dict(self) -> dict[str, Any]:
        """The SSE ``data`` payload."""
        return asdict(self)

    @abstractmethod
    def carry(self, answer: dict[str, Any]) -> None:
        """Put this event into the JSON answer of its turn (every event says where)."""


@dataclass(frozen=True)
class TurnStarted(GameEvent):
    """The turn was stored and handed to the game master."""

    name: ClassVar[str] = "turn.started"
    turn_id: str
    number: int

    def carry(self, answer: dict[str, Any]) -> None:
        """The answer's ``turn_id`` and ``number``."""
        answer["turn_id"] = self.turn_id
        answer["number"] = self.number


@dataclass(frozen=True)
class TextDelta(GameEvent):
    """A piece of narration as the model streams it."""

    name: ClassVar[str] = "text"
    delta: str

    def carry(self, answer: dict[str, Any]) -> None:
        """Joined into ``narration`` (which turn.completed then gives as stored)."""
        answer["narration"] = answer.get("narration", "") + self.delta


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

    def carry(self, answer: dict[str, Any]) -> None:
        """Appended to ``tool_calls`` (which turn.completed then gives as stored)."""
        answer.setdefault("tool_calls", []).append(self.to_dict())


@dataclass(frozen=True)
class StateEvent(GameEvent):
    """The game's state after the turn."""

    name: ClassVar[str] = "state"
    state: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """The state itself is the payload."""
        return dict(self.state)

    def carry(self, answer: dict[str, Any]) -> None:
        """The answer's ``state``."""
        answer["state"] = self.to_dict()


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

    def carry(self, answer: dict[str, Any]) -> None:
        """Its fields, as stored (the narration and tool calls streamed before, whole)."""
        answer.update(
            turn_id=self.turn_id,
            narration=self.narration,
            tool_calls=self.tool_calls,
            usage=self.usage,
            trace=self.trace,
            duration_ms=self.duration_ms,
        )


@dataclass(frozen=True)
class TurnError(GameEvent):
    """The turn failed; the player's message is stored and the game can go on."""

    name: ClassVar[str] = "error"
    code: str
    message: str
    turn_id: str | None = None
    retry_after: float | None = None

    def carry(self, answer: dict[str, Any]) -> None:
        """The answer's ``error`` (``retry_after`` travels as the Retry-After header)."""
        answer["error"] = {"code": self.code, "message": self.message}
        if self.turn_id is not None:
            answer["turn_id"] = self.turn_id


# Every event of a turn, in stream order. A new event class goes here (a test checks that
# every GameEvent subclass is listed), and the document and the page follow from its name.
EVENTS: tuple[type[GameEvent], ...] = (
    TurnStarted,
    TextDelta,
    ToolEvent,
    StateEvent,
    TurnCompleted,
    TurnError,
)
EVENT_NAMES: tuple[str, ...] = tuple(event.name for event in EVENTS)
# The events that end a turn's stream.
FINAL = (TurnCompleted, TurnError)


def turn_answer(events: Iterable[GameEvent]) -> tuple[dict[str, Any], GameEvent | None]:
    """A turn's JSON answer folded from its events, and the event that ended it (None when
    the events ran out first)."""
    answer: dict[str, Any] = {"turn_id": None, "narration": "", "tool_calls": [], "state": None}
    for event in events:
        event.carry(answer)
        if isinstance(event, FINAL):
            return answer, event
    return answer, None


# The table's own events (party play), name → what its data says. They are stored rows
# (store/party.py) replayed after Last-Event-ID, so they travel as plain dicts.
ROUND_OPENED = "round.opened"
ACTION_SUBMITTED = "action.submitted"
PRESENCE = "presence"
TYPING = "typing"
LINE_CHANGED = "line.changed"
TABLE_EVENTS: dict[str, str] = {
    ROUND_OPENED: "A round opened: `{round, deadline}` (deadline in epoch seconds).",
    ACTION_SUBMITTED: (
        "A seat acted or changed its action: `{round, player_id}`; the text stays hidden "
        "until the round resolves."
    ),
    PRESENCE: (
        "A seat came or went: `{player_id, online}`, or `{player_id, joined, role, name}`, "
        "or `{player_id, left}`."
    ),
    TYPING: "A seat is typing (or stopped): `{player_id, typing}`.",
    LINE_CHANGED: (
        "The host retold, rewound or switched the line of play: `{reason, turn_id?}`; read the "
        "game again."
    ),
}
TABLE_EVENT_NAMES: tuple[str, ...] = (*TABLE_EVENTS, *EVENT_NAMES)
