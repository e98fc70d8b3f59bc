"""SQL persistence for games, turns and feedback: SQLite by default, PostgreSQL by URL.

One implementation serves both databases; the SQL is written with ``?`` placeholders and
translated for psycopg. Nothing outside this module sees SQL.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from .errors import GameNotFound, StoreBusy, TurnInProgress, TurnNotFound
from .rules import GameState

log = logging.getLogger(__name__)
T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_MS = 5000


class Cursor(Protocol):
    """The slice of a DB-API cursor the store uses."""

    rowcount: int

    def fetchone(self) -> Any:
        """One row or None."""
        ...

    def fetchall(self) -> list[Any]:
        """All rows."""
        ...


Query = Callable[..., Cursor]

# Each migration is (version, statements); statements may differ by dialect.
MIGRATIONS: list[tuple[int, list[str | dict[str, str]]]] = [
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
            # Claude transcripts mirrored by session_store.SqlSessionStore, so a game can
            # resume on any worker or host. subpath '' is the main transcript.
            {
                "sqlite": """CREATE TABLE IF NOT EXISTS claude_session_entries (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    project_key TEXT NOT NULL,
                    session_id TEXT NOT NULL,
                    subpath TEXT NOT NULL DEFAULT '',
                    uuid TEXT,
                    entry TEXT NOT NULL,
                    created_ms BIGINT NOT NULL
                )""",
                "postgresql": """CREATE TABLE IF NOT EXISTS claude_session_entries (
                    id BIGSERIAL PRIMARY KEY,
                    project_key TEXT NOT NULL,
                    session_id TEXT NOT NULL,
                    subpath TEXT NOT NULL DEFAULT '',
                    uuid TEXT,
                    entry TEXT NOT NULL,
                    created_ms BIGINT NOT NULL
                )""",
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
]
SCHEMA_VERSION = MIGRATIONS[-1][0]


@dataclass
class GameRecord:
    """A stored game, state decoded."""

    id: str
    owner: str | None
    scenario: str
    state: GameState
    session_id: str | None
    trace_root: str | None
    status: str
    turn_count: int
    created_at: float
    updated_at: float


@dataclass
class TurnRecord:
    """A stored turn (pending, completed or failed)."""

    id: str
    game_id: str
    number: int
    player_message: str
    narration: str | None
    tool_calls: list[dict[str, Any]]
    usage: dict[str, Any] | None
    status: str
    error_code: str | None
    error_message: str | None
    span_id: str | None
    trace: dict[str, Any] | None
    started_at: float
    completed_at: float | None
    duration_ms: float | None

    def to_dict(self) -> dict[str, Any]:
        """JSON form for the API."""
        return {
            "id": self.id,
            "number": self.number,
            "player_message": self.player_message,
            "narration": self.narration,
            "tool_calls": self.tool_calls,
            "usage": self.usage,
            "status": self.status,
            "error": (
                {"code": self.error_code, "message": self.error_message}
                if self.error_code
                else None
            ),
            "trace": self.trace,
            "started_at": self.started_at,
            "completed_at": self.completed_at,
            "duration_ms": self.duration_ms,
        }


_GAME_COLS = (
    "id, owner, scenario, state, session_id, trace_root, status, turn_count, created_at, updated_at"
)
_TURN_COLS = (
    "id, game_id, number, player_message, narration, tool_calls, usage, status, error_code, "
    "error_message, span_id, trace, started_at, completed_at, duration_ms"
)


def _game(row: Any) -> GameRecord:
    """Decode a games row."""
    return GameRecord(
        id=row[0],
        owner=row[1],
        scenario=row[2],
        state=GameState.from_dict(json.loads(row[3])),
        session_id=row[4],
        trace_root=row[5],
        status=row[6],
        turn_count=row[7],
        created_at=row[8],
        updated_at=row[9],
    )


def _turn(row: Any) -> TurnRecord:
    """Decode a turns row."""
    return TurnRecord(
        id=row[0],
        game_id=row[1],
        number=row[2],
        player_message=row[3],
        narration=row[4],
        tool_calls=json.loads(row[5] or "[]"),
        usage=json.loads(row[6]) if row[6] else None,
        status=row[7],
        error_code=row[8],
        error_message=row[9],
        span_id=row[10],
        trace=json.loads(row[11]) if row[11] else None,
        started_at=row[12],
        completed_at=row[13],
        duration_ms=row[14],
    )


def _pg_operational(exc: BaseException) -> bool:
    """True for psycopg's OperationalError (lock timeout, connection lost)."""
    try:
        import psycopg
    except ImportError:
        return False
    return isinstance(exc, psycopg.OperationalError)


