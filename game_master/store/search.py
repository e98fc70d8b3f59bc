"""Story memory: full-text search over a game's own history (player lines, narrations and
chapter and arc summaries), SQLite FTS5 or PostgreSQL text search, ranked, with excerpts.

SQLite keeps every searchable text in ``story_text`` (turn texts are copied there by
triggers on ``turns``, so ``begin_turn``/``finish_turn`` need no extra call) and indexes it in
the external-content FTS5 table ``story_fts``. PostgreSQL searches ``turns`` in place
through expression GIN indexes on ``to_tsvector('english', ...)``; its ``story_text`` holds
chapter and arc summaries only. Summaries come in when a chapter or arc closes
(``index_chapter_in``, ``index_arc_in``) or through :meth:`SearchTables.index_chapter`.

The player's (or model's) query is never handed to a query parser: it is cut into plain
words, common words dropped, and the words OR-ed (quoted for FTS5), so quotes, ``*``,
``NEAR``, parentheses, ``:``, ``^`` or ``-`` are just characters to skip.
"""

from __future__ import annotations

import re
from typing import Any

from .connection import Database, Query
from .records import game_not_found
from .tree import ACTIVE_LINE

MAX_TERMS = 16
EXCERPT_CHARS = 220
# Rows fetched per result asked for, so that words said again (a question asked every few
# chapters, its echoes) count once and leave the other results to other memories.
FETCH_PER_RESULT = 6
# Words that carry no memory: matching them would rank every turn alike.
STOPWORDS = frozenset({
    "a", "about", "after", "again", "all", "am", "an", "and", "any", "are", "as", "at", "be",
    "been", "before", "being", "but", "by", "can", "could", "did", "do", "does", "doing", "for",
    "from", "had", "has", "have", "he", "her", "here", "him", "his", "how", "i", "if", "in",
    "into", "is", "it", "its", "me", "my", "of", "on", "once", "or", "our", "out", "over",
    "she", "so", "some", "than", "that", "the", "their", "them", "then", "there", "these",
    "they", "this", "those", "to", "too", "up", "us", "was", "we", "were", "what", "when",
    "where", "which", "while", "who", "whom", "why", "will", "with", "would", "you", "your",
    "yours",
})  # fmt: skip
WORD_RE = re.compile(r"[^\W_]+")
# SQLite: the FTS5 index over story_text, and triggers that keep both in step with turns.
# (Migration 3 rebuilt ``turns``; a later rebuild of that table must re-create the
# turns_story_* triggers, since dropping a table drops its triggers.)
# The searchable text of chapters (and, on SQLite, of turns); only the id column differs.
_STORY_TEXT = """CREATE TABLE IF NOT EXISTS story_text (
    id {id_column},
    game_id TEXT NOT NULL,
    turn_id TEXT NOT NULL,
    field TEXT NOT NULL,
    chapter INTEGER,
    body TEXT NOT NULL
)"""
SQLITE_STEPS = [
    _STORY_TEXT.format(id_column="INTEGER PRIMARY KEY AUTOINCREMENT"),
    "CREATE INDEX IF NOT EXISTS story_text_turn ON story_text (turn_id, field)",
    "CREATE INDEX IF NOT EXISTS story_text_chapter ON story_text (game_id, chapter)",
    "CREATE VIRTUAL TABLE IF NOT EXISTS story_fts USING fts5(body, content='story_text', "
    "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER IF NOT EXISTS story_text_ai AFTER INSERT ON story_text BEGIN "
    "INSERT INTO story_fts (rowid, body) VALUES (new.id, new.body); END",
    "CREATE TRIGGER IF NOT EXISTS story_text_ad AFTER DELETE ON story_text BEGIN "
    "INSERT INTO story_fts (story_fts, rowid, body) VALUES ('delete', old.id, old.body); END",
    "CREATE TRIGGER IF NOT EXISTS story_text_au AFTER UPDATE ON story_text BEGIN "
    "INSERT INTO story_fts (story_fts, rowid, body) VALUES ('delete', old.id, old.body); "
    "INSERT INTO story_fts (rowid, body) VALUES (new.id, new.body); END",
    # Existing games: index every turn already played.
    "INSERT INTO story_text (game_id, turn_id, field, body) "
    "SELECT game_id, id, 'player', player_message FROM turns",
    "INSERT INTO story_text (game_id, turn_id, field, body) "
    "SELECT game_id, id, 'narration', narration FROM turns "
    "WHERE narration IS NOT NULL AND narration <> ''",
    "CREATE TRIGGER IF NOT EXISTS turns_story_ai AFTER INSERT ON turns BEGIN "
    "INSERT INTO story_text (game_id, turn_id, field, body) "
    "VALUES (new.game_id, new.id, 'player', new.player_message); "
    "INSERT INTO story_text (game_id, turn_id, field, body) "
    "SELECT new.game_id, new.id, 'narration', new.narration "
    "WHERE new.narration IS NOT NULL AND new.narration <> ''; END",
    "CREATE TRIGGER IF NOT EXISTS turns_story_narration AFTER UPDATE OF narration ON turns "
    "WHEN old.narration IS NOT new.narration BEGIN "
    "DELETE FROM story_text WHERE turn_id = old.id AND field = 'narration'; "
    "INSERT INTO story_text (game_id, turn_id, field, body) "
    "SELECT new.game_id, new.id, 'narration', new.narration "
    "WHERE new.narration IS NOT NULL AND new.narration <> ''; END",
    "CREATE TRIGGER IF NOT EXISTS turns_story_player AFTER UPDATE OF player_message ON turns "
    "WHEN old.player_message IS NOT new.player_message BEGIN "
    "UPDATE story_text SET body = new.player_message "
    "WHERE turn_id = old.id AND field = 'player'; END",
    "CREATE TRIGGER IF NOT EXISTS turns_story_ad AFTER DELETE ON turns BEGIN "
    "DELETE FROM story_text WHERE turn_id = old.id AND field <> 'chapter'; END",
]
# PostgreSQL: the same expressions the search uses, so the planner can use the indexes.
PG_PLAYER = "to_tsvector('english', t.player_message)"
PG_NARRATION = "to_tsvector('english', COALESCE(t.narration, ''))"
PG_CHAPTER = "to_tsvector('english', s.body)"
PG_STEPS = [
    "CREATE INDEX IF NOT EXISTS turns_player_fts ON turns "
    "USING GIN (to_tsvector('english', player_message))",
    "CREATE INDEX IF NOT EXISTS turns_narration_fts ON turns "
    "USING GIN (to_tsvector('english', COALESCE(narration, '')))",
    _STORY_TEXT.format(id_column="BIGSERIAL PRIMARY KEY"),
    "CREATE INDEX IF NOT EXISTS story_text_chapter ON story_text (game_id, chapter)",
    "CREATE INDEX IF NOT EXISTS story_text_fts ON story_text "
    "USING GIN (to_tsvector('english', body))",
]
PG_HEADLINE = 'MaxWords=35, MinWords=15, StartSel="", StopSel=""'


