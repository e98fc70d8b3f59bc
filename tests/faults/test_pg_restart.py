"""PostgreSQL restarted under a running app: every game plays again within 10 s of it
answering, and no turn stays ``running``.

The test starts a PostgreSQL of its own (initdb into a temporary folder, a free port) and
restarts that one, so it runs anywhere PostgreSQL's programs are installed and never
disturbs the tests that share the machine's server at the same time (the suite runs in two
processes).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from game_master.testing import free_port, in_ci

BIN = sorted(glob.glob("/usr/lib/postgresql/*/bin"))


class PrivateCluster:
    """A throwaway PostgreSQL server on a loopback port (run as ``postgres`` under root)."""

    def __init__(self, root: Path) -> None:
        """Make the cluster's folder (nothing runs until ``start``)."""
        self.bin = Path(BIN[-1])
        self.data = root / "pgdata"
        self.sockets = root / "sock"
        self.port = free_port()
        for folder in (root, self.data, self.sockets):
            folder.mkdir(exist_ok=True)
        self.as_user: list[str] = []
        if os.geteuid() == 0:  # initdb refuses root: the cluster belongs to postgres
            owner = pwd.getpwnam("postgres")
            for folder in (root, self.data, self.sockets):
                os.chown(folder, owner.pw_uid, owner.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.log = root / "postgres.log"

    def run(self, tool: str, *args: str) -> None:
        """Run one of PostgreSQL's programs against the cluster."""
        subprocess.run(
            [*self.as_user, str(self.bin / tool), *args],
            check=True,
            capture_output=True,
            timeout=90,
        )

    def start(self) -> str:
        """initdb, start, and the URL of its ``postgres`` database (trust on loopback)."""
        self.run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres")
        self.pg_ctl("start")
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def pg_ctl(self, action: str) -> None:
        """Start, restart or stop it, waiting until done."""
        options = f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1"
        self.run("pg_ctl", action, "-w", "-D", str(self.data), "-l", str(self.log), "-o", options)

    def ready(self) -> bool:
        """True when it accepts connections."""
        done = subprocess.run(
            [str(self.bin / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)],
            check=False,
        )
        return done.returncode == 0


@pytest.fixture
def cluster() -> Iterator[PrivateCluster]:
    """A private PostgreSQL, stopped and removed after the test (in a folder of its own
    under /tmp: pytest's tmp_path is private to root, and the server runs as postgres)."""
    if not BIN or shutil.which("runuser") is None:
        reason = "PostgreSQL's programs (initdb, pg_ctl) are not installed here"
        if in_ci():
            pytest.fail(reason)
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="gm-pg-restart-"))
    server = PrivateCluster(root)
    try:
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            server.pg_ctl("stop")
        shutil.rmtree(root, ignore_errors=True)


def test_games_play_again_within_10_s_of_a_postgresql_restart(
    make_app: Callable[..., Flask], cluster: PrivateCluster
) -> None:
    """An idle game and a game mid-turn across a restart: both play again within 10 s of
    PostgreSQL answering; the interrupted turn is recorded as failed, none stays running."""
    pg_url = cluster.start()
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
    cluster.pg_ctl("restart")
    back = time.monotonic()
    while not cluster.ready():
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
