"""Connections and transactions: SQLite (WAL, a file) or PostgreSQL (psycopg, a URL).

SQL elsewhere in the package is written with ``?`` placeholders; :meth:`Database.transaction`
translates them for psycopg, so one text serves both dialects.

SQLite keeps one connection per thread (a file, no server limit). PostgreSQL uses a bounded
``psycopg_pool`` per process (``pool_size``, GM_DB_POOL_SIZE): a worker holds at most that
many server connections however many threads it runs.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, Protocol

from ..errors import StoreBusy, StoreUnavailable

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 5000
DEFAULT_POOL_SIZE = 8
# A pool's background reconnection gives up after this long (then the next request starts a
# fresh attempt at once): psycopg_pool's back-off doubles without a cap, which after a long
# outage would leave the app waiting well past the database's return.
PG_RECONNECT_WINDOW_S = 5.0


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


def _pg_operational(exc: BaseException) -> bool:
    """True for psycopg's OperationalError (lock timeout, connection lost) or InterfaceError."""
    try:
        import psycopg
    except ImportError:
        return False
    return isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError)


def _pg_lock_timeout(exc: BaseException) -> bool:
    """True when PostgreSQL gave up waiting for a lock (lock_timeout): the server is fine."""
    try:
        from psycopg import errors
    except ImportError:
        return False
    return isinstance(exc, errors.LockNotAvailable | errors.QueryCanceled)


# SQLite errors that mean the file cannot be written now, not that the request is wrong.
SQLITE_OUTAGES = ("database or disk is full", "disk i/o error", "unable to open database")
UNAVAILABLE = "The game database is unavailable right now; try again in a moment."


def _pool_timeout(exc: BaseException) -> bool:
    """True when no pooled PostgreSQL connection came within the wait."""
    try:
        from psycopg_pool import PoolTimeout
    except ImportError:
        return False
    return isinstance(exc, PoolTimeout)


# Below this much free space a write may fail half way (SQLite's journal, the CLI's transcript).
MIN_FREE_BYTES = 1024 * 1024


def disk_problem(folder: Path) -> str | None:
    """Why files cannot be written in ``folder`` now (None: they can)."""
    try:
        stats = os.statvfs(folder)
    except OSError as exc:
        return f"the folder cannot be examined: {exc.strerror}"
    free = stats.f_bavail * stats.f_frsize
    if free < MIN_FREE_BYTES:
        return f"its disk is full ({free // 1024} KiB free)"
    if not os.access(folder, os.W_OK):
        return "the folder is read-only"
    return None


