"""The table's fan-out: wake every stream of a game, on any worker or host, when one of its
events is stored.

Events are stored rows first (store/table.py), so a stream never depends on a message
arriving: a wake-up only says "read what is new after your last id", and a stream that
reconnects replays from ``Last-Event-ID``. What carries the wake-up:

- **PostgreSQL** (several workers or hosts): ``LISTEN/NOTIFY``. The event's INSERT and its
  ``pg_notify`` commit together, so a notification never runs ahead of its row, and the
  database every worker already uses is the bus: no second engine to run, secure or monitor
  (Redis pub/sub would be one more moving part, and its messages are lost while a subscriber
  reconnects, where ours are only hints). One listening connection per process, blocked on
  its socket, feeds every stream of that process.
- **SQLite** (one host, one process): an in-process notifier; the writer wakes its own
  process's streams directly.

Neither polls a table in a loop: a stream reads only when woken, and on its heartbeat tick
(``GM_SSE_HEARTBEAT_S``), where it also renews its presence and lets an overdue round resolve.
"""

from __future__ import annotations

import os
import threading
from collections import defaultdict

from .store import Store
from .store.table import listen


class Waiter:
    """One stream's doorbell: set when its game has new events."""

    def __init__(self, game_id: str) -> None:
        """A doorbell for ``game_id``'s stream."""
        self.game_id = game_id
        self._bell = threading.Event()

    def ring(self) -> None:
        """New events (or a reconnect: maybe new events)."""
        self._bell.set()

    def wait(self, timeout: float) -> bool:
        """True when rung within ``timeout`` seconds (the bell is then reset)."""
        rung = self._bell.wait(timeout)
        self._bell.clear()
        return rung


class TableFeed:
    """This process's streams by game, woken by PostgreSQL notifications or in-process."""

    def __init__(self, store: Store) -> None:
        """Listen lazily (after any fork) on first subscription when the store is PostgreSQL."""
        self.store = store
        self._waiters: dict[str, set[Waiter]] = defaultdict(set)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._listener: threading.Thread | None = None
        self._pid: int | None = None

    def _ensure_listening(self) -> None:
        """Start this process's LISTEN thread once (PostgreSQL only)."""
        if self.store.dialect != "postgresql":
            return
        if self._listener is not None and self._pid == os.getpid() and self._listener.is_alive():
            return
        self._stop = threading.Event()
        self._listener = threading.Thread(
            target=listen,
            args=(self.store.url, self.heard, self._stop),
            name="table-listener",
            daemon=True,
        )
        self._pid = os.getpid()
        self._listener.start()

    def subscribe(self, game_id: str) -> Waiter:
        """A doorbell rung whenever ``game_id`` has new table events."""
        waiter = Waiter(game_id)
        with self._lock:
            self._ensure_listening()
            self._waiters[game_id].add(waiter)
        return waiter

    def unsubscribe(self, waiter: Waiter) -> None:
        """Forget a stream that ended."""
        with self._lock:
            waiters = self._waiters.get(waiter.game_id)
            if waiters is not None:
                waiters.discard(waiter)
                if not waiters:
                    del self._waiters[waiter.game_id]

    def heard(self, game_id: str) -> None:
        """Ring the game's streams (``"*"``: every stream of this process)."""
        with self._lock:
            if game_id == "*":
                rung = [w for ws in self._waiters.values() for w in ws]
            else:
                rung = list(self._waiters.get(game_id, ()))
        for waiter in rung:
            waiter.ring()

    def published(self, game_id: str) -> None:
        """This process stored an event of ``game_id``: ring its local streams now (with
        PostgreSQL the notification rings them too, and every other process's)."""
        self.heard(game_id)

    @property
    def closing(self) -> bool:
        """True once :meth:`stop` was called: streams end (clients reconnect elsewhere with
        Last-Event-ID) instead of holding a stopping worker until its graceful timeout."""
        return self._stop.is_set()

    def stop(self) -> None:
        """Stop listening and end this process's streams (shutdown)."""
        self._stop.set()
        self.heard("*")
