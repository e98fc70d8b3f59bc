"""The turn tree's primitives: lines (branches) and their heads, restoring a stored state.

Turns form a tree through ``parent_id``. A branch is a line's head; the game's active branch
is the line being played, read from its head up to the root. Nothing is ever deleted. Every
function takes the open transaction's ``q``; the tables that use them (turns, lines,
leases) import this module and never each other.
"""

from __future__ import annotations

import json
import time
import uuid

from ..errors import GameMasterError
from .connection import Query
from .records import dumps_or_none, game_not_found


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


def snapshot(state: str | None, what: str) -> str:
    """The stored state, or the 409 that says it was never stored."""
    if state is None:
        raise SnapshotMissing(
            f"The game's state {what} was not stored (an older game); it cannot go back there."
        )
    return state
