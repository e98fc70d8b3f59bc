"""Chapters and arcs: a line's story closed in stretches, each with a summary (the chronicle).

A chapter closes a stretch of turns; an arc rolls several chapters (level 1), or several arcs
of the level below, into one summary. Both belong to the line their last turn is on, so a
rewind to before a chapter's or an arc's end leaves it out of the chronicle, and switching
back brings it again. Which stretches roll up, and when, is the chapters part's rule
(``game_master/chapters.py``); this module only stores and reads them.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from .connection import Database, Query
from .records import TURN_SELECT, TurnRecord, decode_turn
from .search import index_arc_in, index_chapter_in
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

    @property
    def heading(self) -> str:
        """How the chronicle names it: ``Chapter 3 (turns 41-60)``."""
        return f"Chapter {self.number} (turns {self.first_turn}-{self.last_turn})"

    def to_dict(self) -> dict[str, Any]:
        """JSON form for the API."""
        return {
            "number": self.number,
            "first_turn": self.first_turn,
            "last_turn": self.last_turn,
            "summary": self.summary,
        }


@dataclass(frozen=True)
class ArcRecord:
    """Chapters rolled into one summary: level 1 rolls chapters, level n arcs of level n-1."""

    id: str
    game_id: str
    level: int
    first_chapter: int
    last_chapter: int
    first_turn: int
    last_turn: int
    last_turn_id: str
    summary: str
    created_at: float

    @property
    def heading(self) -> str:
        """How the chronicle names it: ``Chapters 1-4 (turns 1-300)``."""
        return (
            f"Chapters {self.first_chapter}-{self.last_chapter} "
            f"(turns {self.first_turn}-{self.last_turn})"
        )


_CHAPTER = (
    "SELECT c.id, c.game_id, c.number, f.number, l.number, c.last_turn_id, c.summary, "
    "c.context_tokens, c.created_at FROM chapters c "
    "JOIN turns f ON f.id = c.first_turn_id JOIN turns l ON l.id = c.last_turn_id "
)
_ARC = (
    "SELECT a.id, a.game_id, a.level, a.first_chapter, a.last_chapter, f.number, l.number, "
    "a.last_turn_id, a.summary, a.created_at FROM arcs a "
    "JOIN turns f ON f.id = a.first_turn_id JOIN turns l ON l.id = a.last_turn_id "
)


# The active line walked back from its head only as far as the newest chapter's last turn:
# a turn's cost then depends on its chapter's length, not on the game's.
_TO_LATEST_CHAPTER = (
    "WITH RECURSIVE back(id, parent, ends) AS ("
    "SELECT t.id, t.parent_id, EXISTS (SELECT 1 FROM chapters c "
    "WHERE c.game_id = g.id AND c.last_turn_id = t.id) FROM games g "
    "JOIN branches b ON b.id = g.active_branch JOIN turns t ON t.id = b.head_turn_id "
    "WHERE g.id = ? UNION ALL "
    "SELECT t.id, t.parent_id, EXISTS (SELECT 1 FROM chapters c "
    "WHERE c.game_id = t.game_id AND c.last_turn_id = t.id) "
    "FROM turns t JOIN back ON t.id = back.parent WHERE NOT back.ends) "
)


def _lock_game(q: Query, game_id: str) -> None:
    """Lock the game's row for the transaction (PostgreSQL; SQLite writes one at a time)."""
    q("SELECT id FROM games WHERE id = ? FOR UPDATE", game_id)


def _on_line(q: Query, game_id: str, turn_id: str) -> bool:
    """True when the turn is on the game's active line."""
    row = q(f"{ACTIVE_LINE}SELECT 1 FROM line WHERE line.id = ?", game_id, turn_id).fetchone()
    return row is not None


