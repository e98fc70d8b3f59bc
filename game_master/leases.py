"""Turn leases held by this process, renewed while their turns run.

A turn's lease on its game lasts ``seconds`` unless renewed; the renewer extends the leases
of this process's running turns every quarter of that (three renewals may fail in a row),
so a dead worker's games are free within seconds. It runs in its own thread, not on the
agent loop, so store calls queued on the loop's executor cannot delay a renewal past the
lease. A turn older than its deadline plus a margin is no longer renewed: the loop would
have ended it, so it is stuck or dead.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from typing import Protocol

log = logging.getLogger(__name__)

LEASE_SECONDS = 4.0


class LeaseStore(Protocol):
    """What renewing needs from the store."""

    def renew_leases(self, owner: str, game_ids: list[str], seconds: float) -> object:
        """Extend the leases ``owner`` holds on these games."""
        ...


class LeaseRenewer:
    """The leases of this process's running turns, and the thread that keeps them alive."""

    def __init__(self, store: LeaseStore, seconds: float, give_up_after_s: float) -> None:
        """Configure; :meth:`start` starts renewing."""
        self.store = store
        self.seconds = seconds
        self.give_up_after_s = give_up_after_s
        # Who holds a lease: host and pid say which process to look for in a post-mortem.
        self.owner_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        # game id -> when (monotonic) its running turn began here: the leases to renew.
        self._held: dict[str, float] = {}
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def hold(self, game_id: str) -> None:
        """A turn of this game began here: keep its lease alive."""
        self._held[game_id] = time.monotonic()

    def let_go(self, game_id: str) -> None:
        """The turn ended: stop renewing."""
        self._held.pop(game_id, None)

    def start(self) -> None:
        """Start the renewing thread."""
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="lease-renewer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop renewing (held leases then lapse)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        """Every quarter of the lease, extend the leases of the turns still running."""
        every = max(0.05, self.seconds / 4)
        while not self._stopping.wait(every):
            now = time.monotonic()
            games = [
                g for g, began in list(self._held.items()) if now - began < self.give_up_after_s
            ]
            if not games:
                continue
            try:
                self.store.renew_leases(self.owner_id, games, self.seconds)
            except Exception as exc:  # the next round tries again; the lease may lapse
                log.warning("could not renew the turn leases of %s: %s", games, exc)
