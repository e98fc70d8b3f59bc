"""The shipped deploy/nginx/ configuration as a real nginx on loopback, for tests and bench.

Debian's nginx runs in the foreground with a private prefix, in front of one or more app
hosts (gunicorn on loopback ports). Only the listen port and the upstream servers differ
from the shipped files.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Self

import requests

from .servers import REPO, free_port

NGINX = os.environ.get("GM_NGINX") or "/usr/sbin/nginx"
DEPLOY = REPO / "deploy" / "nginx"
# The lines of deploy/nginx/game-master.conf that a test replaces.
SHIPPED_LISTEN = "listen 80;"
SHIPPED_UPSTREAM = "server 127.0.0.1:8000 max_fails=1 fail_timeout=5s;"


def nginx_missing() -> str | None:
    """Why nginx cannot run here (None: it can)."""
    if not os.access(NGINX, os.X_OK):
        return f"nginx not found at {NGINX} (apt-get install nginx-light, or set GM_NGINX)"
    return None


def nginx_config(prefix: Path, listen_port: int, upstream_ports: list[int]) -> Path:
    """The shipped files under ``prefix``, listening and proxying on the given ports."""
    server = (DEPLOY / "game-master.conf").read_text()
    for shipped in (SHIPPED_LISTEN, SHIPPED_UPSTREAM):
        assert shipped in server, f"deploy/nginx/game-master.conf no longer has {shipped!r}"
    server = server.replace(SHIPPED_LISTEN, f"listen 127.0.0.1:{listen_port};")
    upstreams = "\n    ".join(
        SHIPPED_UPSTREAM.replace("127.0.0.1:8000", f"127.0.0.1:{port}") for port in upstream_ports
    )
    server = server.replace(SHIPPED_UPSTREAM, upstreams)
    prefix.mkdir(parents=True, exist_ok=True)
    (prefix / "game-master.conf").write_text(server)
    shutil.copy(DEPLOY / "nginx.conf", prefix / "nginx.conf")
    return prefix / "nginx.conf"


class Nginx:
    """nginx with the shipped configuration in front of ``upstream_ports``."""

    def __init__(self, root: Path, upstream_ports: list[int]) -> None:
        """Prepare the prefix (nothing runs until ``start``)."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.prefix = root / "prefix"
        self.conf = nginx_config(self.prefix, self.port, upstream_ports)
        self.log = root / "nginx.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 15) -> Self:
        """Start, and wait until /healthz answers through it."""
        # As root, nginx's workers would drop to "nobody", who cannot use the private prefix.
        extra = ["-g", "user root;"] if os.geteuid() == 0 else []
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [NGINX, "-p", str(self.prefix), "-c", str(self.conf), "-e", "stderr", *extra],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.log.read_text()[-2000:]}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"nginx did not answer: {self.log.read_text()[-2000:]}")

    def __enter__(self) -> Self:
        """Already started by ``start``; the context stops it."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop."""
        self.stop()

    def stop(self) -> None:
        """Stop nginx."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