class ChapterTables(Database):
    """The chronicle of the active line: closing chapters, rolling them into arcs."""

    def chronicle(self, game_id: str) -> list[ChapterRecord]:
        """The chapters of the active line, oldest first."""
        rows = self.read_all(
            f"{ACTIVE_LINE}{_CHAPTER}JOIN line ON line.id = c.last_turn_id "
            "WHERE c.game_id = ? ORDER BY l.number",
            game_id,
            game_id,
        )
        return [ChapterRecord(*r) for r in rows]

    def latest_chapter(self, game_id: str) -> ChapterRecord | None:
        """The active line's newest chapter (its number is how many the line has), found
        without walking the line further back than that chapter's end."""
        row = self.read_one(
            f"{_TO_LATEST_CHAPTER}{_CHAPTER}JOIN back ON back.id = c.last_turn_id "
            "WHERE c.game_id = ? AND back.ends",
            game_id,
            game_id,
        )
        return ChapterRecord(*row) if row is not None else None

    def arcs(self, game_id: str) -> list[ArcRecord]:
        """The arcs of the active line, by level, oldest first within a level."""
        rows = self.read_all(
            f"{ACTIVE_LINE}{_ARC}JOIN line ON line.id = a.last_turn_id "
            "WHERE a.game_id = ? ORDER BY a.level, l.number",
            game_id,
            game_id,
        )
        return [ArcRecord(*r) for r in rows]

    def line_turns(self, game_id: str, first: int, last: int) -> list[TurnRecord]:
        """The active line's turns numbered ``first`` to ``last``, oldest first."""
        rows = self.read_all(
            f"{ACTIVE_LINE}SELECT {TURN_SELECT} FROM turns t JOIN line l ON t.id = l.id "
            "WHERE t.number >= ? AND t.number <= ? ORDER BY t.number",
            game_id,
            first,
            last,
        )
        return [decode_turn(r) for r in rows]

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
            _lock_game(q, game_id)  # closes and line changes of a game serialise
            active_head(q, game_id)
            on_line = _on_line(q, game_id, last_turn_id)
            if not on_line or (done and done[-1].last_turn_id == last_turn_id):
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

    def close_arc(
        self,
        game_id: str,
        level: int,
        chapters: tuple[int, int],
        first_turn: int,
        last_turn_id: str,
        summary: str,
    ) -> ArcRecord | None:
        """Roll the line's chapters ``chapters`` (first, last number), from turn number
        ``first_turn`` to the turn ``last_turn_id``, into an arc of ``level`` with a summary,
        searchable like a chapter's.

        None when the last turn has left the active line (a rewind meanwhile) or an arc of
        that level on the line already covers part of the stretch: nothing is stored then.
        """
        with self._tx() as q:
            _lock_game(q, game_id)  # two closes of the same arc: the second sees the first
            active_head(q, game_id)
            first = q(
                f"{ACTIVE_LINE}SELECT t.id FROM turns t JOIN line ON line.id = t.id "
                "WHERE t.number = ?",
                game_id,
                first_turn,
            ).fetchone()
            if first is None or not _on_line(q, game_id, last_turn_id):
                return None
            overlap = q(
                f"{ACTIVE_LINE}SELECT 1 FROM arcs a JOIN line ON line.id = a.last_turn_id "
                "JOIN turns l ON l.id = a.last_turn_id "
                "WHERE a.game_id = ? AND a.level = ? AND l.number >= ?",
                game_id,
                game_id,
                level,
                first_turn,
            ).fetchone()
            if overlap is not None:
                return None
            arc_id = uuid.uuid4().hex
            q(
                "INSERT INTO arcs (id, game_id, level, first_chapter, last_chapter, "
                "first_turn_id, last_turn_id, summary, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                arc_id,
                game_id,
                level,
                chapters[0],
                chapters[1],
                first[0],
                last_turn_id,
                summary,
                time.time(),
            )
            index_arc_in(q, game_id, summary, last_turn_id)
        return next(a for a in self.arcs(game_id) if a.id == arc_id)
