"""The table's events (party play): stored rows replayed after ``Last-Event-ID``, and how
other workers and hosts hear of them.

Every event of a game's table stream is a row of ``table_events`` in id order. On PostgreSQL
the insert and a ``pg_notify`` of ``"<game_id>:<id>"`` on :data:`TABLE_CHANNEL` are one
transaction, so a listener on any worker or host never hears of an event it cannot read yet;
:func:`listen` is that listener's loop (one connection per process, blocked on the socket,
never polling a table). SQLite has no such channel: a single-host deployment wakes its
streams in-process (game_master/table.py).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..events import ROUND_OPENED
from .connection import Database, Query
from .records import dumps

log = logging.getLogger(__name__)

# The PostgreSQL channel a stored table event is announced on: "<game_id>:<event id>".
TABLE_CHANNEL = "gm_table"


@dataclass(frozen=True)
class TableEvent:
    """One stored event of a game's table stream."""

    id: int
    game_id: str
    kind: str
    data: dict[str, Any]


def append_event(q: Query, dialect: str, game_id: str, kind: str, data: dict[str, Any]) -> int:
    """Store one table event inside the caller's transaction; its id. On PostgreSQL the
    NOTIFY goes out when (and only if) that transaction commits."""
    now = time.time()
    if dialect == "postgresql":
        row = q(
            "INSERT INTO table_events (game_id, kind, data, created_at) VALUES (?, ?, ?, ?) "
            "RETURNING id",
            game_id,
            kind,
            dumps(data),
            now,
        ).fetchone()
        event_id = int(row[0])
        q("SELECT pg_notify(?, ?)", TABLE_CHANNEL, f"{game_id}:{event_id}")
        return event_id
    cur = q(
        "INSERT INTO table_events (game_id, kind, data, created_at) VALUES (?, ?, ?, ?)",
        game_id,
        kind,
        dumps(data),
        now,
    )
    return int(cur.lastrowid)  # type: ignore[attr-defined]


class TableTables(Database):
    """Reads and writes of the table's events."""

    def add_table_event(self, game_id: str, kind: str, data: dict[str, Any]) -> int:
        """Store (and, on PostgreSQL, announce) one table event; its id."""
        with self._tx() as q:
            return append_event(q, self.dialect, game_id, kind, data)

    def table_events(self, game_id: str, after: int, limit: int = 500) -> list[TableEvent]:
        """The game's table events after id ``after``, oldest first."""
        rows = self.read_all(
            "SELECT id, game_id, kind, data FROM table_events WHERE game_id = ? AND id > ? "
            "ORDER BY id LIMIT ?",
            game_id,
            after,
            limit,
        )
        return [TableEvent(int(r[0]), r[1], r[2], json.loads(r[3])) for r in rows]

    def last_round_event(self, game_id: str) -> int:
        """The id just before the game's latest ``round.opened`` (0: none): where a stream
        without Last-Event-ID starts, so it shows the round in play."""
        row = self.read_one(
            "SELECT MAX(id) FROM table_events WHERE game_id = ? AND kind = ?",
            game_id,
            ROUND_OPENED,
        )
        return int(row[0]) - 1 if row and row[0] is not None else 0


def listen(url: str, heard: Callable[[str], None], stop: threading.Event) -> None:
    """Until ``stop``: LISTEN on :data:`TABLE_CHANNEL` and call ``heard(game_id)`` for each
    notification. After a (re)connect ``heard("*")`` tells every stream to read again, since
    notifications sent while the connection was down are gone (the rows are not)."""
    import psycopg

    while not stop.is_set():
        try:
            with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
                conn.execute(f"LISTEN {TABLE_CHANNEL}")
                heard("*")
                while not stop.is_set():
                    # Blocks on the socket for at most a second (to see ``stop``).
                    for note in conn.notifies(timeout=1.0):
                        heard(note.payload.split(":", 1)[0])
        except Exception:
            log.warning("the table listener lost PostgreSQL; reconnecting", exc_info=True)
            stop.wait(1.0)
