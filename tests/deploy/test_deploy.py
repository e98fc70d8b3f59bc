"""Deployment: the live-client pool, gunicorn workers, SIGTERM, several workers sharing a DB."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from flask import Flask

from game_master.testing import PG_URL, Gunicorn, cli_processes, parse_sse

SSE = {"Accept": "text/event-stream"}


def narrator_history(app: Flask) -> str:
    """Every conversation the app's narrator was sent, as one JSON string."""
    narrator = app.extensions["game_master"].narrator
    return json.dumps(
        [r["body"].get("messages") for r in narrator.requests if isinstance(r["body"], dict)]
    )


def turn(app: Flask, gid: str, message: str) -> dict:
    """Play a turn through the service, asserting it completed."""
    events = list(app.extensions["game_master"].start_turn(gid, message).events(timeout=60))
    assert events[-1].name == "turn.completed", events[-1]
    return events[-1].to_dict()


def test_pool_evicts_least_recently_used_and_resume_keeps_the_story(
    make_app: Callable[..., Flask],
) -> None:
    """With one seat, a second game evicts the first; its next turn resumes the session."""
    app = make_app(GM_MAX_LIVE_SESSIONS="1")
    svc = app.extensions["game_master"]
    first = svc.create_game({"character": {"name": "Ada", "class": "fighter"}}).id
    second = svc.create_game({"character": {"name": "Bo", "class": "rogue"}}).id
    turn(app, first, "take the bread")
    turn(app, second, "look around")
    stats = svc.runtime.stats()
    assert (stats.live, stats.evictions) == (1, 1)
    svc.narrator.requests.clear()
    turn(app, first, "go west")
    stats = svc.runtime.stats()
    assert stats.resumes == 1 and stats.live == 1
    assert "take the bread" in narrator_history(app), "the resumed game forgot its story"


