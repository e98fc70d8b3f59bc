"""The TypeScript client (clients/ts): one trace per conversation, streamed story, clear errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from game_master.testing import REPO, BraintrustRecorder, Gunicorn, free_port, in_ci

from ..tracing.test_distributed import ToolWorker, assert_seed_tree, name, tracing_env

TS_DIR = REPO / "clients" / "ts"
TSX = TS_DIR / "node_modules" / ".bin" / "tsx"


def _missing() -> str | None:
    """Why the TS client cannot run here, or None when it can."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "node/npm are not installed"
    if not TSX.exists():
        return "clients/ts/node_modules is absent (run: cd clients/ts && npm ci)"
    return None


@pytest.fixture
def ts_client() -> list[str]:
    """The command that runs the TS client; skips without Node, but fails in CI."""
    why = _missing()
    if why is not None:
        if in_ci():
            pytest.fail(f"CI must run the TypeScript client test: {why}")
        pytest.skip(why)
    return [str(TSX), "src/client.ts"]


def run_client(
    cmd: list[str], *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the TS client in clients/ts; Braintrust settings only from ``env``."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("BRAINTRUST_")}
    return subprocess.run(
        [*cmd, *args],
        cwd=TS_DIR,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def recorder() -> Iterator[BraintrustRecorder]:
    """A Braintrust stand-in on loopback."""
    with BraintrustRecorder() as rec:
        yield rec


def test_ts_client_server_worker_make_one_trace(
    ts_client: list[str], recorder: BraintrustRecorder, tmp_path: Path
) -> None:
    """client_conversation → client_turn → turn → Claude Agent → LLM and tool spans, and the
    tool span → worker_execute_tool → the worker's tool span, all under the TS client's root."""
    env = tracing_env(recorder, f"sqlite:///{tmp_path / 'shared.db'}")
    worker = ToolWorker(tmp_path, env)
    server = Gunicorn(tmp_path / "server", GM_TOOL_WORKER_URL=worker.url, **env).start()
    try:
        result = run_client(
            ts_client, "--server", server.url, "take the bread", "look around", env=env
        )
        assert result.returncode == 0, result.stderr
    finally:
        server.stop()
        worker.stop()
    assert "bread" in result.stdout.lower(), result.stdout
    assert recorder.wait_for(
        lambda: any(name(s) == "worker_execute_tool" for s in recorder.spans().values()), 10
    )
    spans = recorder.spans()
    root = assert_seed_tree(spans, turns=2)
    # The root holds the aggregated conversation, as the Python client logs it.
    assert root["input"] == {"messages": ["take the bread", "look around"]}
    output = root["output"]
    assert output["total_turns"] == 2
    assert [t["message"] for t in output["turns"]] == ["take the bread", "look around"]
    assert output["game_id"] and all(t["turn_id"] and t["narration"] for t in output["turns"])
    assert "take_item" in output["turns"][0]["tools"]
    # Each turn's narration was printed as it streamed.
    for turn_out in output["turns"]:
        assert turn_out["narration"].strip() in result.stdout
    assert recorder.unexpected() == []


# ---------------------------------------------------------------- errors, against a stub


class _Stub(BaseHTTPRequestHandler):
    """A Game Master stand-in: creates game "g1"; turns answer ``turn_reply``."""

    turn_reply: ClassVar[tuple[int, dict[str, str], bytes]] = (200, {}, b"")
    turn_headers: ClassVar[list[dict[str, str]]] = []

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet."""

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        """Write one answer."""
        self.send_response(status)
        for key, value in {"Content-Type": "application/json", **headers}.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802
        """GET /api/games/g1."""
        self._send(200, {}, json.dumps({"id": "g1", "turns": []}).encode())

    def do_POST(self) -> None:  # noqa: N802
        """POST /api/games (201) or a turn (``turn_reply``)."""
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/api/games":
            self._send(201, {}, json.dumps({"id": "g1"}).encode())
        else:
            type(self).turn_headers.append(dict(self.headers))
            self._send(*type(self).turn_reply)


@pytest.fixture
def stub() -> Iterator[tuple[str, type[_Stub]]]:
    """The stub server's URL and handler class (set ``turn_reply`` on it)."""
    handler = type("Stub", (_Stub,), {"turn_headers": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


def _error_body(code: str, message: str) -> bytes:
    """The contract's error JSON."""
    return json.dumps({"error": {"code": code, "message": message}}).encode()


def test_untraced_play_streams_the_story(
    ts_client: list[str], stub: tuple[str, type[_Stub]]
) -> None:
    """Without BRAINTRUST_API_KEY the client plays, prints the deltas, sends no parent span."""
    url, handler = stub
    events = [
        ("turn.started", {"turn_id": "t1"}),
        ("text", {"delta": "The bell "}),
        ("tool", {"name": "look_around", "input": {}, "result": {}, "is_error": False}),
        ("text", {"delta": "tolls below."}),
        ("turn.completed", {"turn_id": "t1", "narration": "The bell tolls below."}),
    ]
    sse = ": keep-alive\n\n" + "".join(f"event: {e}\ndata: {json.dumps(d)}\n\n" for e, d in events)
    handler.turn_reply = (200, {"Content-Type": "text/event-stream"}, sse.encode())
    result = run_client(ts_client, "--server", url, "listen")
    assert result.returncode == 0, result.stderr
    assert "The bell tolls below." in result.stdout
    [headers] = handler.turn_headers
    assert "x-bt-parent-span" not in {k.lower() for k in headers}


def test_unreachable_server_is_one_clear_line(ts_client: list[str]) -> None:
    """Nothing listens: exit 1 and say which server could not be reached."""
    url = f"http://127.0.0.1:{free_port()}"
    result = run_client(ts_client, "--server", url, "look around")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines == [f"error: cannot reach the server at {url} (ECONNREFUSED)"], result.stderr


def test_turn_in_progress_409(ts_client: list[str], stub: tuple[str, type[_Stub]]) -> None:
    """A 409 names the code, the server's message, and what to do; exit 1."""
    url, handler = stub
    handler.turn_reply = (409, {}, _error_body("turn_in_progress", "A turn is being played."))
    result = run_client(ts_client, "--server", url, "--game", "g1", "look around")
    assert result.returncode == 1
    assert "error: 409 turn_in_progress: A turn is being played." in result.stderr
    assert "try again when it ends" in result.stderr


def test_rate_limited_429_says_retry_after(
    ts_client: list[str], stub: tuple[str, type[_Stub]]
) -> None:
    """A 429 names the code and the Retry-After seconds; the next message is not sent."""
    url, handler = stub
    handler.turn_reply = (429, {"Retry-After": "17"}, _error_body("rate_limited", "Slow down."))
    result = run_client(ts_client, "--server", url, "look around", "go north")
    assert result.returncode == 1
    assert "error: 429 rate_limited: Slow down. (retry after 17 s)" in result.stderr
    assert len(handler.turn_headers) == 1
