"""The schema as numbered migrations, applied idempotently under an advisory lock."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from .connection import Database, Query
from .search import create_search, index_arcs

# A migration step: SQL for both dialects, SQL per dialect, or code given (q, dialect).
Step = str | dict[str, str] | Callable[[Query, str], None]

# PostgreSQL serialises concurrent start-ups on this advisory lock key.
MIGRATION_LOCK_KEY = 727274

_SESSION_ENTRIES = """CREATE TABLE IF NOT EXISTS claude_session_entries (
    id {id_column},
    project_key TEXT NOT NULL,
    session_id TEXT NOT NULL,
    subpath TEXT NOT NULL DEFAULT '',
    uuid TEXT,
    entry TEXT NOT NULL,
    created_ms BIGINT NOT NULL
)"""

_TABLE_EVENTS = """CREATE TABLE IF NOT EXISTS table_events (
    id {id_column},
    game_id TEXT NOT NULL REFERENCES games(id),
    kind TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL
)"""

# Each migration is (version, statements); statements may differ by dialect.
_TURN_COLUMNS_V2 = (
    "id, game_id, number, player_message, narration, tool_calls, usage, status, error_code, "
    "error_message, span_id, trace, started_at, completed_at, duration_ms"
)
# Version 3's turns: no UNIQUE (game_id, number), since alternatives and lines share numbers.
_TURNS_V3 = """CREATE TABLE turns_v3 (
    id TEXT PRIMARY KEY,
    game_id TEXT NOT NULL REFERENCES games(id),
    number INTEGER NOT NULL,
    player_message TEXT NOT NULL,
    narration TEXT,
    tool_calls TEXT NOT NULL DEFAULT '[]',
    usage TEXT,
    status TEXT NOT NULL,
    error_code TEXT,
    error_message TEXT,
    span_id TEXT,
    trace TEXT,
    started_at DOUBLE PRECISION NOT NULL,
    completed_at DOUBLE PRECISION,
    duration_ms DOUBLE PRECISION,
    parent_id TEXT,
    alt_of TEXT,
    retry_of TEXT,
    state_before TEXT,
    state_after TEXT,
    session_after TEXT,
    session_at TEXT
)"""
_NEW_TURN_COLUMNS = (
    "parent_id",
    "alt_of",
    "retry_of",
    "state_before",
    "state_after",
    "session_after",
    "session_at",
)


def _turns_without_unique(q: Query, dialect: str) -> None:
    """Give turns the version-3 columns and drop UNIQUE (game_id, number)."""
    if dialect == "sqlite":
        # SQLite cannot drop a constraint: rebuild the table (foreign keys are off meanwhile,
        # see Migrations.migrate, so feedback's references survive the swap).
        q("DROP TABLE IF EXISTS turns_v3")
        q(_TURNS_V3)
        q(f"INSERT INTO turns_v3 ({_TURN_COLUMNS_V2}) SELECT {_TURN_COLUMNS_V2} FROM turns")
        q("DROP TABLE turns")
        q("ALTER TABLE turns_v3 RENAME TO turns")
        q("CREATE INDEX IF NOT EXISTS turns_game ON turns (game_id, number)")
        return
    for column in _NEW_TURN_COLUMNS:
        q(f"ALTER TABLE turns ADD COLUMN IF NOT EXISTS {column} TEXT")
    # The constraint's name is whatever PostgreSQL chose in version 1: look it up.
    rows = q(
        "SELECT c.conname FROM pg_constraint c WHERE c.conrelid = 'turns'::regclass "
        "AND c.contype = 'u' AND (SELECT array_agg(a.attname::text ORDER BY a.attname) "
        "FROM pg_attribute a WHERE a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)) "
        "= ARRAY['game_id', 'number']"
    ).fetchall()
    for (name,) in rows:
        q(f'ALTER TABLE turns DROP CONSTRAINT IF EXISTS "{name}"')


def _lines_for_existing_games(q: Query, dialect: str) -> None:
    """Each existing game gets one 'start' line through its turns in number order."""
    q(
        "UPDATE turns SET parent_id = (SELECT p.id FROM turns p "
        "WHERE p.game_id = turns.game_id AND p.number = turns.number - 1) "
        "WHERE parent_id IS NULL"
    )
    # The only snapshot we know is the game's state now, i.e. after its last turn; that
    # turn's transcript is the game's session (its end: no entry uuid).
    q(
        "UPDATE turns SET state_after = (SELECT g.state FROM games g WHERE g.id = turns.game_id), "
        "session_after = (SELECT g.session_id FROM games g WHERE g.id = turns.game_id) "
        "WHERE state_after IS NULL AND number = "
        "(SELECT MAX(t2.number) FROM turns t2 WHERE t2.game_id = turns.game_id)"
    )
    # A game with no turn is still in its initial state.
    q(
        "UPDATE games SET initial_state = state WHERE initial_state IS NULL "
        "AND NOT EXISTS (SELECT 1 FROM turns t WHERE t.game_id = games.id)"
    )
    games = q(
        "SELECT g.id, (SELECT t.id FROM turns t WHERE t.game_id = g.id "
        "ORDER BY t.number DESC LIMIT 1) FROM games g WHERE g.active_branch IS NULL"
    ).fetchall()
    now = time.time()
    for game_id, head in games:
        branch = uuid.uuid4().hex
        q(
            "INSERT INTO branches (id, game_id, head_turn_id, forked_from_turn_id, created_at, "
            "reason) VALUES (?, ?, ?, NULL, ?, 'start')",
            branch,
            game_id,
            head,
            now,
        )
        q("UPDATE games SET active_branch = ? WHERE id = ?", branch, game_id)


MIGRATIONS: list[tuple[int, list[Step]]] = [
    (
        1,
        [
            """CREATE TABLE IF NOT EXISTS games (
                id TEXT PRIMARY KEY,
                owner TEXT,
                scenario TEXT NOT NULL,
                state TEXT NOT NULL,
                session_id TEXT,
                trace_root TEXT,
                status TEXT NOT NULL DEFAULT 'active',
                turn_count INTEGER NOT NULL DEFAULT 0,
                lease_owner TEXT,
                lease_until DOUBLE PRECISION,
                created_at DOUBLE PRECISION NOT NULL,
                updated_at DOUBLE PRECISION NOT NULL
            )""",
            """CREATE TABLE IF NOT EXISTS turns (
                id TEXT PRIMARY KEY,
                game_id TEXT NOT NULL REFERENCES games(id),
                number INTEGER NOT NULL,
                player_message TEXT NOT NULL,
                narration TEXT,
                tool_calls TEXT NOT NULL DEFAULT '[]',
                usage TEXT,
                status TEXT NOT NULL,
                error_code TEXT,
                error_message TEXT,
                span_id TEXT,
                trace TEXT,
                started_at DOUBLE PRECISION NOT NULL,
                completed_at DOUBLE PRECISION,
                duration_ms DOUBLE PRECISION,
                UNIQUE (game_id, number)
            )""",
            "CREATE INDEX IF NOT EXISTS turns_game ON turns (game_id, number)",
            """CREATE TABLE IF NOT EXISTS feedback (
                id TEXT PRIMARY KEY,
                turn_id TEXT NOT NULL REFERENCES turns(id),
                score DOUBLE PRECISION NOT NULL,
                comment TEXT,
                created_at DOUBLE PRECISION NOT NULL
            )""",
        ],
    ),
    (
        2,
        [
            # Claude transcripts mirrored by store.session.SqlSessionStore, so a game can
            # resume on any worker or host. subpath '' is the main transcript. Only the
            # autoincrement id differs between the dialects.
            {
                "sqlite": _SESSION_ENTRIES.format(id_column="INTEGER PRIMARY KEY AUTOINCREMENT"),
                "postgresql": _SESSION_ENTRIES.format(id_column="BIGSERIAL PRIMARY KEY"),
            },
            "CREATE INDEX IF NOT EXISTS claude_session_entries_key "
            "ON claude_session_entries (project_key, session_id, subpath, id)",
            "CREATE UNIQUE INDEX IF NOT EXISTS claude_session_entries_uuid "
            "ON claude_session_entries (project_key, session_id, subpath, uuid) "
            "WHERE uuid IS NOT NULL",
            """CREATE TABLE IF NOT EXISTS claude_sessions (
                project_key TEXT NOT NULL,
                session_id TEXT NOT NULL,
                subpath TEXT NOT NULL DEFAULT '',
                mtime BIGINT NOT NULL,
                summary TEXT,
                PRIMARY KEY (project_key, session_id, subpath)
            )""",
        ],
    ),
    (
        3,
        [
            # Lines of play: turns form a tree (parent_id), retold turns point at their first
            # telling (alt_of), each turn keeps the state before and after it and the Claude
            # session point it ends at; a branch is a line's head.
            "ALTER TABLE games ADD COLUMN active_branch TEXT",
            "ALTER TABLE games ADD COLUMN fork_from TEXT",
            "ALTER TABLE games ADD COLUMN initial_state TEXT",
            _turns_without_unique,
            "CREATE INDEX IF NOT EXISTS turns_parent ON turns (parent_id)",
            "CREATE INDEX IF NOT EXISTS turns_alt ON turns (alt_of)",
            """CREATE TABLE IF NOT EXISTS branches (
                id TEXT PRIMARY KEY,
                game_id TEXT NOT NULL REFERENCES games(id),
                head_turn_id TEXT REFERENCES turns(id),
                forked_from_turn_id TEXT REFERENCES turns(id),
                created_at DOUBLE PRECISION NOT NULL,
                reason TEXT NOT NULL
            )""",
            "CREATE INDEX IF NOT EXISTS branches_game ON branches (game_id, created_at)",
            """CREATE TABLE IF NOT EXISTS preferences (
                id TEXT PRIMARY KEY,
                game_id TEXT NOT NULL REFERENCES games(id),
                chosen_turn_id TEXT NOT NULL REFERENCES turns(id),
                rejected_turn_id TEXT NOT NULL REFERENCES turns(id),
                created_at DOUBLE PRECISION NOT NULL,
                UNIQUE (chosen_turn_id, rejected_turn_id)
            )""",
            "CREATE INDEX IF NOT EXISTS preferences_game ON preferences (game_id, created_at)",
            _lines_for_existing_games,
        ],
    ),
    (
        4,
        [
            # Chapters bound a game's context: each closes a stretch of a line (first to
            # last turn) with a summary; a line's chronicle is its chapters in order.
            """CREATE TABLE IF NOT EXISTS chapters (
                id TEXT PRIMARY KEY,
                game_id TEXT NOT NULL REFERENCES games(id),
                number INTEGER NOT NULL,
                first_turn_id TEXT NOT NULL REFERENCES turns(id),
                last_turn_id TEXT NOT NULL REFERENCES turns(id),
                summary TEXT NOT NULL,
                context_tokens INTEGER,
                created_at DOUBLE PRECISION NOT NULL
            )""",
            "CREATE INDEX IF NOT EXISTS chapters_game ON chapters (game_id, last_turn_id)",
        ],
    ),
    (
        5,
        [
            # Story memory: full-text search over turns and chapter summaries (search.py);
            # existing games' turns are indexed here.
            create_search,
        ],
    ),
    (
        6,
        [
            # Saved games: archiving hides a game from its owner's list, never deletes it
            # (NULL: listed). The list reads a browser's games newest played first.
            "ALTER TABLE games ADD COLUMN archived_at DOUBLE PRECISION",
            "CREATE INDEX IF NOT EXISTS games_owner ON games (owner, updated_at)",
        ],
    ),
    (
        7,
        [
            # Arcs keep the chronicle bounded: several chapters (level 1), or several arcs
            # of the level below, rolled into one summary; like a chapter, an arc belongs
            # to the line its last turn is on, and recall searches its summary.
            """CREATE TABLE IF NOT EXISTS arcs (
                id TEXT PRIMARY KEY,
                game_id TEXT NOT NULL REFERENCES games(id),
                level INTEGER NOT NULL,
                first_chapter INTEGER NOT NULL,
                last_chapter INTEGER NOT NULL,
                first_turn_id TEXT NOT NULL REFERENCES turns(id),
                last_turn_id TEXT NOT NULL REFERENCES turns(id),
                summary TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL
            )""",
            "CREATE INDEX IF NOT EXISTS arcs_game ON arcs (game_id, last_turn_id)",
            index_arcs,
        ],
    ),
    (
        8,
        [
            # Party play (store/party.py): seats, invites, rounds and their actions, and the
            # table's events (replayed after Last-Event-ID). Existing games have no seats:
            # their owning browser (or, for API-made games, the id) is the host.
            """CREATE TABLE IF NOT EXISTS seats (
                player_id TEXT PRIMARY KEY,
                game_id TEXT NOT NULL REFERENCES games(id),
                role TEXT NOT NULL,
                name TEXT NOT NULL,
                character TEXT,
                seat_order INTEGER NOT NULL,
                credential_hash TEXT NOT NULL UNIQUE,
                browser TEXT,
                created_at DOUBLE PRECISION NOT NULL,
                left_at DOUBLE PRECISION,
                last_seen DOUBLE PRECISION,
                typing_until DOUBLE PRECISION
            )""",
            "CREATE INDEX IF NOT EXISTS seats_game ON seats (game_id, seat_order)",
            "CREATE INDEX IF NOT EXISTS seats_browser ON seats (browser)",
            """CREATE TABLE IF NOT EXISTS invites (
                token_hash TEXT PRIMARY KEY,
                game_id TEXT NOT NULL REFERENCES games(id),
                role TEXT NOT NULL,
                expires_at DOUBLE PRECISION NOT NULL,
                revoked_at DOUBLE PRECISION,
                created_at DOUBLE PRECISION NOT NULL
            )""",
            """CREATE TABLE IF NOT EXISTS rounds (
                id TEXT PRIMARY KEY,
                game_id TEXT NOT NULL REFERENCES games(id),
                number INTEGER NOT NULL,
                status TEXT NOT NULL,
                deadline DOUBLE PRECISION NOT NULL,
                opened_at DOUBLE PRECISION NOT NULL,
                turn_id TEXT,
                actions TEXT,
                resolved_at DOUBLE PRECISION,
                UNIQUE (game_id, number)
            )""",
            "CREATE INDEX IF NOT EXISTS rounds_turn ON rounds (turn_id)",
            """CREATE TABLE IF NOT EXISTS actions (
                round_id TEXT NOT NULL REFERENCES rounds(id),
                player_id TEXT NOT NULL REFERENCES seats(player_id),
                message TEXT NOT NULL,
                updated_at DOUBLE PRECISION NOT NULL,
                client_span TEXT,
                PRIMARY KEY (round_id, player_id)
            )""",
            {
                "sqlite": _TABLE_EVENTS.format(id_column="INTEGER PRIMARY KEY AUTOINCREMENT"),
                "postgresql": _TABLE_EVENTS.format(id_column="BIGSERIAL PRIMARY KEY"),
            },
            "CREATE INDEX IF NOT EXISTS table_events_game ON table_events (game_id, id)",
        ],
    ),
]
SCHEMA_VERSION = max(version for version, _ in MIGRATIONS)


class Migrations(Database):
    """Brings a database up to :data:`SCHEMA_VERSION`."""

    def migrate(self, *, up_to: int | None = None) -> int:
        """Apply pending migrations (idempotent, safe to run from many workers at once).

        ``up_to`` stops at that version (tests build old databases with it).
        """
        if self.dialect == "sqlite":
            # Rebuilding a table that others reference needs foreign keys off, and SQLite
            # only switches them outside a transaction.
            self._conn().execute("PRAGMA foreign_keys=OFF")
            try:
                return self._migrate(up_to)
            finally:
                self._conn().execute("PRAGMA foreign_keys=ON")
        return self._migrate(up_to)

    def _migrate(self, up_to: int | None) -> int:
        """Apply the pending migrations up to ``up_to`` in one transaction."""
        with self._tx() as q:
            if self.dialect == "postgresql":
                # Serialise concurrent start-ups across workers and hosts.
                q(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")
            q("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            # Applied versions as a set, not a maximum: a migration merged later under a
            # lower number than one already applied still runs.
            applied = {v for (v,) in q("SELECT version FROM schema_version").fetchall()}
            current = max(applied, default=0)
            for version, statements in sorted(MIGRATIONS, key=lambda m: m[0]):
                if version in applied or (up_to is not None and version > up_to):
                    continue
                for stmt in statements:
                    if callable(stmt):
                        stmt(q, self.dialect)
                    else:
                        q(stmt[self.dialect] if isinstance(stmt, dict) else stmt)
                q("INSERT INTO schema_version (version) VALUES (?)", version)
                current = max(current, version)
        return current
