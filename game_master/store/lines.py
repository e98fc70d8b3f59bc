"""Lines of play: retold turns (alternatives), rewinds to any turn, branches and preferences.

Turns form a tree through ``parent_id``. A branch is a line's head; the game's active branch
is the line being played, read from its head up to the root. Nothing is ever deleted: a
rewind starts a new branch and the old one keeps its head; a retold turn is a sibling of the
first telling (``alt_of``) and choosing one records the player's preference over the others.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from ..errors import GameMasterError, InvalidInput, TurnInProgress, TurnNotFound
from .connection import Query
from .games import ACTIVE_HEAD, GameTables
from .records import (
    TURN_SELECT,
    GameRecord,
    TurnRecord,
    decode_turn,
    dumps_or_none,
    game_not_found,
)


class TurnNotLatest(GameMasterError):
    """Only the latest turn of the active line can be told again."""

    status = 409
    code = "not_latest_turn"


class SnapshotMissing(GameMasterError):
    """The state to go back to was never stored (a turn from before snapshots existed)."""

    status = 409
    code = "snapshot_missing"


class BranchNotFound(GameMasterError):
    """No line of play with that id in that game."""

    status = 404
    code = "branch_not_found"


# The line ending at a head turn (bound as the only parameter), as ids, via parent_id.
LINE_FROM = (
    "WITH RECURSIVE line(id) AS (SELECT CAST(? AS TEXT) UNION ALL "
    "SELECT t.parent_id FROM turns t JOIN line ON t.id = line.id WHERE t.parent_id IS NOT NULL) "
)
# The same from the game's active branch (bound: the game id).
ACTIVE_LINE = (
    "WITH RECURSIVE line(id) AS (SELECT b.head_turn_id FROM games g "
    "JOIN branches b ON b.id = g.active_branch WHERE g.id = ? UNION ALL "
    "SELECT t.parent_id FROM turns t JOIN line ON t.id = line.id WHERE t.parent_id IS NOT NULL) "
)
NO_FORK: dict[str, str | None] = {"session_id": None, "at": None}


def fork_of(session_after: str | None, session_at: str | None) -> dict[str, str | None]:
    """Where a new Claude connection continues after a turn ({None, None}: a fresh session)."""
    return {"session_id": session_after, "at": session_at}


def require_free_lease(q: Query, game_id: str) -> None:
    """Lock the game row; raise GameNotFound, or TurnInProgress while a live lease holds it."""
    row = q("SELECT lease_until FROM games WHERE id = ? FOR UPDATE", game_id).fetchone()
    if row is None:
        raise game_not_found(game_id)
    now = time.time()
    if row[0] is not None and row[0] >= now:
        raise TurnInProgress(
            "The game master is still answering your last action.",
            retry_after=max(1.0, round(row[0] - now, 1)),
        )
    # A lapsed lease: its turn died with its worker; record that before the line moves.
    from .turns import TurnTables  # turns imports this module

    TurnTables._interrupt_dead_turns(q, game_id, now)


def active_head(q: Query, game_id: str) -> tuple[str, str | None]:
    """(active branch id, its head turn id or None); a game without a line gets one."""
    row = q(
        "SELECT g.active_branch, b.head_turn_id FROM games g "
        "LEFT JOIN branches b ON b.id = g.active_branch WHERE g.id = ?",
        game_id,
    ).fetchone()
    if row is None:
        raise game_not_found(game_id)
    if row[0] is not None:
        return row[0], row[1]
    # Defensive: every game gets a start line at creation or migration.
    head = q(
        "SELECT id FROM turns WHERE game_id = ? ORDER BY number DESC, started_at DESC LIMIT 1",
        game_id,
    ).fetchone()
    branch = new_branch(q, game_id, head[0] if head else None, None, "start")
    return branch, head[0] if head else None


def new_branch(
    q: Query, game_id: str, head: str | None, forked_from: str | None, reason: str
) -> str:
    """Insert a branch and make it the game's active one; returns its id."""
    branch = uuid.uuid4().hex
    q(
        "INSERT INTO branches (id, game_id, head_turn_id, forked_from_turn_id, created_at, "
        "reason) VALUES (?, ?, ?, ?, ?, ?)",
        branch,
        game_id,
        head,
        forked_from,
        time.time(),
        reason,
    )
    q("UPDATE games SET active_branch = ? WHERE id = ?", branch, game_id)
    return branch


def set_head(q: Query, branch: str, turn_id: str | None) -> None:
    """Move a branch's head."""
    q("UPDATE branches SET head_turn_id = ? WHERE id = ?", turn_id, branch)


def restore(
    q: Query, game_id: str, state: str, fork: dict[str, str | None], turn_count: int | None
) -> None:
    """Put the game back into a stored state (JSON text) and say where Claude continues.

    Everything comes back but the dice: their counter only moves on, so a retold turn rolls
    fresh dice instead of replaying the ones it is retelling.
    """
    snapshot = json.loads(state)
    row = q("SELECT state FROM games WHERE id = ?", game_id).fetchone()
    if row is not None:
        rolls = int(json.loads(row[0]).get("rolls", 0))
        snapshot["rolls"] = max(int(snapshot.get("rolls", 0)), rolls)
        state = json.dumps(snapshot)
    outcome = snapshot.get("outcome")
    q(
        "UPDATE games SET state = ?, status = ?, fork_from = ?, "
        "turn_count = COALESCE(?, turn_count), updated_at = ? WHERE id = ?",
        state,
        outcome or "active",
        dumps_or_none(fork),
        turn_count,
        time.time(),
        game_id,
    )


def bring_back(q: Query, game_id: str, failed_id: str, previous_id: str) -> None:
    """A retold turn failed: the telling that was current before it comes back as head."""
    prev = q(
        "SELECT state_after, session_after, session_at FROM turns WHERE id = ?", previous_id
    ).fetchone()
    q("UPDATE branches SET head_turn_id = ? WHERE head_turn_id = ?", previous_id, failed_id)
    if prev is not None and prev[0] is not None:
        restore(q, game_id, prev[0], fork_of(prev[1], prev[2]), None)


def record_preferences(q: Query, game_id: str, chosen: str, group: str) -> list[str]:
    """Prefer ``chosen`` over the other completed tellings of its turn; the new rejected ids."""
    # Failed or unfinished tellings are not outputs the player judged.
    others = q(
        "SELECT id FROM turns WHERE (id = ? OR alt_of = ?) AND id <> ? "
        "AND status = 'completed' ORDER BY started_at, id",
        group,
        group,
        chosen,
    ).fetchall()
    new = []
    for (rejected,) in others:
        added = q(
            "INSERT INTO preferences (id, game_id, chosen_turn_id, rejected_turn_id, "
            "created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            uuid.uuid4().hex,
            game_id,
            chosen,
            rejected,
            time.time(),
        ).rowcount
        if added:
            new.append(rejected)
    return new


def _snapshot(state: str | None, what: str) -> str:
    """The stored state, or the 409 that says it was never stored."""
    if state is None:
        raise SnapshotMissing(
            f"The game's state {what} was not stored (an older game); it cannot go back there."
        )
    return state


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
                state = _snapshot(state_after, "after that telling")
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
                state, fork = _snapshot(row[0], "at the start"), dict(NO_FORK)
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
                state = _snapshot(row[1], f"after turn {to_turn}")
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
                state, fork = _snapshot(initial, "at the start"), dict(NO_FORK)
            else:
                state = _snapshot(state_after, f"after turn {number}")
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