def test_idle_sessions_are_closed_and_resume(make_app: Callable[..., Flask]) -> None:
    """An idle game's CLI process is closed after GM_IDLE_SECONDS; the game resumes later."""
    app = make_app(GM_IDLE_SECONDS="0.5")
    svc = app.extensions["game_master"]
    gid = svc.create_game({}).id
    turn(app, gid, "take the bread")
    data_dir = str(svc.settings.data_dir)
    deadline = time.monotonic() + 10
    while (svc.runtime.stats().live or cli_processes(data_dir)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert svc.runtime.stats().idle_closed == 1
    assert cli_processes(data_dir) == []
    svc.narrator.requests.clear()
    turn(app, gid, "look around")
    assert svc.runtime.stats().resumes == 1
    assert "take the bread" in narrator_history(app)


def test_pool_figures_in_healthz(app: Flask) -> None:
    """/healthz shows live sessions, evictions and resumes."""
    client = app.test_client()
    gid = client.post("/api/games", json={}).get_json()["id"]
    client.post(f"/api/games/{gid}/turns", json={"message": "look"})
    pool = client.get("/healthz").get_json()["pool"]
    assert pool["live"] == 1 and {"evictions", "resumes", "max_live"} <= set(pool)


def _start_sse_turn(url: str, gid: str, message: str) -> tuple[threading.Thread, dict]:
    """Post an SSE turn in a thread; the dict fills with what arrived."""
    seen: dict = {"text": "", "status": None}

    def run() -> None:
        try:
            with requests.post(
                f"{url}/api/games/{gid}/turns",
                json={"message": message},
                headers=SSE,
                stream=True,
                timeout=60,
            ) as resp:
                seen["status"] = resp.status_code
                for chunk in resp.iter_content(None, decode_unicode=True):
                    seen["text"] += chunk
        except requests.RequestException as exc:
            seen["error"] = repr(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, seen


def test_sigterm_mid_turn_loses_nothing(tmp_path: Path) -> None:
    """SIGTERM while a turn streams: the turn finishes and is stored, no CLI is left behind."""
    data = tmp_path / "data"
    server = Gunicorn(data, GM_OFFLINE_TOKENS_PER_S="25").start()
    try:
        gid = requests.post(f"{server.url}/api/games", json={}, timeout=10).json()["id"]
        thread, seen = _start_sse_turn(server.url, gid, "look around")
        deadline = time.monotonic() + 30
        while "event: text" not in seen["text"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "event: text" in seen["text"]
        started = time.monotonic()
        assert server.stop() == 0
        assert time.monotonic() - started < 60
        thread.join(10)
    finally:
        server.stop()
    db = sqlite3.connect(data / "game_master.db")
    status, narration = db.execute(
        "SELECT status, narration FROM turns WHERE game_id = ?", (gid,)
    ).fetchone()
    assert status == "completed" and "Village Square" in narration
    assert "event: turn.completed" in seen["text"]
    assert cli_processes(str(data)) == []


@pytest.mark.postgres
def test_two_hosts_alternate_turns_of_one_game(tmp_path: Path) -> None:
    """Two servers with separate data dirs (two hosts) share PostgreSQL; the story goes on."""
    db = {"DATABASE_URL": PG_URL}
    host_a = Gunicorn(tmp_path / "a", **db).start()
    host_b = Gunicorn(tmp_path / "b", **db).start()
    try:
        gid = requests.post(f"{host_a.url}/api/games", json={}, timeout=10).json()["id"]
        messages = ["take the bread", "go west", "take the lantern", "go east"]
        for i, message in enumerate(messages):
            url = (host_a, host_b)[i % 2].url
            resp = requests.post(
                f"{url}/api/games/{gid}/turns", json={"message": message}, timeout=60
            )
            assert resp.status_code == 200, resp.text
        game = requests.get(f"{host_b.url}/api/games/{gid}", timeout=10).json()
        assert [t["status"] for t in game["turns"]] == ["completed"] * 4
        assert {i["id"] for i in game["state"]["inventory"]} == {"bread", "lantern"}
        assert game["state"]["location"]["location"] == "village_square"
        # Host B's model saw what was played on host A: the session moved with the game.
        sessions = requests.get(f"{host_b.url}/healthz", timeout=10).json()["pool"]
        assert sessions["resumes"] >= 1
    finally:
        host_a.stop()
        host_b.stop()


@pytest.mark.postgres
def test_concurrent_turns_on_two_hosts_one_runs_one_409(tmp_path: Path) -> None:
    """The per-game lease holds across hosts: exactly one of two concurrent turns runs."""
    db = {"DATABASE_URL": PG_URL, "GM_OFFLINE_FIRST_TOKEN_MS": "1500"}
    host_a = Gunicorn(tmp_path / "a", **db).start()
    host_b = Gunicorn(tmp_path / "b", **db).start()
    try:
        gid = requests.post(f"{host_a.url}/api/games", json={}, timeout=10).json()["id"]
        results: list[int] = []

        def post(url: str, message: str) -> None:
            resp = requests.post(
                f"{url}/api/games/{gid}/turns", json={"message": message}, timeout=60
            )
            results.append(resp.status_code)

        threads = [
            threading.Thread(target=post, args=(h.url, m))
            for h, m in ((host_a, "look around"), (host_b, "take the bread"))
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sorted(results) == [200, 409]
        game = requests.get(f"{host_a.url}/api/games/{gid}", timeout=10).json()
        assert len(game["turns"]) == 1 and game["turns"][0]["status"] == "completed"
    finally:
        host_a.stop()
        host_b.stop()


def test_two_workers_one_game_one_409(tmp_path: Path) -> None:
    """Two gunicorn workers on one SQLite file: concurrent turns on a game → one runs."""
    server = Gunicorn(tmp_path / "data", workers=2, GM_OFFLINE_FIRST_TOKEN_MS="1500").start()
    try:
        gid = requests.post(f"{server.url}/api/games", json={}, timeout=10).json()["id"]
        results: list[int] = []

        def post(message: str) -> None:
            resp = requests.post(
                f"{server.url}/api/games/{gid}/turns", json={"message": message}, timeout=60
            )
            results.append(resp.status_code)

        threads = [threading.Thread(target=post, args=(m,)) for m in ("look", "take bread")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sorted(results) == [200, 409]
        turns = requests.get(f"{server.url}/api/games/{gid}", timeout=10).json()["turns"]
        assert len(turns) == 1
        events = parse_sse("")
        assert events == []
    finally:
        server.stop()


def test_turns_wait_for_a_seat_instead_of_failing(make_app: Callable[..., Flask]) -> None:
    """Three games at once on a one-seat pool: all three turns complete, one at a time."""
    app = make_app(GM_MAX_LIVE_SESSIONS="1", GM_OFFLINE_FIRST_TOKEN_MS="200")
    svc = app.extensions["game_master"]
    games = [svc.create_game({}).id for _ in range(3)]
    handles = [svc.start_turn(gid, "look around") for gid in games]
    for handle in handles:
        events = list(handle.events(timeout=60))
        assert events[-1].name == "turn.completed", events[-1]
    stats = svc.runtime.stats()
    assert stats.live == 1 and stats.connects == 3 and stats.seat_waits >= 1


def test_first_turn_does_not_break_other_requests_connections(app: Flask) -> None:
    """Starting the runtime on the first turn leaves other threads' database connections
    alone (it used to close every connection, mid-request for other threads)."""
    store = app.extensions["game_master"].store
    gid = app.extensions["game_master"].create_game({}).id
    seen: dict[str, object] = {}

    def other_thread() -> None:
        try:
            # A request in the middle of a transaction while another request starts the
            # runtime.
            with store.transaction(write=False) as q:
                q("SELECT id FROM games WHERE id = ?", gid).fetchone()
                seen["ready"] = True
                while "go" not in seen:
                    time.sleep(0.01)
                seen["game"] = q("SELECT id FROM games WHERE id = ?", gid).fetchone()[0]
        except Exception as exc:
            seen["error"] = exc

    t = threading.Thread(target=other_thread)
    t.start()
    while "ready" not in seen:
        time.sleep(0.01)
    turn(app, gid, "look around")  # starts the runtime
    seen["go"] = True
    t.join(10)
    assert seen.get("error") is None and seen["game"] == gid
