"""Several app hosts behind the shipped nginx, sharing PostgreSQL (and Redis): tests, bench.

Each host is a gunicorn with its own data folder, as on separate machines; they share the
database, Redis, SECRET_KEY (a browser's cookie must open its games on any host) and the
Braintrust settings. ``kill`` ends a host the hard way (SIGKILL to its whole process group:
master, workers and their CLIs), as a machine that loses power.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any, Self

import requests

from .nginx import Nginx
from .servers import Gunicorn, parse_sse


class Hosts:
    """``count`` app hosts and nginx in front of them."""

    def __init__(self, root: Path, count: int = 2, **env: str) -> None:
        """Prepare the hosts (nothing runs until ``start``)."""
        self.root = root
        self.hosts = [
            Gunicorn(root / f"host{i}" / "data", 1, **{"GM_PROXY_FIX": "1", **env})
            for i in range(count)
        ]
        self.proxy: Nginx | None = None

    @property
    def url(self) -> str:
        """Where players connect: nginx."""
        assert self.proxy is not None
        return self.proxy.url

    def start(self) -> Self:
        """Start every host, then nginx."""
        for host in self.hosts:
            host.start(timeout=60)
        self.proxy = Nginx(self.root / "nginx", [h.port for h in self.hosts]).start()
        return self

    def __enter__(self) -> Self:
        """Already started by ``start``; the context stops everything."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop nginx and every host still running."""
        if self.proxy is not None:
            self.proxy.stop()
        for host in self.hosts:
            host.stop()

    def turns_served(self) -> list[int]:
        """Turns each host's workers have run (from its /healthz; a dead host: -1)."""
        served = []
        for host in self.hosts:
            try:
                pool = requests.get(f"{host.url}/healthz", timeout=5).json()["pool"] or {}
                served.append(int(pool.get("turns", 0)))
            except requests.RequestException:
                served.append(-1)
        return served

    def busy_host(self) -> Gunicorn | None:
        """The host whose pool has a turn running right now, if any."""
        for host in self.hosts:
            try:
                pool = requests.get(f"{host.url}/healthz", timeout=5).json()["pool"] or {}
            except requests.RequestException:
                continue
            if pool.get("busy"):
                return host
        return None


def kill(host: Gunicorn) -> None:
    """SIGKILL the host's whole process group: no shutdown, no flush, no lease release."""
    assert host.proc is not None
    os.killpg(host.proc.pid, signal.SIGKILL)
    host.proc.wait(10)


def accepted_turn(
    session: requests.Session, url: str, game_id: str, message: str, timeout: float = 30
) -> tuple[float, dict[str, Any]]:
    """Play ``message`` over SSE, retrying while the game is held (409: a running turn's
    lease, perhaps a dead host's); (the monotonic time a host accepted the turn, i.e. its
    response began with ``turn.started``; the ``turn.completed`` data)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sent = time.monotonic()
        resp = session.post(
            f"{url}/api/games/{game_id}/turns",
            json={"message": message},
            headers={"Accept": "text/event-stream"},
            timeout=60,
        )
        if resp.status_code == 409:
            time.sleep(0.1)
            continue
        resp.raise_for_status()
        events = parse_sse(resp.text)
        names = [name for name, _ in events]
        assert names[0] == "turn.started" and names[-1] == "turn.completed", events[-1]
        # requests' elapsed is the time to the response's head: the stream's start.
        return sent + resp.elapsed.total_seconds(), dict(events[-1][1])
    raise TimeoutError(f"no host accepted a turn of game {game_id} within {timeout} s")