class Database:
    """One database: SQLite with a connection per thread, PostgreSQL through a bounded pool."""

    def __init__(
        self,
        url: str,
        *,
        busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS,
        pool_size: int = DEFAULT_POOL_SIZE,
    ) -> None:
        """Open lazily: ``url`` is a ``postgresql://`` URL, ``sqlite:///path`` or a path.

        ``busy_timeout_ms``: how long a write waits for a locked database (and, on
        PostgreSQL, for a free pooled connection, at least a second) before the operation
        fails with StoreBusy (a 503 with retry advice, never a 500). ``pool_size``: the most
        PostgreSQL connections this process opens.
        """
        self.url = url
        self.busy_timeout_ms = busy_timeout_ms
        self.pool_size = max(1, int(pool_size))
        self.dialect = (
            "postgresql" if url.startswith(("postgres://", "postgresql://")) else "sqlite"
        )
        self._local = threading.local()
        self._all: list[Any] = []
        self._all_lock = threading.Lock()
        self._pool: Any = None
        self._pool_wait_s = max(1.0, busy_timeout_ms / 1000)
        self._last_begin = 0.0
        # Pools inherited through fork: kept referenced so that no finalizer ever closes
        # (and so ends) the parent's PostgreSQL sessions from the child.
        self._inherited: list[Any] = []
        if self.dialect == "sqlite":
            path = url.removeprefix("sqlite:///")
            if path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            self._sqlite_path = path

    def _pg_configure(self, conn: Any) -> None:
        """Settings every PostgreSQL operation relies on, once per new pooled connection."""
        # Wait for row and advisory locks no longer than SQLite would.
        conn.execute(f"SET lock_timeout = {int(self.busy_timeout_ms)}")

    def _pg_pool(self) -> Any:
        """This process's PostgreSQL pool, opened on first use (after any fork)."""
        pool = self._pool
        if pool is not None:
            return pool
        with self._all_lock:
            if self._pool is None:
                from psycopg_pool import ConnectionPool

                self._pool = ConnectionPool(
                    self.url,
                    # Opened on demand, closed again after 10 idle minutes: an idle worker
                    # holds no server connection, a busy one at most pool_size.
                    min_size=0,
                    max_size=self.pool_size,
                    kwargs={"autocommit": True, "connect_timeout": 5},
                    configure=self._pg_configure,
                    timeout=self._pool_wait_s,
                    reconnect_timeout=PG_RECONNECT_WINDOW_S,
                    name="game-master",
                    num_workers=2,
                    open=True,
                )
            return self._pool

    @contextmanager
    def _pg_connection(self) -> Iterator[Any]:
        """A pooled connection for this thread; nested calls share it (a savepoint)."""
        held = getattr(self._local, "pg", None)
        if held is not None:
            yield held
            return
        pool = self._pg_pool()
        conn = pool.getconn()
        self._local.pg = conn
        try:
            yield conn
        finally:
            self._local.pg = None
            # A broken connection is discarded and replaced by the pool itself.
            pool.putconn(conn)

    def _pg_sweep(self) -> None:
        """After one dead connection, check the idle ones too (a restart killed them all)."""
        pool = self._pool
        if pool is None:
            return
        try:
            pool.check()
        except Exception:  # the sweep is an optimisation; the begin check still guards
            log.debug("checking the pool's idle connections failed", exc_info=True)

    def _connect(self) -> Any:
        """A new SQLite connection with the settings every operation relies on."""
        conn = sqlite3.connect(
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
        """This thread's SQLite connection (connections are not shared between threads)."""
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
            if self._pool is not None:
                self._inherited.append(self._pool)
            self._pool = None
        self._local = threading.local()

    def close(self) -> None:
        """Close every connection this store opened (the pool too; it reopens on use)."""
        with self._all_lock:
            conns, self._all = self._all, []
            pool, self._pool = self._pool, None
        if pool is not None:
            try:
                pool.close(timeout=5)
            except Exception:  # closing is best effort at shutdown
                log.debug("closing the PostgreSQL pool failed", exc_info=True)
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
        """A transaction; yields ``q(sql, *params)``. SQLite writes take the lock up front.

        Outages become StoreBusy (a lock wait ran out) or StoreUnavailable (disk full, the
        server gone): 503s with retry advice, never 500s. BEGIN is the pooled connection's
        check: one found dead there (a restart, an idle timeout, pg_terminate_backend) is
        discarded, the pool's idle connections are checked, and the transaction is begun
        again on another: nothing was sent yet, so that is safe.
        """
        try:
            if self.dialect == "postgresql":
                with ExitStack() as stack:
                    conn = self._pg_begin(stack)
                    cur = conn.cursor()

                    def q(sql: str, *params: Any) -> Cursor:
                        cur.execute(sql.replace("?", "%s"), params)
                        return cur

                    yield q
            else:
                conn = self._conn()
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
            text = str(exc).lower()
            if "locked" in text or "busy" in text:
                raise StoreBusy(
                    "The game database is busy; try again in a moment.", retry_after=2
                ) from exc
            if any(outage in text for outage in SQLITE_OUTAGES):
                log.error("the SQLite database cannot be written: %s", exc)
                self._rollback_quietly()
                raise StoreUnavailable(UNAVAILABLE, retry_after=5) from exc
            raise
        except Exception as exc:
            if self.dialect == "postgresql" and _pg_operational(exc):
                if _pg_lock_timeout(exc):
                    raise StoreBusy(
                        "The game database is busy; try again in a moment.", retry_after=2
                    ) from exc
                if _pool_timeout(exc) and self._pool_saturated():
                    # Every pooled connection is in use: load, not an outage.
                    raise StoreBusy(
                        "The game database is busy; try again in a moment.", retry_after=1
                    ) from exc
                # A lost connection (the pool replaces it) or no server: answer 503.
                log.warning("PostgreSQL connection lost: %s", exc)
                self._pg_sweep()
                raise StoreUnavailable(UNAVAILABLE, retry_after=2) from exc
            raise

    def _pool_saturated(self) -> bool:
        """True when the pool's wait ran out while other transactions kept beginning.

        Then every connection is lent out under load; with no transaction begun during the
        wait, connections could not be made: the server is the problem.
        """
        return time.monotonic() - self._last_begin < self._pool_wait_s + 1

    def _pg_begin(self, stack: ExitStack) -> Any:
        """A pooled PostgreSQL connection inside a new transaction; one retry if it was dead."""
        nested = getattr(self._local, "pg", None) is not None
        try:
            conn = stack.enter_context(self._pg_connection())
            stack.enter_context(conn.transaction())
            self._last_begin = time.monotonic()
            return conn
        except Exception as exc:
            if not _pg_operational(exc) or _pg_lock_timeout(exc) or _pool_timeout(exc):
                raise
            if nested:
                raise  # the outer transaction is gone with its connection
            log.info("replacing a dead PostgreSQL connection: %s", exc)
        # The dead connection went back to the pool, which discarded it; others idle since
        # the same restart are dead too, so check them before taking one.
        stack.close()
        self._pg_sweep()
        conn = stack.enter_context(self._pg_connection())
        stack.enter_context(conn.transaction())
        self._last_begin = time.monotonic()
        return conn

    def _rollback_quietly(self) -> None:
        """After a failed SQLite COMMIT, end the transaction so the connection is usable."""
        conn = getattr(self._local, "conn", None)
        if conn is not None and getattr(conn, "in_transaction", False):
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                log.debug("rollback after an outage failed", exc_info=True)

    def read_one(self, sql: str, *params: Any) -> Any:
        """The first row (or None) of one query in its own read transaction."""
        with self._tx(write=False) as q:
            return q(sql, *params).fetchone()

    def read_all(self, sql: str, *params: Any) -> list[Any]:
        """Every row of one query in its own read transaction."""
        with self._tx(write=False) as q:
            return q(sql, *params).fetchall()

    def ping(self) -> bool:
        """True when the database answers a trivial query."""
        return bool(self.read_one("SELECT 1")[0] == 1)

    def write_problem(self) -> str | None:
        """Why the database cannot take writes now (None: it can). A full disk or a read-only
        server still answers reads, so ``ping`` alone would report it healthy."""
        if self.dialect == "postgresql":
            read_only, recovering = self.read_one(
                "SELECT current_setting('transaction_read_only'), pg_is_in_recovery()"
            )
            if read_only == "on" or recovering:
                return "the PostgreSQL server is read-only (a standby, or in recovery)"
            return None
        if self._sqlite_path == ":memory:":
            return None
        path = Path(self._sqlite_path)
        if path.exists() and not os.access(path, os.W_OK):
            return "the SQLite file is read-only"
        return disk_problem(path.parent)