def _dumps(value: Any) -> str:
    """JSON for a TEXT column; lone surrogates are escaped, never a crash."""
    return json.dumps(value, ensure_ascii=True)


class Store:
    """Games, turns and feedback in SQLite (a file) or PostgreSQL (``postgresql://`` URL)."""

    def __init__(self, url: str, *, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS) -> None:
        """Open lazily: ``url`` is a ``postgresql://`` URL, ``sqlite:///path`` or a path.

        ``busy_timeout_ms``: how long a write waits for a locked database before the
        operation fails with StoreBusy (a 503 with retry advice, never a 500).
        """
        self.url = url
        self.busy_timeout_ms = busy_timeout_ms
        self.dialect = (
            "postgresql" if url.startswith(("postgres://", "postgresql://")) else "sqlite"
        )
        self._local = threading.local()
        self._all: list[Any] = []
        self._all_lock = threading.Lock()
        if self.dialect == "sqlite":
            path = url.removeprefix("sqlite:///")
            if path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            self._sqlite_path = path

    # ------------------------------------------------------------------ connections

    def _connect(self) -> Any:
        """A new connection with the settings every operation relies on."""
        if self.dialect == "postgresql":
            import psycopg

            conn: Any = psycopg.connect(self.url, autocommit=True, connect_timeout=5)
            # Wait for row and advisory locks no longer than SQLite would.
            conn.execute(f"SET lock_timeout = {int(self.busy_timeout_ms)}")
            return conn
        conn = sqlite3.connect(  # type: ignore[assignment]
            self._sqlite_path,
            timeout=self.busy_timeout_ms / 1000,
            isolation_level=None,
            check_same_thread=False,
        )
        conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_ms)}")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    def _conn(self) -> Any:
        """This thread's connection (connections are not shared between threads)."""
        conn = getattr(self._local, "conn", None)
        if conn is None or getattr(conn, "closed", False):
            conn = self._connect()
            self._local.conn = conn
            with self._all_lock:
                self._all.append(conn)
        return conn

    def forget_connections(self) -> None:
        """Drop (without closing) connections inherited through fork; new ones open lazily."""
        with self._all_lock:
            self._all = []
        self._local = threading.local()

    def close(self) -> None:
        """Close every connection this store opened."""
        with self._all_lock:
            conns, self._all = self._all, []
        for conn in conns:
            try:
                conn.close()
            except Exception:  # closing is best effort at shutdown
                log.debug("closing a connection failed", exc_info=True)
        self._local = threading.local()

    def transaction(self, *, write: bool = True) -> Any:
        """A transaction yielding ``q(sql, *params)`` (``?`` placeholders, both dialects)."""
        return self._tx(write=write)

    @contextmanager
    def _tx(self, *, write: bool = True) -> Iterator[Query]:
        """A transaction; yields ``q(sql, *params)``. SQLite writes take the lock up front."""
        conn = self._conn()
        try:
            if self.dialect == "postgresql":
                with conn.transaction():
                    cur = conn.cursor()

                    def q(sql: str, *params: Any) -> Cursor:
                        cur.execute(sql.replace("?", "%s"), params)
                        return cur

                    yield q
            else:
                conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                try:

                    def q(sql: str, *params: Any) -> Cursor:
                        return conn.execute(sql.replace(" FOR UPDATE", ""), params)

                    yield q
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise StoreBusy(
                    "The game database is busy; try again in a moment.", retry_after=2
                ) from exc
            raise
        except Exception as exc:
            if self.dialect == "postgresql" and _pg_operational(exc):
                # A lock wait past lock_timeout, or a lost connection: drop the connection
                # (the next call reconnects) and answer "busy", never a 500.
                self._local.conn = None
                raise StoreBusy(
                    "The game database is busy or unreachable; try again in a moment.",
                    retry_after=2,
                ) from exc
            raise

    def migrate(self) -> int:
        """Apply pending migrations (idempotent, safe to run from many workers at once)."""
        with self._tx() as q:
            if self.dialect == "postgresql":
                # Serialise concurrent start-ups across workers and hosts.
                q("SELECT pg_advisory_xact_lock(727274)")
            q("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = q("SELECT MAX(version) FROM schema_version").fetchone()
            current = row[0] or 0
            for version, statements in MIGRATIONS:
                if version <= current:
                    continue
                for stmt in statements:
                    sql = stmt[self.dialect] if isinstance(stmt, dict) else stmt
                    q(sql)
                q("INSERT INTO schema_version (version) VALUES (?)", version)
                current = version
        return current

    def ping(self) -> bool:
        """True when the database answers a trivial query."""
        with self._tx(write=False) as q:
            return q("SELECT 1").fetchone()[0] == 1

    # ------------------------------------------------------------------ games

    def create_game(
        self,
        state: GameState,
        *,
        owner: str | None = None,
        game_id: str | None = None,
    ) -> GameRecord:
        """Store a new game and return it."""
        now = time.time()
        gid = game_id or uuid.uuid4().hex
        with self._tx() as q:
            q(
                f"INSERT INTO games ({_GAME_COLS}) "
                "VALUES (?, ?, ?, ?, NULL, NULL, 'active', 0, ?, ?)",
                gid,
                owner,
                state.scenario_id,
                _dumps(state.to_dict()),
                now,
                now,
            )
        return self.get_game(gid)

    def get_game(self, game_id: str) -> GameRecord:
        """The game; raises GameNotFound."""
        with self._tx(write=False) as q:
            row = q(f"SELECT {_GAME_COLS} FROM games WHERE id = ?", game_id).fetchone()
        if row is None:
            raise GameNotFound(f"No game {game_id!r}.")
        return _game(row)

    def read_state(self, game_id: str) -> GameState:
        """The game's current state."""
        return self.get_game(game_id).state

    def update_state(self, game_id: str, change: Callable[[GameState], T]) -> T:
        """Apply ``change`` to the state under a row lock; nothing is saved if it raises."""
        with self._tx() as q:
            row = q("SELECT state FROM games WHERE id = ? FOR UPDATE", game_id).fetchone()
            if row is None:
                raise GameNotFound(f"No game {game_id!r}.")
            state = GameState.from_dict(json.loads(row[0]))
            result = change(state)
            status = "active" if state.outcome is None else state.outcome
            q(
                "UPDATE games SET state = ?, status = ?, updated_at = ? WHERE id = ?",
                _dumps(state.to_dict()),
                status,
                time.time(),
                game_id,
            )
        return result

    def set_session_id(self, game_id: str, session_id: str) -> None:
        """Remember the Claude session that holds this game's conversation."""
        with self._tx() as q:
            q("UPDATE games SET session_id = ? WHERE id = ?", session_id, game_id)

    def set_trace_root(self, game_id: str, exported: str) -> None:
        """Remember the exported root span of the game's trace."""
        with self._tx() as q:
            q("UPDATE games SET trace_root = ? WHERE id = ?", exported, game_id)

    # ------------------------------------------------------------------ turns

    def begin_turn(
        self, game_id: str, message: str, *, lease_owner: str, lease_seconds: float
    ) -> TurnRecord:
        """Store the player's message and take the game's turn lease (any worker, any host).

        Raises TurnInProgress when another live lease holds the game. The message is
        committed before the model is called, so it survives whatever happens next.
        """
        now = time.time()
        turn_id = uuid.uuid4().hex
        with self._tx() as q:
            got = q(
                "UPDATE games SET lease_owner = ?, lease_until = ?, turn_count = turn_count + 1, "
                "updated_at = ? WHERE id = ? AND (lease_until IS NULL OR lease_until < ?)",
                lease_owner,
                now + lease_seconds,
                now,
                game_id,
                now,
            ).rowcount
            if got != 1:
                if q("SELECT 1 FROM games WHERE id = ?", game_id).fetchone() is None:
                    raise GameNotFound(f"No game {game_id!r}.")
                raise TurnInProgress(
                    "The game master is still answering your last action.", retry_after=2
                )
            # A turn still "running" under an expired lease died with its worker.
            q(
                "UPDATE turns SET status = 'failed', error_code = 'interrupted', "
                "error_message = 'The server stopped during this turn; play it again.', "
                "completed_at = ? WHERE game_id = ? AND status = 'running'",
                now,
                game_id,
            )
            number = q("SELECT turn_count FROM games WHERE id = ?", game_id).fetchone()[0]
            q(
                "INSERT INTO turns (id, game_id, number, player_message, status, started_at) "
                "VALUES (?, ?, ?, ?, 'running', ?)",
                turn_id,
                game_id,
                number,
                message,
                now,
            )
        return self.get_turn(game_id, turn_id)

    def finish_turn(
        self,
        turn_id: str,
        *,
        status: str,
        narration: str | None,
        tool_calls: list[dict[str, Any]],
        usage: dict[str, Any] | None = None,
        error_code: str | None = None,
        error_message: str | None = None,
        span_id: str | None = None,
        trace: dict[str, Any] | None = None,
    ) -> TurnRecord:
        """Record how a turn ended (``completed`` or ``failed``) and release the lease."""
        now = time.time()
        with self._tx() as q:
            row = q("SELECT game_id, started_at FROM turns WHERE id = ?", turn_id).fetchone()
            if row is None:
                raise TurnNotFound(f"No turn {turn_id!r}.")
            game_id, started = row
            q(
                "UPDATE turns SET status = ?, narration = ?, tool_calls = ?, usage = ?, "
                "error_code = ?, error_message = ?, span_id = COALESCE(?, span_id), "
                "trace = COALESCE(?, trace), completed_at = ?, duration_ms = ? WHERE id = ?",
                status,
                narration,
                _dumps(tool_calls),
                _dumps(usage) if usage is not None else None,
                error_code,
                error_message,
                span_id,
                _dumps(trace) if trace is not None else None,
                now,
                round((now - started) * 1000, 1),
                turn_id,
            )
            q(
                "UPDATE games SET lease_owner = NULL, lease_until = NULL, updated_at = ? "
                "WHERE id = ?",
                now,
                game_id,
            )
        return self.get_turn(game_id, turn_id)

    def set_turn_span(self, turn_id: str, span_id: str, trace: dict[str, Any] | None) -> None:
        """Link a turn to its tracing span as soon as the span exists."""
        with self._tx() as q:
            q(
                "UPDATE turns SET span_id = ?, trace = ? WHERE id = ?",
                span_id,
                _dumps(trace) if trace is not None else None,
                turn_id,
            )

    def get_turn(self, game_id: str, turn_id: str) -> TurnRecord:
        """One turn of one game; raises TurnNotFound."""
        with self._tx(write=False) as q:
            row = q(
                f"SELECT {_TURN_COLS} FROM turns WHERE id = ? AND game_id = ?", turn_id, game_id
            ).fetchone()
        if row is None:
            raise TurnNotFound(f"No turn {turn_id!r} in this game.")
        return _turn(row)

    def list_turns(self, game_id: str) -> list[TurnRecord]:
        """Every turn of a game in order."""
        with self._tx(write=False) as q:
            rows = q(
                f"SELECT {_TURN_COLS} FROM turns WHERE game_id = ? ORDER BY number", game_id
            ).fetchall()
        return [_turn(r) for r in rows]

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
        with self._tx(write=False) as q:
            rows = q(
                "SELECT f.turn_id, f.score FROM feedback f JOIN turns t ON t.id = f.turn_id "
                "WHERE t.game_id = ? ORDER BY f.created_at",
                game_id,
            ).fetchall()
        return dict(rows)

    # ------------------------------------------------------------------ analytics reads

    def recent_game_ids(
        self, limit: int = 20, since: float | None = None, until: float | None = None
    ) -> list[str]:
        """Ids of the newest games, optionally created within [since, until)."""
        with self._tx(write=False) as q:
            rows = q(
                "SELECT id FROM games WHERE created_at >= ? AND created_at < ? "
                "ORDER BY created_at DESC LIMIT ?",
                since if since is not None else 0.0,
                until if until is not None else 1e18,
                limit,
            ).fetchall()
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
        params: list[Any] = [
            since if since is not None else 0.0,
            until if until is not None else 1e18,
        ]
        if status:
            sql += " AND status = ?"
            params.append(status)
        if text:
            sql += (
                " AND (LOWER(player_message) LIKE ? ESCAPE '\\' "
                "OR LOWER(COALESCE(narration, '')) LIKE ? ESCAPE '\\')"
            )
            escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            params += [f"%{escaped}%", f"%{escaped}%"]
        sql += " ORDER BY started_at DESC, number DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        with self._tx(write=False) as q:
            return [(r[0], r[1]) for r in q(sql, *params).fetchall()]

    def latest_ratings(self, turn_ids: list[str]) -> dict[str, float]:
        """The newest player rating of each given turn that has one."""
        ratings: dict[str, float] = {}
        for start in range(0, len(turn_ids), 500):
            chunk = turn_ids[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            with self._tx(write=False) as q:
                rows = q(
                    f"SELECT turn_id, score FROM feedback WHERE turn_id IN ({marks}) "
                    "ORDER BY created_at",
                    *chunk,
                ).fetchall()
            ratings.update({r[0]: float(r[1]) for r in rows})
        return ratings

    def list_feedback(self, turn_id: str) -> list[dict[str, Any]]:
        """Ratings of one turn, oldest first."""
        with self._tx(write=False) as q:
            rows = q(
                "SELECT id, score, comment, created_at FROM feedback WHERE turn_id = ? "
                "ORDER BY created_at",
                turn_id,
            ).fetchall()
        return [{"id": r[0], "score": r[1], "comment": r[2], "created_at": r[3]} for r in rows]
