"""The game's turn lease: one turn at a time on any worker or host, and dead turns.

The lease is short (seconds) and renewed by the process running the turn
(:meth:`LeaseTables.renew_leases`), so it dies with its holder: once it lapses, the turn
still ``running`` under it is marked ``interrupted`` by the next request that looks
(:meth:`LeaseTables.reap_dead_turns`), by the next turn, or by a rewind or line switch.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable

from ..errors import TurnInProgress
from .connection import Database, Query
from .records import game_not_found
from .tree import bring_back


def take_lease(q: Query, game_id: str, owner: str, seconds: float, now: float) -> None:
    """Take the game's lease for ``owner``; TurnInProgress while a live one holds it (with
    the honest Retry-After), GameNotFound for no such game. Interrupts a dead holder's turn."""
    got = q(
        "UPDATE games SET lease_owner = ?, lease_until = ?, updated_at = ? "
        "WHERE id = ? AND (lease_until IS NULL OR lease_until < ?)",
        owner,
        now + seconds,
        now,
        game_id,
        now,
    ).rowcount
    if got != 1:
        row = q("SELECT lease_until FROM games WHERE id = ?", game_id).fetchone()
        if row is None:
            raise game_not_found(game_id)
        raise TurnInProgress(
            "The game master is still answering your last action.",
            retry_after=lease_left(row[0], now),
        )
    interrupt_dead_turns(q, game_id, now)


def release_lease(q: Query, game_id: str, now: float) -> None:
    """Free the game for its next turn."""
    q(
        "UPDATE games SET lease_owner = NULL, lease_until = NULL, updated_at = ? WHERE id = ?",
        now,
        game_id,
    )


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
    interrupt_dead_turns(q, game_id, now)


def interrupt_dead_turns(q: Query, game_id: str, now: float) -> int:
    """A turn still "running" under an expired lease died with its worker: fail it."""
    dead = q(
        "SELECT id, retry_of FROM turns WHERE game_id = ? AND status = 'running'", game_id
    ).fetchall()
    for turn_id, retry_of in dead:
        q(
            "UPDATE turns SET status = 'failed', error_code = 'interrupted', "
            "error_message = 'The server stopped during this turn; play it again.', "
            "completed_at = ?, state_after = COALESCE(state_after, "
            "(SELECT state FROM games WHERE id = ?)) WHERE id = ?",
            now,
            game_id,
            turn_id,
        )
        if retry_of is not None:
            bring_back(q, game_id, turn_id, retry_of)
    return len(dead)


def lease_left(lease_until: float | None, now: float) -> int:
    """Whole seconds until a lease lapses (at least 1): the honest ``Retry-After``."""
    if lease_until is None:
        return 1
    return max(1, math.ceil(lease_until - now))


class LeaseTables(Database):
    """Renewing the leases a process holds, and reaping turns whose holder died."""

    def renew_leases(self, lease_owner: str, game_ids: Iterable[str], lease_seconds: float) -> int:
        """Extend the leases ``lease_owner`` still holds on ``game_ids``; how many it holds.

        A lease released (the turn ended) or reaped (the holder was thought dead) is not
        taken back: only rows still naming this owner move.
        """
        ids = list(game_ids)
        if not ids:
            return 0
        marks = ", ".join("?" for _ in ids)
        with self._tx() as q:
            return int(
                q(
                    f"UPDATE games SET lease_until = ? WHERE lease_owner = ? AND id IN ({marks})",
                    time.time() + lease_seconds,
                    lease_owner,
                    *ids,
                ).rowcount
            )

    def reap_dead_turns(self, game_id: str) -> int:
        """Mark ``interrupted`` the game's turns whose lease holder is gone; how many.

        Cheap when there is nothing to do (one indexed read), so every read of a game can
        call it: a worker that died mid-turn stops renewing its lease, which lapses within
        seconds, and the turn shows as interrupted from then on, not at the next turn.
        """
        now = time.time()
        if (
            self.read_one(
                "SELECT 1 FROM turns t JOIN games g ON g.id = t.game_id "
                "WHERE t.game_id = ? AND t.status = 'running' "
                "AND (g.lease_until IS NULL OR g.lease_until < ?)",
                game_id,
                now,
            )
            is None
        ):
            return 0
        with self._tx() as q:
            row = q("SELECT lease_until FROM games WHERE id = ? FOR UPDATE", game_id).fetchone()
            if row is None or (row[0] is not None and row[0] >= now):
                return 0  # someone took the game meanwhile: its turn is alive
            dead = interrupt_dead_turns(q, game_id, now)
            q(
                "UPDATE games SET lease_owner = NULL, lease_until = NULL WHERE id = ?",
                game_id,
            )
        return dead
