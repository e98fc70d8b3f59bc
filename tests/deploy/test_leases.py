"""Leases that die with their holder: a SIGKILLed worker frees its games within seconds."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
import requests
from flask import Flask

from game_master.store import Store
from game_master.testing import Gunicorn, cli_processes
from tests.deploy.test_deploy import _start_sse_turn

from ..store.test_store import new_state


def test_a_lapsed_lease_is_reaped_at_once_and_retry_after_is_honest(db: Store) -> None:
    """A running turn whose lease lapsed is marked interrupted by the next look at the game;
    a 409 says how long the live lease really has left."""
    game = db.create_game(new_state())
    db.begin_turn(game.id, "look", lease_owner="alive", lease_seconds=7.2)
    with pytest.raises(Exception) as refused:
        db.begin_turn(game.id, "again", lease_owner="other", lease_seconds=7.2)
    assert getattr(refused.value, "retry_after", None) == 8
    assert db.reap_dead_turns(game.id) == 0, "a live lease must not be reaped"
    assert db.renew_leases("alive", [game.id], 0.05) == 1
    assert db.renew_leases("other", [game.id], 60) == 0, "only the holder renews"
    time.sleep(0.1)
    assert db.reap_dead_turns(game.id) == 1
    (dead,) = db.list_turns(game.id)
    assert (dead.status, dead.error_code) == ("failed", "interrupted")
    assert db.renew_leases("alive", [game.id], 60) == 0, "a reaped lease is not taken back"
    # A late ending from the presumed-dead holder changes nothing.
    db.finish_turn(dead.id, status="completed", narration="late", tool_calls=[])
    assert db.get_turn(game.id, dead.id).status == "failed"
    assert db.begin_turn(game.id, "again", lease_owner="other", lease_seconds=60).number == 2


def test_running_turns_keep_their_lease_by_renewal(make_app: Callable[..., Flask]) -> None:
    """A turn that outlives lease_seconds is renewed, so nobody else reaps or takes it."""
    app = make_app(GM_OFFLINE_FIRST_TOKEN_MS="1500")
    svc = app.extensions["game_master"]
    runtime = svc.ensure_started()
    runtime.lease_seconds = 0.6  # the lease and the renewer (every 0.15 s, once restarted)
    runtime.stop(grace_s=0)
    runtime.start()
    assert runtime.leases.seconds == 0.6
    gid = svc.create_game({}).id
    handle = svc.start_turn(gid, "look around")
    time.sleep(1.2)  # two lease lengths: without renewals the lease would have lapsed twice
    assert svc.store.reap_dead_turns(gid) == 0
    events = list(handle.events(timeout=30))
    assert events[-1].name == "turn.completed", events[-1]
    assert svc.start_turn(gid, "go west").events(timeout=30)


@pytest.mark.postgres
def test_sigkill_a_worker_mid_stream_frees_the_game_within_5_s(tmp_path: Path, pg_url: str) -> None:
    """Two workers on PostgreSQL; SIGKILL the one streaming a turn: the game plays again
    within 5 s, the dead turn shows as interrupted with the tool call that took effect and
    the narration streamed so far, and no CLI process is left behind."""
    data = tmp_path / "data"
    server = Gunicorn(data, workers=2, DATABASE_URL=pg_url, GM_OFFLINE_TOKENS_PER_S="8").start()
    try:
        gid = requests.post(f"{server.url}/api/games", json={}, timeout=10).json()["id"]
        thread, seen = _start_sse_turn(server.url, gid, "take the bread")
        deadline = time.monotonic() + 30
        while seen["text"].count("event: text") < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "event: tool" in seen["text"] and "event: text" in seen["text"], seen
        time.sleep(1.2)  # narration is kept at each tool result and every second
        with psycopg.connect(pg_url, autocommit=True) as conn:
            row = conn.execute("SELECT lease_owner FROM games WHERE id = %s", (gid,)).fetchone()
        assert row is not None and row[0], "the running turn holds no lease"
        pid = int(row[0].split(":")[1])
        its_clis = [p for p in cli_processes(str(data)) if _parent_of(p) == pid]
        assert its_clis, "the streaming worker runs no CLI process"
        os.kill(pid, signal.SIGKILL)
        killed = time.monotonic()
        thread.join(10)
        status = None
        while time.monotonic() - killed < 5:
            resp = requests.post(
                f"{server.url}/api/games/{gid}/turns", json={"message": "go west"}, timeout=30
            )
            status = resp.status_code
            if status == 200:
                break
            assert status == 409, resp.text
            assert 1 <= int(resp.headers["Retry-After"]) <= 10
            time.sleep(0.3)
        assert status == 200, "the game stayed locked more than 5 s after its worker died"
        turns = requests.get(f"{server.url}/api/games/{gid}", timeout=10).json()["turns"]
        assert (turns[0]["status"], turns[0]["error"]["code"]) == ("failed", "interrupted")
        # What took effect before the kill is on record, with its effect and the words seen.
        assert [c["name"] for c in turns[0]["tool_calls"]] == ["take_item"]
        assert turns[0]["narration"], turns[0]
        game = requests.get(f"{server.url}/api/games/{gid}", timeout=10).json()
        assert "bread" in [i["id"] for i in game["inventory"]]
        assert turns[-1]["status"] == "completed"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _alive(its_clis):
            time.sleep(0.2)
        assert _alive(its_clis) == [], "the dead worker's CLI processes were left running"
    finally:
        server.stop()
    assert cli_processes(str(data)) == []


def _parent_of(pid: int) -> int:
    """The parent pid of a process (0 if it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    return int(stat.rsplit(")", 1)[1].split()[1])


def _alive(pids: list[int]) -> list[int]:
    """Those of ``pids`` still running (zombies count as gone)."""
    alive = []
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.append(pid)
    return alive
