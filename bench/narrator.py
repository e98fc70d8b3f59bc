"""The offline narrator as its own process, for benchmarks.

In the app the narrator is a thread of each worker, so its CPU would count as the app's. A
production host never runs it (it speaks to the real Messages API), so a benchmark that
wants the app's own CPU runs the narrator here, as ``python -m game_master.offline``, and
points the app at it as at any Anthropic-compatible endpoint (``ANTHROPIC_BASE_URL``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Self

import requests

from game_master.testing import REPO, free_port

OFFLINE_MODEL = "offline-narrator"


class NarratorProcess:
    """``python -m game_master.offline`` on a loopback port."""

    def __init__(self, log_dir: Path, first_token_ms: float, tokens_per_s: float = 0.0) -> None:
        """Prepare; nothing runs until :meth:`start`."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.cmd = [
            sys.executable,
            "-m",
            "game_master.offline",
            "--port",
            str(self.port),
            "--first-token-ms",
            str(first_token_ms),
            "--tokens-per-s",
            str(tokens_per_s),
        ]
        self.log = log_dir / f"narrator-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30) -> Self:
        """Start and wait until it answers HTTP."""
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                self.cmd, cwd=REPO, env=dict(os.environ), stdout=out, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the narrator exited:\n{self.log.read_text()[-2000:]}")
            try:
                requests.get(self.url, timeout=1)
                return self
            except requests.RequestException:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("the narrator did not answer")

    @property
    def pid(self) -> int:
        """Its process id (after :meth:`start`)."""
        assert self.proc is not None
        return self.proc.pid

    def app_env(self) -> dict[str, str]:
        """What points an app at this narrator, as at any Anthropic-compatible endpoint."""
        return {
            "ANTHROPIC_BASE_URL": self.url,
            "ANTHROPIC_API_KEY": "offline-narrator",
            "GM_MODEL": OFFLINE_MODEL,
        }

    def stop(self) -> None:
        """SIGTERM, then wait."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
