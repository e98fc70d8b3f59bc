"""The games table: create, read, change the state under a row lock, link session and trace."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from ..rules import GameState
from .connection import Database
from .records import GAME_COLS, GameRecord, SavedGame, decode_game, dumps, game_not_found

T = TypeVar("T")

# Joins the head turn ``h`` of the active line of games ``g`` (through its branch ``b``);
# ``h.number`` is the line's length (NULL: no turn yet).
ACTIVE_HEAD = (
    "LEFT JOIN branches b ON b.id = g.active_branch LEFT JOIN turns h ON h.id = b.head_turn_id"
)


class GameTables(Database):
    """Reads and writes of stored games."""

    def create_game(
        self,
        state: GameState,
        *,
        owner: str | None = None,
        game_id: str | None = None,
    ) -> GameRecord:
        """Store a new game, its initial state and its first line of play; return it."""
        now = time.time()
        gid = game_id or uuid.uuid4().hex
        branch = uuid.uuid4().hex
        encoded = dumps(state.to_dict())
        with self._tx() as q:
            q(
                f"INSERT INTO games ({GAME_COLS}) "
                "VALUES (?, ?, ?, ?, NULL, NULL, 'active', 0, ?, ?, ?, NULL, ?)",
                gid,
                owner,
                state.scenario_id,
                encoded,
                now,
                now,
                branch,
                encoded,
            )
            q(
                "INSERT INTO branches (id, game_id, head_turn_id, forked_from_turn_id, "
                "created_at, reason) VALUES (?, ?, NULL, NULL, ?, 'start')",
                branch,
                gid,
                now,
            )
        return self.get_game(gid)

    def get_game(self, game_id: str) -> GameRecord:
        """The game; raises GameNotFound."""
        row = self.read_one(f"SELECT {GAME_COLS} FROM games WHERE id = ?", game_id)
        if row is None:
            raise game_not_found(game_id)
        return decode_game(row)

    def read_state(self, game_id: str) -> GameState:
        """The game's current state."""
        return self.get_game(game_id).state

    def update_state(
        self,
        game_id: str,
        change: Callable[[GameState], T],
        record: Callable[[T], dict[str, Any]] | None = None,
    ) -> T:
        """Apply ``change`` to the state under a row lock; nothing is saved if it raises.

        ``record(result)`` is the tool call that made the change: it is appended to the
        game's running turn in the same commit, so a turn that dies midway still shows every
        change that took effect (and a retry starts from the state before the turn).
        """
        with self._tx() as q:
            row = q("SELECT state FROM games WHERE id = ? FOR UPDATE", game_id).fetchone()
            if row is None:
                raise game_not_found(game_id)
            state = GameState.from_dict(json.loads(row[0]))
            result = change(state)
            status = "active" if state.outcome is None else state.outcome
            q(
                "UPDATE games SET state = ?, status = ?, updated_at = ? WHERE id = ?",
                dumps(state.to_dict()),
                status,
                time.time(),
                game_id,
            )
            if record is not None:
                running = q(
                    "SELECT id, tool_calls FROM turns WHERE game_id = ? AND status = 'running' "
                    "ORDER BY started_at DESC LIMIT 1",
                    game_id,
                ).fetchone()
                if running is not None:
                    calls = [*json.loads(running[1] or "[]"), record(result)]
                    q("UPDATE turns SET tool_calls = ? WHERE id = ?", dumps(calls), running[0])
        return result

    def set_session_id(self, game_id: str, session_id: str) -> None:
        """Remember the Claude session that holds this game's conversation (fork consumed)."""
        with self._tx() as q:
            q(
                "UPDATE games SET session_id = ?, fork_from = NULL WHERE id = ?",
                session_id,
                game_id,
            )

    def set_trace_root(self, game_id: str, exported: str) -> None:
        """Remember the exported root span of the game's trace."""
        with self._tx() as q:
            q("UPDATE games SET trace_root = ? WHERE id = ?", exported, game_id)

    def owned_games(self, owner: str, *, archived: bool = False) -> list[SavedGame]:
        """The owner's listed games (those it made, and those it joined and still sits at),
        the most recently played first; with ``archived``,
        the archived ones instead, the most recently archived first."""
        where, order = "g.archived_at IS NULL", "g.updated_at DESC"
        if archived:
            where, order = "g.archived_at IS NOT NULL", "g.archived_at DESC, g.updated_at DESC"
        rows = self.read_all(
            "SELECT g.id, g.scenario, g.state, g.status, h.number, g.updated_at, g.created_at, "
            f"g.archived_at FROM games g {ACTIVE_HEAD} WHERE (g.owner = ? OR g.id IN "
            "(SELECT s.game_id FROM seats s WHERE s.browser = ? AND s.left_at IS NULL)) "
            f"AND {where} ORDER BY {order}, g.created_at DESC, g.id",
            owner,
            owner,
        )
        return [
            SavedGame(
                id=r[0],
                scenario=r[1],
                state=GameState.from_dict(json.loads(r[2])),
                status=r[3],
                turns=int(r[4] or 0),
                last_played=r[5],
                created_at=r[6],
                archived_at=r[7],
            )
            for r in rows
        ]

    def archive_game(self, game_id: str) -> None:
        """Hide the game from its owner's list; nothing of it is deleted. Archiving an
        archived game keeps its first archive time; raises GameNotFound."""
        with self._tx() as q:
            changed = q(
                "UPDATE games SET archived_at = COALESCE(archived_at, ?) WHERE id = ?",
                time.time(),
                game_id,
            ).rowcount
        if changed == 0:
            raise game_not_found(game_id)

    def unarchive_game(self, game_id: str) -> None:
        """Put an archived game back on its owner's list (a listed game stays as it is);
        raises GameNotFound."""
        with self._tx() as q:
            changed = q("UPDATE games SET archived_at = NULL WHERE id = ?", game_id).rowcount
        if changed == 0:
            raise game_not_found(game_id)
