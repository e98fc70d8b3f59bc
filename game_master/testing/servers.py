"""Real servers for tests and bench: the app in a thread, or under gunicorn as a process."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Self

import requests
from werkzeug.serving import make_server

from .env import INSTANT_NARRATOR, NO_RATE_LIMITS, scrubbed_environ

# The repository root: gunicorn.conf.py and app.py live there.
REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """An unused loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def parse_sse(text: str) -> list[tuple[str, Any]]:
    """(event, data) pairs of an SSE body; comments are skipped."""
    events = []
    for frame in text.split("\n\n"):
        lines = [ln for ln in frame.split("\n") if ln and not ln.startswith(":")]
        if not lines:
            continue
        name = next(ln[7:] for ln in lines if ln.startswith("event: "))
        data = "\n".join(ln[6:] for ln in lines if ln.startswith("data: "))
        events.append((name, json.loads(data)))
    return events


class LiveServer:
    """A real HTTP server for a WSGI app on a loopback port, in a thread."""

    def __init__(self, app: Any) -> None:
        """Bind to an ephemeral port."""
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        """Start serving."""
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()


DEBUG_TOKEN = "test-debug-token-for-gunicorn"
DEBUG_HEADERS = {"Authorization": f"Bearer {DEBUG_TOKEN}"}


class Gunicorn:
    """``gunicorn -c gunicorn.conf.py app:app`` as a real process on a loopback port."""

    def __init__(self, data_dir: Path, workers: int = 1, **env: str) -> None:
        """Prepare the command and environment (nothing runs until ``start``)."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **scrubbed_environ(dict(os.environ)),
            "GM_BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": str(workers),
            "GM_DATA_DIR": str(data_dir),
            **INSTANT_NARRATOR,
            "GM_LOG_LEVEL": "warning",
            "SECRET_KEY": "test-secret-key-for-gunicorn",
            # Production answers /debug/tracing only with the token (DEBUG_HEADERS).
            "GM_DEBUG_TOKEN": DEBUG_TOKEN,
            **NO_RATE_LIMITS,
            **env,
        }
        self.cmd = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:app"]
        self.log = data_dir.parent / f"gunicorn-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30) -> Self:
        """Start and wait until /healthz answers."""
        data_dir = Path(self.env["GM_DATA_DIR"])
        data_dir.mkdir(parents=True, exist_ok=True)
        # The child keeps its own copy of the log's descriptor; ours closes at once.
        with self.log.open("ab") as log_file:
            self.proc = subprocess.Popen(
                self.cmd,
                cwd=REPO,
                env=self.env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited early:\n{self.log.read_text()[-3000:]}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer:\n{self.log.read_text()[-3000:]}")

    def stop(self, sig: int | None = None, timeout: float = 60) -> int:
        """Send SIGTERM (or ``sig``) to the master and wait for it to exit."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc is not None else 0
        self.proc.send_signal(sig or signal.SIGTERM)
        try:
            return int(self.proc.wait(timeout))
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
            raise

    def __enter__(self) -> Self:
        """Start."""
        return self.start()

    def __exit__(self, *exc: object) -> None:
        """Stop (SIGTERM)."""
        self.stop()


def cli_processes(marker: str) -> list[int]:
    """PIDs of running Claude CLI processes whose environment mentions ``marker``."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
            if b"claude" not in cmdline:
                continue
            if marker.encode() in (proc / "environ").read_bytes():
                pids.append(int(proc.name))
        except OSError:
            continue
    return pids