def create_search(q: Query, dialect: str) -> None:
    """Migration step: the search tables, indexes and triggers, and index existing turns."""
    for stmt in SQLITE_STEPS if dialect == "sqlite" else PG_STEPS:
        q(stmt)


def search_terms(query: str) -> list[str]:
    """The plain words of a query worth searching for: lower case, no stopwords, no syntax."""
    seen: list[str] = []
    for word in WORD_RE.findall(query.lower()):
        if word not in STOPWORDS and word not in seen:
            seen.append(word)
    return seen[:MAX_TERMS]


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """One line of at most ``limit`` characters, cut at a word with an ellipsis."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def index_chapter_in(q: Query, game_id: str, number: int, summary: str, last_turn_id: str) -> None:
    """Index (or re-index) a chapter's summary inside the caller's transaction.

    A chapter is known by its last turn: another line's chapter of the same number (after
    a rewind) keeps its own entry, so switching back to that line finds it again.
    """
    q(
        "DELETE FROM story_text WHERE game_id = ? AND field = 'chapter' AND turn_id = ?",
        game_id,
        last_turn_id,
    )
    if summary.strip():
        q(
            "INSERT INTO story_text (game_id, turn_id, field, chapter, body) "
            "VALUES (?, ?, 'chapter', ?, ?)",
            game_id,
            last_turn_id,
            number,
            summary,
        )


def index_arc_in(q: Query, game_id: str, summary: str, last_turn_id: str) -> None:
    """Index an arc's summary (written once) inside the caller's transaction."""
    if summary.strip():
        q(
            "INSERT INTO story_text (game_id, turn_id, field, body) VALUES (?, ?, 'arc', ?)",
            game_id,
            last_turn_id,
            summary,
        )


# Migration 7: summaries of arcs are indexed too. SQLite's delete trigger keeps them (and
# chapters') when a turn goes; PostgreSQL searches story_text by field (see _pg_sql).
ARC_STEPS = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS turns_story_ad",
        "CREATE TRIGGER IF NOT EXISTS turns_story_ad AFTER DELETE ON turns BEGIN "
        "DELETE FROM story_text WHERE turn_id = old.id AND field NOT IN ('chapter', 'arc'); END",
    ],
    "postgresql": [],
}


def index_arcs(q: Query, dialect: str) -> None:
    """Migration step: keep arc summaries in the story index."""
    for stmt in ARC_STEPS[dialect]:
        q(stmt)


def _sqlite_sql(line_only: bool) -> str:
    """The FTS5 query: matches of one game's completed turns (and chapters), best first."""
    sql = ACTIVE_LINE if line_only else ""
    sql += (
        "SELECT t.id, t.number, s.field, s.chapter, "
        "snippet(story_fts, 0, '', '', '…', 40) FROM story_fts "
        "JOIN story_text s ON s.id = story_fts.rowid JOIN turns t ON t.id = s.turn_id "
        "WHERE story_fts MATCH ? AND s.game_id = ? AND t.status = 'completed' "
    )
    if line_only:
        sql += "AND t.id IN (SELECT id FROM line) "
    return sql + "ORDER BY bm25(story_fts), t.number DESC LIMIT ?"


