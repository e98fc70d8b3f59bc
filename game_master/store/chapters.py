"""Chapters: a line's story closed in stretches, each with a summary (the chronicle).

A chapter belongs to the line its last turn is on, so a rewind to before a chapter's end
leaves that chapter out of the chronicle, and switching back brings it again.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from .connection import Database
from .search import index_chapter_in
from .tree import ACTIVE_LINE, active_head


@dataclass(frozen=True)
class ChapterRecord:
    """A closed chapter of a line."""

    id: str
    game_id: str
    number: int
    first_turn: int
    last_turn: int
    last_turn_id: str
    summary: str
    context_tokens: int | None
    created_at: float

    def to_dict(self) -> dict[str, Any]:
        """JSON form for the API."""
        return {
            "number": self.number,
            "first_turn": self.first_turn,
            "last_turn": self.last_turn,
            "summary": self.summary,
        }


_CHAPTER = (
    "SELECT c.id, c.game_id, c.number, f.number, l.number, c.last_turn_id, c.summary, "
    "c.context_tokens, c.created_at FROM chapters c "
    "JOIN turns f ON f.id = c.first_turn_id JOIN turns l ON l.id = c.last_turn_id "
)


class ChapterTables(Database):
    """The chronicle of the active line, and closing a chapter."""

    def chronicle(self, game_id: str) -> list[ChapterRecord]:
        """The chapters of the active line, oldest first."""
        rows = self.read_all(
            f"{ACTIVE_LINE}{_CHAPTER}JOIN line ON line.id = c.last_turn_id "
            "WHERE c.game_id = ? ORDER BY l.number",
            game_id,
            game_id,
        )
        return [ChapterRecord(*r) for r in rows]

    def close_chapter(
        self, game_id: str, last_turn_id: str, summary: str, context_tokens: int | None
    ) -> ChapterRecord | None:
        """Close the line's current chapter at ``last_turn_id`` with a summary.

        The next connection starts a fresh Claude session that carries the chronicle and
        the last few turns instead of the whole conversation. A next turn may already have
        begun (the chapter closes after the player has the answer); None when the turn is
        no longer on the active line (a rewind, a retry): nothing is closed then.
        """
        done = self.chronicle(game_id)
        with self._tx() as q:
            active_head(q, game_id)  # locks the game row: closes and line changes serialise
            on_line = q(
                f"{ACTIVE_LINE}SELECT 1 FROM line WHERE line.id = ?", game_id, last_turn_id
            ).fetchone()
            if on_line is None or (done and done[-1].last_turn_id == last_turn_id):
                return None
            after = done[-1].last_turn if done else 0
            first = q(
                f"{ACTIVE_LINE}SELECT t.id FROM turns t JOIN line ON line.id = t.id "
                "WHERE t.number = ?",
                game_id,
                after + 1,
            ).fetchone()
            if first is None:
                return None
            chapter_id = uuid.uuid4().hex
            q(
                "INSERT INTO chapters (id, game_id, number, first_turn_id, last_turn_id, "
                "summary, context_tokens, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                chapter_id,
                game_id,
                len(done) + 1,
                first[0],
                last_turn_id,
                summary,
                context_tokens,
                time.time(),
            )
            # The summary is searchable story memory too (recall finds it).
            index_chapter_in(q, game_id, len(done) + 1, summary, last_turn_id)
            fork = {"session_id": None, "at": None, "chapter": len(done) + 1}
            q("UPDATE games SET fork_from = ? WHERE id = ?", json.dumps(fork), game_id)
        return self.chronicle(game_id)[-1]
