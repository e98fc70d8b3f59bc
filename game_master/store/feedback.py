"""Player ratings of turns, and the read-only queries analytics uses to pick games and turns."""

from __future__ import annotations

import time
import uuid
from typing import Any

from .connection import Database

# Ratings are fetched in chunks so an IN list never nears a driver's parameter limit.
_RATINGS_CHUNK = 500


def _window(since: float | None, until: float | None) -> tuple[float, float]:
    """``[since, until)`` as bounds a query can always bind (open ends become extremes)."""
    return (since if since is not None else 0.0, until if until is not None else 1e18)


def _like_pattern(text: str) -> str:
    """A LIKE pattern (``ESCAPE '\\'``) matching ``text`` anywhere, case-folded, % and _
    taken literally."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class FeedbackTables(Database):
    """Ratings written by players and the analytics reads over games, turns and ratings."""

    def add_feedback(self, turn_id: str, score: float, comment: str | None) -> str:
        """Store a player's rating of a turn; returns the feedback id."""
        fid = uuid.uuid4().hex
        with self._tx() as q:
            q(
                "INSERT INTO feedback (id, turn_id, score, comment, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                fid,
                turn_id,
                score,
                comment,
                time.time(),
            )
        return fid

    def latest_feedback(self, game_id: str) -> dict[str, float]:
        """The newest rating of each rated turn of a game: {turn_id: score}."""
        rows = self.read_all(
            "SELECT f.turn_id, f.score FROM feedback f JOIN turns t ON t.id = f.turn_id "
            "WHERE t.game_id = ? ORDER BY f.created_at",
            game_id,
        )
        return dict(rows)

    def list_feedback(self, turn_id: str) -> list[dict[str, Any]]:
        """Ratings of one turn, oldest first."""
        rows = self.read_all(
            "SELECT id, score, comment, created_at FROM feedback WHERE turn_id = ? "
            "ORDER BY created_at",
            turn_id,
        )
        return [{"id": r[0], "score": r[1], "comment": r[2], "created_at": r[3]} for r in rows]

    # ------------------------------------------------------------------ analytics reads

    def recent_game_ids(
        self, limit: int = 20, since: float | None = None, until: float | None = None
    ) -> list[str]:
        """Ids of the newest games, optionally created within [since, until)."""
        rows = self.read_all(
            "SELECT id FROM games WHERE created_at >= ? AND created_at < ? "
            "ORDER BY created_at DESC LIMIT ?",
            *_window(since, until),
            limit,
        )
        return [r[0] for r in rows]

    def find_turn_ids(
        self,
        *,
        text: str | None = None,
        since: float | None = None,
        until: float | None = None,
        status: str | None = "completed",
        limit: int | None = 100,
    ) -> list[tuple[str, str]]:
        """(game_id, turn_id) of matching turns, newest first; ``text`` matches words
        in the player's message or the narration, case-insensitively."""
        sql = "SELECT game_id, id FROM turns WHERE started_at >= ? AND started_at < ?"
        params: list[Any] = [*_window(since, until)]
        if status:
            sql += " AND status = ?"
            params.append(status)
        if text:
            sql += (
                " AND (LOWER(player_message) LIKE ? ESCAPE '\\' "
                "OR LOWER(COALESCE(narration, '')) LIKE ? ESCAPE '\\')"
            )
            params += [_like_pattern(text)] * 2
        sql += " ORDER BY started_at DESC, number DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [(r[0], r[1]) for r in self.read_all(sql, *params)]

    def latest_ratings(self, turn_ids: list[str]) -> dict[str, float]:
        """The newest player rating of each given turn that has one."""
        ratings: dict[str, float] = {}
        for start in range(0, len(turn_ids), _RATINGS_CHUNK):
            chunk = turn_ids[start : start + _RATINGS_CHUNK]
            marks = ", ".join("?" for _ in chunk)
            rows = self.read_all(
                f"SELECT turn_id, score FROM feedback WHERE turn_id IN ({marks}) "
                "ORDER BY created_at",
                *chunk,
            )
            ratings.update({r[0]: float(r[1]) for r in rows})
        return ratings
