"""PostgreSQL restarted under a running app: every game plays again within 10 s of it
answering, and no turn stays ``running``.

It restarts the machine's PostgreSQL (``pg_ctlcluster … restart``), so it runs in CI, where
nothing else shares the server, and elsewhere only with ``GM_TEST_PG_RESTART=1``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from game_master.testing import in_ci


def restart_postgresql() -> None:
    """Restart the local cluster and wait until it answers again."""
    version = sorted(os.listdir("/etc/postgresql"))[0]
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
        check=True,
        capture_output=True,
        timeout=60,
    )


def pg_ready() -> bool:
    """True when PostgreSQL accepts connections on loopback."""
    done = subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"], check=False)
    return done.returncode == 0


@pytest.mark.postgres
def test_games_play_again_within_10_s_of_a_postgresql_restart(
    make_app: Callable[..., Flask], pg_url: str
) -> None:
    """An idle game and a game mid-turn across a restart: both play again within 10 s of
    PostgreSQL answering; the interrupted turn is recorded as failed, none stays running."""
    if not (in_ci() or os.environ.get("GM_TEST_PG_RESTART") == "1"):
        pytest.skip("restarts the machine's PostgreSQL: runs in CI or with GM_TEST_PG_RESTART=1")
    if shutil.which("pg_ctlcluster") is None or not Path("/etc/postgresql").is_dir():
        pytest.skip("no pg_ctlcluster here to restart PostgreSQL with")
    app = make_app(DATABASE_URL=pg_url, GM_OFFLINE_TOKENS_PER_S="20", GM_TURN_TIMEOUT_S="30")
    client = app.test_client()
    idle = client.post("/api/games", json={}).get_json()["id"]
    busy = client.post("/api/games", json={}).get_json()["id"]
    assert client.post(f"/api/games/{idle}/turns", json={"message": "look"}).status_code == 200
    answers: list[Any] = []
    mid_turn = threading.Thread(
        target=lambda: answers.append(
            client.post(f"/api/games/{busy}/turns", json={"message": "look around"})
        )
    )
    mid_turn.start()
    time.sleep(0.5)
    restart_postgresql()
    back = time.monotonic()
    while not pg_ready():
        assert time.monotonic() - back < 30, "PostgreSQL did not come back"
        time.sleep(0.1)
    back = time.monotonic()
    mid_turn.join(60)
    for gid in (idle, busy):
        while True:
            resp = client.post(f"/api/games/{gid}/turns", json={"message": "look around"})
            if resp.status_code == 200:
                break
            assert resp.status_code in (409, 503), resp.get_data(as_text=True)
            assert time.monotonic() - back < 10, f"game {gid} not playable 10 s after restart"
            time.sleep(0.2)
    for gid in (idle, busy):
        statuses = [t["status"] for t in client.get(f"/api/games/{gid}").get_json()["turns"]]
        assert "running" not in statuses and statuses[-1] == "completed", statuses
