"""Shared fixtures: an app on a temporary data dir with tracing off, clients, stubs."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from game_master import create_app

# Settings from the developer's shell or .env must not leak into tests.
_SCRUB = (
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "ANTHROPIC_BASE_URL",
    "BRAINTRUST_API_KEY",
    "DATABASE_URL",
    "GM_DATA_DIR",
    "GM_MODEL",
    "GM_DEBUG_TOKEN",
)

PG_URL = os.environ.get("GM_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests start from an environment with no keys and no database URL."""
    for name in _SCRUB:
        monkeypatch.delenv(name, raising=False)


# Load-style tests send many requests from one address; the flood tests set their own limits.
NO_RATE_LIMITS = {
    "GM_RATE_TURNS_PER_MIN": "0",
    "GM_RATE_GAMES_PER_MIN": "0",
    "GM_RATE_API_PER_MIN": "0",
}


def base_config(data_dir: Path, **overrides: Any) -> dict[str, Any]:
    """Fast offline settings: no narrator latency, a private data dir."""
    config: dict[str, Any] = {
        **NO_RATE_LIMITS,
        "GM_DATA_DIR": str(data_dir),
        "GM_OFFLINE_FIRST_TOKEN_MS": "0",
        "GM_OFFLINE_TOKENS_PER_S": "0",
        "GM_TURN_TIMEOUT_S": "60",
        "TESTING": True,
    }
    config.update(overrides)
    return config


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Build apps on demand (same data dir unless given); all shut down after the test."""
    apps: list[Flask] = []

    def make(data_dir: Path | None = None, **overrides: Any) -> Flask:
        app = create_app(base_config(data_dir or tmp_path / "data", **overrides))
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["game_master"].shutdown(grace_s=5)


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    """An offline app with tracing off."""
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """Flask's test client for ``app``."""
    return app.test_client()


def new_game(client: FlaskClient, name: str = "Ada", cls: str = "fighter") -> str:
    """Create a game through the API and return its id."""
    resp = client.post("/api/games", json={"character": {"name": name, "class": cls}})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    return str(resp.get_json()["id"])


def play(client: FlaskClient, game_id: str, message: str) -> dict[str, Any]:
    """Play one turn in JSON mode and return the answer (asserting success)."""
    resp = client.post(f"/api/games/{game_id}/turns", json={"message": message})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return dict(resp.get_json())


def pg_available() -> bool:
    """True when PostgreSQL answers on loopback (checked once per run)."""
    global _PG_UP
    if _PG_UP is None:
        try:
            import psycopg

            with psycopg.connect(PG_URL, connect_timeout=2):
                _PG_UP = True
        except Exception:
            _PG_UP = False
    return _PG_UP


_PG_UP: bool | None = None


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose tables live in a private, throw-away schema."""
    if not pg_available():
        pytest.skip(f"no PostgreSQL answers at {PG_URL}")
    import uuid

    import psycopg

    schema = f"gm_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """A migrated Store on SQLite (a temp file) or PostgreSQL (a private schema)."""
    from game_master.store import Store

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    store = Store(url, busy_timeout_ms=1000)
    store.migrate()
    yield store
    store.close()


class LiveServer:
    """A real HTTP server for an app on a loopback port, in a thread."""

    def __init__(self, app: Flask) -> None:
        """Bind to an ephemeral port."""
        from werkzeug.serving import make_server

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        import threading

        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        """Start serving."""
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()


def parse_sse(text: str) -> list[tuple[str, Any]]:
    """(event, data) pairs of an SSE body; comments are skipped."""
    import json

    events = []
    for frame in text.split("\n\n"):
        lines = [ln for ln in frame.split("\n") if ln and not ln.startswith(":")]
        if not lines:
            continue
        name = next(ln[7:] for ln in lines if ln.startswith("event: "))
        data = "\n".join(ln[6:] for ln in lines if ln.startswith("data: "))
        events.append((name, json.loads(data)))
    return events


REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """An unused loopback port."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Gunicorn:
    """``gunicorn -c gunicorn.conf.py app:app`` as a real process on a loopback port."""

    def __init__(self, data_dir: Path, workers: int = 1, **env: str) -> None:
        """Prepare the command and environment (nothing runs until ``start``)."""
        import sys

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **{k: v for k, v in os.environ.items() if k not in _SCRUB},
            "GM_BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": str(workers),
            "GM_DATA_DIR": str(data_dir),
            "GM_OFFLINE_FIRST_TOKEN_MS": "0",
            "GM_OFFLINE_TOKENS_PER_S": "0",
            "GM_LOG_LEVEL": "warning",
            "SECRET_KEY": "test-secret-key-for-gunicorn",
            **NO_RATE_LIMITS,
            **env,
        }
        self.cmd = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:app"]
        self.log = data_dir.parent / f"gunicorn-{self.port}.log"
        self.proc: Any = None

    def start(self, timeout: float = 30) -> Gunicorn:
        """Start and wait until /healthz answers."""
        import subprocess
        import time

        import requests

        data_dir = Path(self.env["GM_DATA_DIR"])
        data_dir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            self.cmd,
            cwd=REPO,
            env=self.env,
            stdout=self.log.open("ab"),
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
        import signal
        import subprocess

        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc is not None else 0
        self.proc.send_signal(sig or signal.SIGTERM)
        try:
            return int(self.proc.wait(timeout))
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
            raise

    def __enter__(self) -> Gunicorn:
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
