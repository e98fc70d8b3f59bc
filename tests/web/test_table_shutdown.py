"""Shutdown and the table streams: the store closes only after every stream has left it.

A stream woken by shutdown still records its seat going offline; closing the SQLite
connections under it crashed the test process (a segfault in ``touch_seat``) in the page's
party tests. ``TableFeed.stop`` now waits for the streams to leave, with a deadline."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace
from typing import Any

from game_master.table import TableFeed


def test_stop_returns_only_after_each_woken_stream_has_left() -> None:
    """Two streams wait on their doorbells; stop() wakes them, and returns once both have
    finished their last store work and left — not before."""
    feed = TableFeed(SimpleNamespace(dialect="sqlite"))  # type: ignore[arg-type]
    finished: list[str] = []
    ready = threading.Barrier(3)

    def stream(name: str) -> None:
        waiter = feed.subscribe("g1")
        ready.wait()
        while not feed.closing:
            waiter.wait(30)
        time.sleep(0.2)  # the stream's last store write (its seat going offline)
        finished.append(name)
        feed.unsubscribe(waiter)

    threads = [threading.Thread(target=stream, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    ready.wait()
    assert feed.stop(wait_s=10) is True
    assert sorted(finished) == ["a", "b"]
    for t in threads:
        t.join()


def test_a_stream_that_never_leaves_does_not_hold_shutdown_forever() -> None:
    """A stream stuck elsewhere (a client that stopped reading) holds stop() only until its
    deadline, which then says so."""
    feed = TableFeed(SimpleNamespace(dialect="sqlite"))  # type: ignore[arg-type]
    stuck: Any = feed.subscribe("g1")
    assert feed.stop(wait_s=0.3) is False
    feed.unsubscribe(stuck)
