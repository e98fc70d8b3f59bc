"""SQL persistence for games, turns and feedback: SQLite by default, PostgreSQL by URL.

One implementation serves both databases; the SQL is written with ``?`` placeholders and
translated for psycopg. Nothing outside this package sees SQL. Each module holds one job:

- ``connection``: per-thread connections, transactions, SQLite WAL / PostgreSQL settings;
- ``schema``: the numbered migrations and ``migrate``;
- ``records``: ``GameRecord``, ``TurnRecord`` and their row encoding;
- ``games``, ``turns``, ``feedback``: the queries on each table (games also list a browser's
  saved games and archive them);
- ``leases``: the game's turn lease (one turn at a time anywhere) and dead turns;
- ``tree``: the turn tree's primitives (line heads, restoring a stored state), shared by
  turns, lines and leases, which never import each other;
- ``chapters``: the chronicle, a line's story closed in summarised chapters and arcs;
- ``lines``: lines of play (branches), retold turns, rewinds and players' preferences;
- ``party``: seats, invites, rounds and their actions, the table's events (party play);
- ``search``: story memory, full-text search over turns and chapter and arc summaries;
- ``session``: the Claude Agent SDK's ``SessionStore`` on the same database (import it from
  ``game_master.store.session``; it needs the SDK, so it is not imported here).
"""

from __future__ import annotations

from .chapters import ArcRecord, ChapterRecord, ChapterTables
from .connection import SQLITE_BUSY_TIMEOUT_MS, Cursor, Query
from .feedback import FeedbackTables
from .games import GameTables
from .leases import LeaseTables
from .lines import LineTables
from .party import PartyTables, Round, Seat
from .records import GameRecord, SavedGame, TurnRecord
from .schema import MIGRATIONS, SCHEMA_VERSION, Migrations
from .search import SearchTables
from .table import TableEvent, TableTables
from .tree import BranchNotFound, SnapshotMissing, TurnNotLatest
from .turns import TurnTables

__all__ = [
    "MIGRATIONS",
    "ArcRecord",
    "PartyTables",
    "Round",
    "Seat",
    "TableEvent",
    "TableTables",
    "BranchNotFound",
    "ChapterRecord",
    "SnapshotMissing",
    "TurnNotLatest",
    "SCHEMA_VERSION",
    "SavedGame",
    "SQLITE_BUSY_TIMEOUT_MS",
    "Cursor",
    "GameRecord",
    "Query",
    "Store",
    "TurnRecord",
]


class Store(
    Migrations,
    ChapterTables,
    LineTables,
    GameTables,
    TurnTables,
    LeaseTables,
    FeedbackTables,
    SearchTables,
    PartyTables,
    TableTables,
):
    """Games, turns and feedback in SQLite (a file) or PostgreSQL (``postgresql://`` URL)."""
