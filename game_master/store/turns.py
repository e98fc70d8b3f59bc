"""The turns table: a turn begins under the game's lease (leases.py) and ends releasing it.

Each turn keeps the state before and after it and the Claude session point it ends at, so
lines.py can go back to any of them.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from ..errors import TurnNotFound
from .connection import Database, Query
from .leases import release_lease, take_lease
from .records import TURN_SELECT, TurnRecord, decode_turn, dumps, dumps_or_none
from .tree import (
    NO_FORK,
    SnapshotMissing,
    TurnNotLatest,
    active_head,
    bring_back,
    fork_of,
    restore,
    set_head,
)


class TurnTables(Database):
    """Turns begin under a lease row on the game and finish by releasing it."""

    def begin_turn(
        self,
        game_id: str,
        message: str,
        *,
        lease_owner: str,
        lease_seconds: float,
        retry_of: str | None = None,
    ) -> TurnRecord:
        """Store the player's message and take the game's turn lease (any worker, any host).

        Raises TurnInProgress when another live lease holds the game. The message is
        committed before the model is called, so it survives whatever happens next.
        ``retry_of`` (the active line's latest turn, else TurnNotLatest) tells that turn
        again: the state before it comes back and the new telling becomes the head.
        """
        now = time.time()
        turn_id = uuid.uuid4().hex
        with self._tx() as q:
            take_lease(q, game_id, lease_owner, lease_seconds, now)
            branch, head = active_head(q, game_id)
            if retry_of is None:
                parent, alt_of = head, None
                row = q(
                    "SELECT g.state, h.number FROM games g LEFT JOIN turns h ON h.id = ? "
                    "WHERE g.id = ?",
                    head,
                    game_id,
                ).fetchone()
                state_before, number = row[0], (row[1] or 0) + 1
            else:
                parent, alt_of, number, state_before = self._retell(q, game_id, head, retry_of)
            q(
                "INSERT INTO turns (id, game_id, number, player_message, status, started_at, "
                "parent_id, alt_of, retry_of, state_before) "
                "VALUES (?, ?, ?, ?, 'running', ?, ?, ?, ?, ?)",
                turn_id,
                game_id,
                number,
                message,
                now,
                parent,
                alt_of,
                retry_of,
                state_before,
            )
            set_head(q, branch, turn_id)
            q("UPDATE games SET turn_count = ? WHERE id = ?", number, game_id)
        return self.get_turn(game_id, turn_id)

    @staticmethod
    def _retell(
        q: Query, game_id: str, head: str | None, retry_of: str
    ) -> tuple[str | None, str, int, str]:
        """(parent, alt_of, number, state_before) of a new telling of the head turn.

        Puts the game back into the state before that turn and points the next Claude
        connection at the session as it was before it.
        """
        row = q(
            "SELECT t.parent_id, COALESCE(t.alt_of, t.id), t.number, "
            "COALESCE(t.state_before, p.state_after, "
            "CASE WHEN t.parent_id IS NULL THEN g.initial_state END), "
            "p.session_after, p.session_at FROM turns t JOIN games g ON g.id = t.game_id "
            "LEFT JOIN turns p ON p.id = t.parent_id WHERE t.id = ? AND t.game_id = ?",
            retry_of,
            game_id,
        ).fetchone()
        if row is None:
            raise TurnNotFound(f"No turn {retry_of!r} in this game.")
        if retry_of != head:
            raise TurnNotLatest("Only the latest turn can be told again.")
        parent, alt_of, number, state_before, session_after, session_at = row
        if state_before is None:
            raise SnapshotMissing(
                "The state before that turn was not stored (an older game); it cannot be retold."
            )
        fork = fork_of(session_after, session_at) if parent is not None else dict(NO_FORK)
        restore(q, game_id, state_before, fork, None)
        return parent, alt_of, number, state_before

    def finish_turn(
        self,
        turn_id: str,
        *,
        status: str,
        narration: str | None,
        tool_calls: list[dict[str, Any]],
        usage: dict[str, Any] | None = None,
        error_code: str | None = None,
        error_message: str | None = None,
        span_id: str | None = None,
        trace: dict[str, Any] | None = None,
        session_after: str | None = None,
        session_at: str | None = None,
    ) -> TurnRecord:
        """Record how a turn ended (``completed`` or ``failed``) and release the lease.

        The state after it is kept (for a failed turn: whatever its tools did); a failed
        retelling gives the line back to the telling that was current before it. A turn
        that already ended (or was reaped as interrupted while its holder looked dead) is
        left as it is, and the lease, which may belong to a newer turn by now, is untouched:
        so recording an ending twice is harmless.
        """
        now = time.time()
        with self._tx() as q:
            row = q(
                "SELECT t.game_id, t.started_at, t.retry_of, g.state FROM turns t "
                "JOIN games g ON g.id = t.game_id WHERE t.id = ?",
                turn_id,
            ).fetchone()
            if row is None:
                raise TurnNotFound(f"No turn {turn_id!r}.")
            game_id, started, retry_of, state = row
            ended = q(
                "UPDATE turns SET status = ?, narration = ?, tool_calls = ?, usage = ?, "
                "error_code = ?, error_message = ?, span_id = COALESCE(?, span_id), "
                "trace = COALESCE(?, trace), completed_at = ?, duration_ms = ?, "
                "state_after = ?, session_after = COALESCE(?, session_after), "
                "session_at = COALESCE(?, session_at) WHERE id = ? AND status = 'running'",
                status,
                narration,
                dumps(tool_calls),
                dumps_or_none(usage),
                error_code,
                error_message,
                span_id,
                dumps_or_none(trace),
                now,
                round((now - started) * 1000, 1),
                state,
                session_after,
                session_at,
                turn_id,
            ).rowcount
            if ended == 1:
                if status == "failed" and retry_of is not None:
                    bring_back(q, game_id, turn_id, retry_of)
                release_lease(q, game_id, now)
        return self.get_turn(game_id, turn_id)

    def note_narration(self, turn_id: str, narration: str) -> None:
        """Keep the narration streamed so far on a running turn (a dead worker's turn then
        shows what the player saw)."""
        with self._tx() as q:
            q(
                "UPDATE turns SET narration = ? WHERE id = ? AND status = 'running'",
                narration,
                turn_id,
            )

    def set_turn_span(self, turn_id: str, span_id: str, trace: dict[str, Any] | None) -> None:
        """Link a turn to its tracing span as soon as the span exists."""
        with self._tx() as q:
            q(
                "UPDATE turns SET span_id = ?, trace = ? WHERE id = ?",
                span_id,
                dumps_or_none(trace),
                turn_id,
            )

    def get_turn(self, game_id: str, turn_id: str) -> TurnRecord:
        """One turn of one game; raises TurnNotFound."""
        row = self.read_one(
            f"SELECT {TURN_SELECT} FROM turns t WHERE t.id = ? AND t.game_id = ?",
            turn_id,
            game_id,
        )
        if row is None:
            raise TurnNotFound(f"No turn {turn_id!r} in this game.")
        return decode_turn(row)

    def list_turns(self, game_id: str) -> list[TurnRecord]:
        """Every turn of a game ever (all lines and tellings) in order: for analytics."""
        rows = self.read_all(
            f"SELECT {TURN_SELECT} FROM turns t WHERE t.game_id = ? "
            "ORDER BY t.number, t.started_at, t.id",
            game_id,
        )
        return [decode_turn(r) for r in rows]
