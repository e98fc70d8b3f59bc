"""PostgreSQL through a bounded pool: many threads share few connections; dead ones are replaced."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from game_master.errors import StoreBusy, StoreUnavailable
from game_master.store import Store
from game_master.testing import PG_URL


def app_connections(name: str) -> int:
    """How many PostgreSQL sessions carry ``application_name`` ``name`` right now."""
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", (name,)
        ).fetchone()
    assert row is not None
    return int(row[0])


def terminate(name: str) -> int:
    """End every session of ``name`` server-side (what a PostgreSQL restart does)."""
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE pid <> pg_backend_pid() AND application_name = %s",
            (name,),
        ).fetchall()
    return len(rows)


@pytest.fixture()
def pooled(pg_url: str) -> Iterator[tuple[Store, str]]:
    """A migrated store with a pool of 2 and its own application_name."""
    name = f"gm_pool_{uuid.uuid4().hex[:8]}"
    store = Store(f"{pg_url}&application_name={name}", busy_timeout_ms=5000, pool_size=2)
    store.migrate()
    yield store, name
    store.close()


def test_eight_threads_share_two_connections(pooled: tuple[Store, str]) -> None:
    """Eight threads reading at once all succeed on at most two server connections."""
    store, name = pooled
    errors: list[BaseException] = []
    peak = [0]
    barrier = threading.Barrier(8)

    def reader() -> None:
        try:
            barrier.wait(10)
            for _ in range(20):
                # pg_sleep keeps connections busy long enough for threads to overlap.
                assert store.read_one("SELECT 1, pg_sleep(0.005)")[0] == 1
        except BaseException as exc:
            errors.append(exc)

    def watch(stop: threading.Event) -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], app_connections(name))
            stop.wait(0.02)

    stop = threading.Event()
    watcher = threading.Thread(target=watch, args=(stop,))
    watcher.start()
    threads = [threading.Thread(target=reader) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    stop.set()
    watcher.join(10)
    assert not errors, errors
    assert 1 <= peak[0] <= 2, peak[0]
    assert app_connections(name) <= 2


def test_terminated_backends_are_replaced(pooled: tuple[Store, str]) -> None:
    """Every pooled connection killed server-side: the next reads still succeed (BEGIN finds
    the dead one, the pool is swept, the transaction begins again on a fresh connection)."""
    store, name = pooled
    held = threading.Barrier(2)

    def hold() -> None:
        with store.transaction(write=False) as q:
            q("SELECT 1")
            held.wait(10)  # the two holders meet: both connections are open at once

    threads = [threading.Thread(target=hold) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert app_connections(name) == 2
    assert terminate(name) == 2
    for _ in range(5):
        assert store.ping()
    assert app_connections(name) <= 2


def test_nested_transactions_share_the_thread_connection(pooled: tuple[Store, str]) -> None:
    """A transaction opened inside another on the same thread reuses its connection (a
    savepoint), so a pool of one cannot deadlock on itself."""
    store, _ = pooled
    with store.transaction() as outer:
        outer("SELECT 1")
        assert store.read_one("SELECT 2")[0] == 2


def test_no_server_is_store_unavailable(pg_url: str) -> None:
    """No server behind the URL: StoreUnavailable within the wait, not a hang or a 500."""
    store = Store("postgresql://nobody@127.0.0.1:1/none", busy_timeout_ms=500, pool_size=2)
    try:
        with pytest.raises(StoreUnavailable):
            store.ping()
    finally:
        store.close()


def test_exhausted_pool_is_store_busy(pooled: tuple[Store, str]) -> None:
    """Both connections held longer than the wait while transactions keep beginning: the
    next caller gets StoreBusy (load), not StoreUnavailable (outage)."""
    store, _ = pooled
    store._pool_wait_s = 1.0
    store._pg_pool().timeout = 1.0
    release = threading.Event()
    started = threading.Barrier(3)

    def hold() -> None:
        with store.transaction(write=False) as q:
            q("SELECT 1")
            started.wait(10)
            release.wait(10)

    threads = [threading.Thread(target=hold) for _ in range(2)]
    for t in threads:
        t.start()
    started.wait(10)
    try:
        with pytest.raises(StoreBusy):
            store.ping()
    finally:
        release.set()
        for t in threads:
            t.join(10)
    assert store.ping()
