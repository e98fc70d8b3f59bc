"""Stored games and turns as dataclasses, and their row encoding and decoding."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..errors import GameNotFound
from ..rules import GameState

GAME_COLS = (
    "id, owner, scenario, state, session_id, trace_root, status, turn_count, created_at, "
    "updated_at, active_branch, fork_from, initial_state"
)
_TURN_FIELDS = (
    "id, game_id, number, player_message, narration, tool_calls, usage, status, error_code, "
    "error_message, span_id, trace, started_at, completed_at, duration_ms, parent_id, alt_of, "
    "session_after, session_at"
)
TURN_COLS = _TURN_FIELDS
# A turn's tellings share one group key: the first telling's id. Position and count are
# computed on read so they never go stale when another telling is added.
_GROUP = "COALESCE({t}.alt_of, {t}.id)"
_IN_GROUP = f"(a.id = {_GROUP.format(t='t')} OR a.alt_of = {_GROUP.format(t='t')})"
# Select list for ``FROM turns t``: every column of TURN_COLS, then alt_index and alt_count.
TURN_SELECT = (
    ", ".join(f"t.{c.strip()}" for c in _TURN_FIELDS.split(","))
    + f", (SELECT COUNT(*) FROM turns a WHERE {_IN_GROUP} AND (a.started_at < t.started_at "
    "OR (a.started_at = t.started_at AND a.id < t.id))) AS alt_index"
    + f", (SELECT COUNT(*) FROM turns a WHERE {_IN_GROUP}) AS alt_count"
)


@dataclass
class GameRecord:
    """A stored game, state decoded."""

    id: str
    owner: str | None
    scenario: str
    state: GameState
    session_id: str | None
    trace_root: str | None
    status: str
    turn_count: int
    created_at: float
    updated_at: float
    active_branch: str | None = None
    # Where the next Claude connection must branch from ({"session_id", "at"}), or None.
    fork_from: dict[str, str | None] | None = None
    initial_state: GameState | None = None


@dataclass
class SavedGame:
    """One line of a browser's list of games: what it shows without loading the game."""

    id: str
    scenario: str
    state: GameState
    status: str
    # Turns on the active line (its head's number), not every turn ever told.
    turns: int
    # When the game last moved (a turn, retry, rewind or switch of line), Unix seconds.
    last_played: float
    created_at: float
    # When it left the list (Unix seconds); None while it is listed.
    archived_at: float | None = None


@dataclass
class TurnRecord:
    """A stored turn (pending, completed or failed)."""

    id: str
    game_id: str
    number: int
    player_message: str
    narration: str | None
    tool_calls: list[dict[str, Any]]
    usage: dict[str, Any] | None
    status: str
    error_code: str | None
    error_message: str | None
    span_id: str | None
    trace: dict[str, Any] | None
    started_at: float
    completed_at: float | None
    duration_ms: float | None
    parent_id: str | None = None
    alt_of: str | None = None
    session_after: str | None = None
    session_at: str | None = None
    alt_index: int = 0
    alt_count: int = 1

    def to_dict(self) -> dict[str, Any]:
        """JSON form for the API."""
        data: dict[str, Any] = {
            "id": self.id,
            "number": self.number,
            "parent_id": self.parent_id,
            "player_message": self.player_message,
            "narration": self.narration,
            "tool_calls": self.tool_calls,
            "usage": self.usage,
            "status": self.status,
            "error": (
                {"code": self.error_code, "message": self.error_message}
                if self.error_code
                else None
            ),
            "trace": self.trace,
            "started_at": self.started_at,
            "completed_at": self.completed_at,
            "duration_ms": self.duration_ms,
        }
        if self.alt_count > 1:
            # 1-based, as the page shows it: ‹ 2/3 ›.
            data["alternatives"] = {"index": self.alt_index + 1, "count": self.alt_count}
        return data


def decode_game(row: Any) -> GameRecord:
    """Decode a games row selected as :data:`GAME_COLS`."""
    return GameRecord(
        id=row[0],
        owner=row[1],
        scenario=row[2],
        state=GameState.from_dict(json.loads(row[3])),
        session_id=row[4],
        trace_root=row[5],
        status=row[6],
        turn_count=row[7],
        created_at=row[8],
        updated_at=row[9],
        active_branch=row[10],
        fork_from=loads_or_none(row[11]),
        initial_state=GameState.from_dict(json.loads(row[12])) if row[12] else None,
    )


def decode_turn(row: Any) -> TurnRecord:
    """Decode a turns row selected as :data:`TURN_COLS` or :data:`TURN_SELECT`."""
    return TurnRecord(
        id=row[0],
        game_id=row[1],
        number=row[2],
        player_message=row[3],
        narration=row[4],
        tool_calls=json.loads(row[5] or "[]"),
        usage=loads_or_none(row[6]),
        status=row[7],
        error_code=row[8],
        error_message=row[9],
        span_id=row[10],
        trace=loads_or_none(row[11]),
        started_at=row[12],
        completed_at=row[13],
        duration_ms=row[14],
        parent_id=row[15],
        alt_of=row[16],
        session_after=row[17],
        session_at=row[18],
        alt_index=int(row[19]) if len(row) > 19 else 0,
        alt_count=int(row[20]) if len(row) > 20 else 1,
    )


def dumps(value: Any) -> str:
    """JSON for a TEXT column; lone surrogates are escaped, never a crash."""
    return json.dumps(value, ensure_ascii=True)


def dumps_or_none(value: Any) -> str | None:
    """JSON for a nullable TEXT column: None stays NULL."""
    return dumps(value) if value is not None else None


def loads_or_none(text: str | None) -> Any:
    """A nullable JSON TEXT column decoded; NULL or empty is None."""
    return json.loads(text) if text else None


def game_not_found(game_id: str) -> GameNotFound:
    """The error for a game id nobody stored."""
    return GameNotFound(f"No game {game_id!r}.")