def _pg_sql(line_only: bool) -> str:
    """The PostgreSQL query: the same, from the turns' and chapters' expression indexes."""
    sql = (ACTIVE_LINE + ", ") if line_only else "WITH "
    sql += (
        "tsq AS (SELECT to_tsquery('english', ?) AS query), hits AS ("
        f"SELECT t.id, t.number, 'player' AS field, CAST(NULL AS INTEGER) AS chapter, "
        f"t.player_message AS body, ts_rank({PG_PLAYER}, tsq.query) AS rank "
        f"FROM turns t, tsq WHERE t.game_id = ? AND t.status = 'completed' "
        f"AND {PG_PLAYER} @@ tsq.query "
        f"UNION ALL SELECT t.id, t.number, 'narration', NULL, t.narration, "
        f"ts_rank({PG_NARRATION}, tsq.query) FROM turns t, tsq WHERE t.game_id = ? "
        f"AND t.status = 'completed' AND {PG_NARRATION} @@ tsq.query "
        f"UNION ALL SELECT t.id, t.number, s.field, s.chapter, s.body, "
        f"ts_rank({PG_CHAPTER}, tsq.query) FROM story_text s JOIN turns t ON t.id = s.turn_id, "
        f"tsq WHERE s.game_id = ? AND s.field IN ('chapter', 'arc') AND t.status = 'completed' "
        f"AND {PG_CHAPTER} @@ tsq.query), "
        "top AS (SELECT * FROM hits h "
    )
    if line_only:
        sql += "WHERE h.id IN (SELECT id FROM line) "
    return sql + (
        "ORDER BY h.rank DESC, h.number DESC LIMIT ?) "
        f"SELECT top.id, top.number, top.field, top.chapter, "
        f"ts_headline('english', top.body, tsq.query, '{PG_HEADLINE}') FROM top, tsq "
        "ORDER BY top.rank DESC, top.number DESC"
    )


class SearchTables(Database):
    """Searching what happened in a game, and indexing the chapter summaries."""

    def search_story(
        self, game_id: str, query: str, *, limit: int = 5, line_only: bool = True
    ) -> list[dict[str, Any]]:
        """The turns whose player line, narration, chapter or arc summary match ``query``.

        Best first (BM25 / ts_rank), each ``{"turn", "turn_id", "field", "chapter",
        "excerpt"}``; ``field`` is ``player``, ``narration``, ``chapter`` or ``arc`` (a
        summary reports its last turn). Only completed turns count (not the turn being
        played); ``line_only`` keeps to the active line, so a line given up by a rewind is
        not remembered. The same words found again (the same question asked on many turns)
        are one result, the best-ranked (and newest) of them. A query with no searchable
        word finds nothing; it never raises for what the query contains.
        """
        terms = search_terms(query)
        if not terms or limit <= 0:
            if self.read_one("SELECT 1 FROM games WHERE id = ?", game_id) is None:
                raise game_not_found(game_id)
            return []
        if self.dialect == "sqlite":
            # Quoted, every term is a plain string to FTS5, whatever word it is (NEAR, OR).
            match = " OR ".join(f'"{t}"' for t in terms)
            params: list[Any] = [game_id] if line_only else []
            fetch = limit * FETCH_PER_RESULT
            rows = self.read_all(_sqlite_sql(line_only), *params, match, game_id, fetch)
        else:
            # Terms are letters and digits only, so the tsquery text holds no operator but |.
            tsquery = " | ".join(terms)
            params = [game_id] if line_only else []
            params += [tsquery, game_id, game_id, game_id, limit * FETCH_PER_RESULT]
            rows = self.read_all(_pg_sql(line_only), *params)
        found: dict[str, dict[str, Any]] = {}
        for turn_id, number, field, chapter, text in rows:
            shown = excerpt(text or "")
            hit = {"turn": int(number), "turn_id": turn_id, "field": field, "chapter": chapter}
            found.setdefault(" ".join(shown.lower().split()), hit | {"excerpt": shown})
        return list(found.values())[:limit]

    def index_chapter(self, game_id: str, number: int, summary: str, *, last_turn_id: str) -> None:
        """Make a closed chapter's summary searchable (again, if it was indexed before).

        ``last_turn_id`` is the chapter's last turn: a hit reports its number, and the
        summary counts as on the line only while that turn is.
        """
        with self._tx() as q:
            index_chapter_in(q, game_id, number, summary, last_turn_id)
