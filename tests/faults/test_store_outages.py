"""Store outages: a dead PostgreSQL connection is replaced; outages are 503 JSON, never 500."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from flask import Flask

from game_master.testing import PG_URL


def terminate(app_name: str) -> int:
    """End every PostgreSQL session of ``app_name`` (what a restart does to the app)."""
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND application_name = %s",
            (app_name,),
        ).fetchall()
    return len(rows)


def test_dead_postgresql_connections_are_replaced(
    make_app: Callable[..., Flask], pg_url: str
) -> None:
    """Every connection of the app is killed server-side; the next requests still succeed
    (reads, a turn, its writes), because a connection found dead is replaced at BEGIN."""
    name = f"gm_outage_{uuid.uuid4().hex[:8]}"
    app = make_app(DATABASE_URL=f"{pg_url}&application_name={name}")
    client = app.test_client()
    gid = client.post("/api/games", json={}).get_json()["id"]
    assert client.post(f"/api/games/{gid}/turns", json={"message": "look"}).status_code == 200
    assert terminate(name) >= 1
    for _ in range(3):
        resp = client.get(f"/api/games/{gid}")
        assert resp.status_code == 200, resp.get_json()
    resp = client.post(f"/api/games/{gid}/turns", json={"message": "take the bread"})
    assert resp.status_code == 200, resp.get_json()
    assert terminate(name) >= 1
    assert client.get("/healthz").status_code == 200
    turns = client.get(f"/api/games/{gid}").get_json()["turns"]
    assert [t["status"] for t in turns] == ["completed", "completed"]


def test_postgresql_down_is_503_store_unavailable(make_app: Callable[..., Flask]) -> None:
    """No server at the URL: 503 JSON with Retry-After and code store_unavailable, no 500."""
    from game_master.store import Store

    app = make_app()
    svc = app.extensions["game_master"]
    svc.store = Store("postgresql://nobody@127.0.0.1:1/none", busy_timeout_ms=500)
    resp = app.test_client().get(f"/api/games/{uuid.uuid4().hex}")
    assert resp.status_code == 503
    assert resp.get_json()["error"]["code"] == "store_unavailable"
    assert int(resp.headers["Retry-After"]) >= 1


def test_sqlite_disk_full_is_503_and_recovers(
    make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite's "database or disk is full" at COMMIT is a 503 with Retry-After; once space
    is back, the same game plays (the connection was left usable)."""
    app = make_app()
    client = app.test_client()
    store = app.extensions["game_master"].store
    gid = client.post("/api/games", json={}).get_json()["id"]
    real_conn = store._conn
    full = {"on": True}

    class FullDisk:
        """A connection whose COMMIT fails as on a full disk while ``full['on']``."""

        def __init__(self, conn: Any) -> None:
            self.conn = conn

        def execute(self, sql: str, *args: Any) -> Any:
            if sql == "COMMIT" and full["on"]:
                raise sqlite3.OperationalError("database or disk is full")
            return self.conn.execute(sql, *args)

        def __getattr__(self, name: str) -> Any:
            return getattr(self.conn, name)

    monkeypatch.setattr(store, "_conn", lambda: FullDisk(real_conn()))
    resp = client.post(f"/api/games/{gid}/turns", json={"message": "look"})
    assert resp.status_code == 503, resp.get_json()
    assert resp.get_json()["error"]["code"] == "store_unavailable"
    assert int(resp.headers["Retry-After"]) >= 1
    full["on"] = False
    resp = client.post(f"/api/games/{gid}/turns", json={"message": "look"})
    assert resp.status_code == 200, resp.get_json()
