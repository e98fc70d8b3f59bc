"""Lines of play: retold turns (alternatives), rewinds to any turn, branches and preferences.

Turns form a tree through ``parent_id``. A branch is a line's head; the game's active branch
is the line being played, read from its head up to the root. Nothing is ever deleted: a
rewind starts a new branch and the old one keeps its head; a retold turn is a sibling of the
first telling (``alt_of``) and choosing one records the player's preference over the others.
"""

from __future__ import annotations

from typing import Any

from ..errors import InvalidInput, TurnNotFound
from .games import ACTIVE_HEAD, GameTables
from .leases import require_free_lease
from .records import TURN_SELECT, GameRecord, TurnRecord, decode_turn, game_not_found
from .tree import (
    ACTIVE_LINE,
    LINE_FROM,
    NO_FORK,
    BranchNotFound,
    active_head,
    fork_of,
    new_branch,
    record_preferences,
    restore,
    set_head,
    snapshot,
)


class LineTables(GameTables):
    """Reads and moves of lines of play; begin/finish of turns live in TurnTables."""

    def active_line(
        self, game_id: str, *, before: int | None = None, limit: int | None = None
    ) -> list[TurnRecord]:
        """The active line's turns oldest first: numbers < ``before``, the newest ``limit``."""
        sql = f"{ACTIVE_LINE}SELECT {TURN_SELECT} FROM turns t JOIN line l ON t.id = l.id"
        params: list[Any] = [game_id]
        if before is not None:
            sql += " WHERE t.number < ?"
            params.append(before)
        sql += " ORDER BY t.number DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(max(0, limit))
        rows = self.read_all(sql, *params)
        return [decode_turn(r) for r in reversed(rows)]

    def count_line(self, game_id: str) -> int:
        """How many turns the active line holds (its head's number)."""
        row = self.read_one(
            f"SELECT g.id, h.number FROM games g {ACTIVE_HEAD} WHERE g.id = ?", game_id
        )
        if row is None:
            raise game_not_found(game_id)
        return int(row[1] or 0)

    def alternatives(self, game_id: str, turn_id: str) -> list[TurnRecord]:
        """Every telling of that turn, oldest first; raises TurnNotFound."""
        row = self.read_one(
            "SELECT COALESCE(alt_of, id) FROM turns WHERE id = ? AND game_id = ?",
            turn_id,
            game_id,
        )
        if row is None:
            raise TurnNotFound(f"No turn {turn_id!r} in this game.")
        rows = self.read_all(
            f"SELECT {TURN_SELECT} FROM turns t WHERE t.id = ? OR t.alt_of = ? "
            "ORDER BY t.started_at, t.id",
            row[0],
            row[0],
        )
        return [decode_turn(r) for r in rows]

    def choose(self, game_id: str, turn_id: str, *, prefer: bool = True) -> GameRecord:
        """Make this telling of a line turn the current one; with ``prefer``, record the
        player's preference for it over the other tellings (the page records it only when
        the player plays on from a telling, not while flipping through them)."""
        with self._tx() as q:
            require_free_lease(q, game_id)
            turn = q(
                "SELECT id, parent_id, COALESCE(alt_of, id), state_after, session_after, "
                "session_at, number FROM turns WHERE id = ? AND game_id = ?",
                turn_id,
                game_id,
            ).fetchone()
            if turn is None:
                raise TurnNotFound(f"No turn {turn_id!r} in this game.")
            _, parent, group, state_after, session_after, session_at, number = turn
            branch, head = active_head(q, game_id)
            # Tellings of one turn share its parent, so the group alone finds it on the line.
            on_line = q(
                f"{LINE_FROM}SELECT t.id FROM turns t JOIN line l ON t.id = l.id "
                "WHERE COALESCE(t.alt_of, t.id) = ?",
                head,
                group,
            ).fetchone()
            if on_line is None:
                raise InvalidInput("That turn is not a telling of a turn on the current line.")
            if on_line[0] != turn_id:
                state = snapshot(state_after, "after that telling")
                if on_line[0] == head:
                    set_head(q, branch, turn_id)
                else:
                    # Later turns hang on the telling set aside: keep them as their own line.
                    new_branch(q, game_id, turn_id, parent, "rewind")
                restore(q, game_id, state, fork_of(session_after, session_at), number)
            if prefer:
                record_preferences(q, game_id, turn_id, group)
        return self.get_game(game_id)

    def prefer(self, game_id: str, turn_id: str) -> list[tuple[TurnRecord, TurnRecord]]:
        """Record that the player played on from this telling: (chosen, rejected) pairs new
        to the store, for tracing (an already recorded pair is not returned again)."""
        with self._tx() as q:
            row = q(
                "SELECT COALESCE(alt_of, id) FROM turns WHERE id = ? AND game_id = ?",
                turn_id,
                game_id,
            ).fetchone()
            if row is None:
                raise TurnNotFound(f"No turn {turn_id!r} in this game.")
            new = record_preferences(q, game_id, turn_id, row[0])
        rows = {
            r[0]: decode_turn(r)
            for r in self.read_all(
                f"SELECT {TURN_SELECT} FROM turns t WHERE t.game_id = ? AND (t.id = ? OR "
                "COALESCE(t.alt_of, t.id) = ?)",
                game_id,
                turn_id,
                row[0],
            )
        }
        return [(rows[turn_id], rows[rejected]) for rejected in new]

    def rewind(self, game_id: str, to_turn: int) -> tuple[GameRecord, str]:
        """Start a new active line just after turn ``to_turn`` (0: the start); old one kept."""
        if isinstance(to_turn, bool) or not isinstance(to_turn, int):
            raise InvalidInput("to_turn must be a whole number.")
        with self._tx() as q:
            require_free_lease(q, game_id)
            _, head = active_head(q, game_id)
            length = 0
            if head is not None:
                length = q("SELECT number FROM turns WHERE id = ?", head).fetchone()[0]
            if not 0 <= to_turn <= length:
                raise InvalidInput(f"to_turn must be between 0 and {length}.")
            target: str | None = None
            if to_turn == 0:
                row = q("SELECT initial_state FROM games WHERE id = ?", game_id).fetchone()
                state, fork = snapshot(row[0], "at the start"), dict(NO_FORK)
            else:
                row = q(
                    f"{LINE_FROM}SELECT t.id, t.state_after, t.session_after, t.session_at "
                    "FROM turns t JOIN line l ON t.id = l.id WHERE t.number = ?",
                    head,
                    to_turn,
                ).fetchone()
                if row is None:  # a line with a gap in its numbers (never written so)
                    raise InvalidInput(f"Turn {to_turn} is not on the current line.")
                target = row[0]
                state = snapshot(row[1], f"after turn {to_turn}")
                fork = fork_of(row[2], row[3])
            branch = new_branch(q, game_id, target, target, "rewind")
            restore(q, game_id, state, fork, to_turn)
        return self.get_game(game_id), branch

    def branches(self, game_id: str) -> list[dict[str, Any]]:
        """The game's lines of play, newest first, the active one marked."""
        with self._tx(write=False) as q:
            found = q("SELECT active_branch FROM games WHERE id = ?", game_id).fetchone()
            if found is None:
                raise game_not_found(game_id)
            rows = q(
                "SELECT b.id, b.head_turn_id, h.number, h.player_message, f.number, b.reason, "
                "b.created_at FROM branches b LEFT JOIN turns h ON h.id = b.head_turn_id "
                "LEFT JOIN turns f ON f.id = b.forked_from_turn_id WHERE b.game_id = ? "
                "ORDER BY b.created_at DESC, b.id",
                game_id,
            ).fetchall()
        return [
            {
                "id": r[0],
                "active": r[0] == found[0],
                "head_turn_id": r[1],
                "turns": int(r[2] or 0),
                "last_message": r[3],
                "forked_from_turn": r[4],
                "reason": r[5],
                "created_at": r[6],
            }
            for r in rows
        ]

    def activate_branch(self, game_id: str, branch_id: str) -> GameRecord:
        """Switch to another line of play: its head's state and Claude session come back."""
        with self._tx() as q:
            require_free_lease(q, game_id)
            row = q(
                "SELECT b.head_turn_id, h.state_after, h.session_after, h.session_at, "
                "h.number, g.initial_state FROM branches b JOIN games g ON g.id = b.game_id "
                "LEFT JOIN turns h ON h.id = b.head_turn_id WHERE b.id = ? AND b.game_id = ?",
                branch_id,
                game_id,
            ).fetchone()
            if row is None:
                raise BranchNotFound(f"No line of play {branch_id!r} in this game.")
            head, state_after, session_after, session_at, number, initial = row
            if head is None:
                state, fork = snapshot(initial, "at the start"), dict(NO_FORK)
            else:
                state = snapshot(state_after, f"after turn {number}")
                fork = fork_of(session_after, session_at)
            q("UPDATE games SET active_branch = ? WHERE id = ?", branch_id, game_id)
            restore(q, game_id, state, fork, number or 0)
        return self.get_game(game_id)

    def fork_point(self, game_id: str) -> dict[str, str | None] | None:
        """Where the next Claude connection must branch from, or None (resume as usual)."""
        return self.get_game(game_id).fork_from

    def preferences(self, game_id: str | None = None) -> list[dict[str, Any]]:
        """Recorded choices of one telling over another (all games by default), oldest first."""
        sql = "SELECT id, game_id, chosen_turn_id, rejected_turn_id, created_at FROM preferences"
        params: list[Any] = []
        if game_id is not None:
            sql += " WHERE game_id = ?"
            params.append(game_id)
        rows = self.read_all(sql + " ORDER BY created_at, id", *params)
        return [
            {
                "id": r[0],
                "game_id": r[1],
                "chosen_turn_id": r[2],
                "rejected_turn_id": r[3],
                "created_at": r[4],
            }
            for r in rows
        ]
