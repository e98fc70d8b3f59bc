"""One game, one trace: real processes (client, server, tool worker) and the loopback recorder."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from game_master.testing import REPO, BraintrustRecorder, Gunicorn, free_port

PROJECT = "game-master-dist"


@pytest.fixture
def recorder() -> Iterator[BraintrustRecorder]:
    """A Braintrust stand-in on loopback."""
    with BraintrustRecorder() as rec:
        yield rec


def tracing_env(rec: BraintrustRecorder, db_url: str) -> dict[str, str]:
    """Environment that turns tracing on against the recorder and shares one database."""
    return {**rec.env(), "BRAINTRUST_PROJECT": PROJECT, "DATABASE_URL": db_url}


def name(span: dict[str, Any]) -> str:
    """A span's name."""
    return str((span.get("span_attributes") or {}).get("name"))


def parent_of(span: dict[str, Any]) -> str | None:
    """A span's direct parent span id."""
    parents = span.get("span_parents") or []
    return parents[0] if parents else None


def chain_to_root(spans: dict[str, dict[str, Any]], span: dict[str, Any]) -> list[str]:
    """Names from ``span`` up to its root."""
    names = [name(span)]
    while parent_of(span) is not None and parent_of(span) in spans:
        span = spans[parent_of(span)]
        names.append(name(span))
    return names


def assert_seed_tree(spans: dict[str, dict[str, Any]], turns: int) -> dict[str, Any]:
    """The seed's one trace per conversation: client_conversation → client_turn → turn →
    Claude Agent → LLM and tool spans, the tool span → worker_execute_tool → the worker's
    tool span. Returns the client's root span."""
    [root] = [s for s in spans.values() if name(s) == "client_conversation"]
    mine = [s for s in spans.values() if s["root_span_id"] == root["root_span_id"]]
    assert [name(s) for s in mine].count("client_turn") == turns
    names = {name(s) for s in mine}
    assert {
        "client_turn",
        "turn",
        "Claude Agent",
        "anthropic.messages.create",
        "worker_execute_tool",
        "take_item",
    } <= names, names
    turn_spans = [s for s in mine if name(s) == "turn"]
    assert len(turn_spans) == turns
    for turn in turn_spans:
        assert chain_to_root(spans, turn) == ["turn", "client_turn", "client_conversation"]
    workers = [s for s in mine if name(s) == "worker_execute_tool"]
    assert workers
    for w in workers:
        chain = chain_to_root(spans, w)
        assert chain[-3:] == ["turn", "client_turn", "client_conversation"], chain
        assert "Claude Agent" in chain, chain
        worker_tools = [s for s in mine if parent_of(s) == w["span_id"]]
        assert [name(s) for s in worker_tools] in (["take_item"], ["look_around"])
    return root


class ToolWorker:
    """``python -m game_master.worker`` as a real process."""

    def __init__(self, tmp: Path, env: dict[str, str]) -> None:
        """Start on a free loopback port and wait for /healthz."""
        import os

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        log = (tmp / "worker.log").open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "game_master.worker", "--port", str(self.port)],
            cwd=REPO,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).ok:
                    return
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError("tool worker did not start")

    def stop(self) -> None:
        """SIGTERM, as a process manager stops it: the worker flushes its spans and exits.

        (Not SIGINT: a process started from a background job of a non-interactive shell,
        as CI may be, inherits SIGINT ignored and Python keeps it so.)"""
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(30)


def test_client_server_worker_make_one_trace(recorder: BraintrustRecorder, tmp_path: Path) -> None:
    """client_conversation → client_turn → turn → Claude Agent → LLM and tool spans, and
    the tool span → worker_execute_tool → the worker's tool span, all under one root."""
    import os

    env = tracing_env(recorder, f"sqlite:///{tmp_path / 'shared.db'}")
    worker = ToolWorker(tmp_path, env)
    server = Gunicorn(tmp_path / "server", GM_TOOL_WORKER_URL=worker.url, **env).start()
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "game_master.client",
                "--server",
                server.url,
                "take the bread",
                "look around",
            ],
            cwd=REPO,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        assert "Loaf of bread" in result.stdout or "bread" in result.stdout.lower()
    finally:
        server.stop()
        worker.stop()
    assert recorder.wait_for(
        lambda: any(name(s) == "worker_execute_tool" for s in recorder.spans().values()), 10
    )
    spans = recorder.spans()
    root = assert_seed_tree(spans, turns=2)
    for turn in (s for s in spans.values() if name(s) == "turn"):
        assert turn["metadata"]["game_root"], "the game's own root is linked in metadata"
    assert root["output"]["total_turns"] == 2
    # Nothing was sent anywhere the recorder does not know.
    assert recorder.unexpected() == []


def test_twenty_concurrent_games_keep_their_own_roots(
    recorder: BraintrustRecorder, tmp_path: Path
) -> None:
    """20 games at once under gunicorn: every turn is under its own game's root span;
    after SIGTERM every finished turn's spans reached Braintrust, and each root holds the
    aggregated story."""
    env = tracing_env(recorder, f"sqlite:///{tmp_path / 'games.db'}")
    server = Gunicorn(
        tmp_path / "server",
        GM_THREADS="24",
        GM_MAX_LIVE_SESSIONS="24",
        GM_OFFLINE_FIRST_TOKEN_MS="100",
        **env,
    ).start()
    games: dict[str, str] = {}
    errors: list[str] = []
    try:
        for _ in range(20):
            gid = requests.post(f"{server.url}/api/games", json={}, timeout=30).json()["id"]
            games[gid] = ""

        def play(gid: str) -> None:
            for message in ("take the bread", "look around"):
                resp = requests.post(
                    f"{server.url}/api/games/{gid}/turns", json={"message": message}, timeout=120
                )
                if resp.status_code != 200:
                    errors.append(resp.text)
                    return
                games[gid] = resp.json()["trace"]["root_span_id"]

        threads = [threading.Thread(target=play, args=(g,)) for g in games]
        for t in threads:
            t.start()
        for t in threads:
            t.join(180)
    finally:
        assert server.stop() == 0  # SIGTERM: the worker flushes within the graceful timeout
    assert errors == []
    spans = recorder.spans()
    roots = {s["span_id"]: s for s in spans.values() if name(s) == "game"}
    assert len(roots) == 20
    by_root: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for s in spans.values():
        by_root[s["root_span_id"]].append(s)
    for gid, root_span_id in games.items():
        tree = by_root[root_span_id]
        game_roots = [s for s in tree if name(s) == "game"]
        assert [r["metadata"]["game_id"] for r in game_roots] == [gid]
        turns = [s for s in tree if name(s) == "turn"]
        assert sorted(t["metadata"]["turn_number"] for t in turns) == [1, 2]
        assert all(t["metadata"]["game_id"] == gid for t in turns)
        assert {name(s) for s in tree} >= {
            "Claude Agent",
            "anthropic.messages.create",
            "take_item",
            "look_around",
        }
        assert game_roots[0]["output"]["total_turns"] == 2
        assert game_roots[0]["output"]["first_message"] == "take the bread"


def test_page_feedback_reaches_the_rated_span(recorder: BraintrustRecorder, tmp_path: Path) -> None:
    """A thumbs-down posted to the server lands as feedback on that turn's span."""
    env = tracing_env(recorder, f"sqlite:///{tmp_path / 'fb.db'}")
    server = Gunicorn(tmp_path / "server", **env).start()
    try:
        gid = requests.post(f"{server.url}/api/games", json={}, timeout=30).json()["id"]
        turn = requests.post(
            f"{server.url}/api/games/{gid}/turns", json={"message": "look around"}, timeout=60
        ).json()
        resp = requests.post(
            f"{server.url}/api/games/{gid}/turns/{turn['turn_id']}/feedback",
            json={"score": 0, "comment": "dull"},
            timeout=30,
        )
        assert resp.status_code == 204
    finally:
        server.stop()
    scored = [f for f in recorder.feedback() if (f.get("scores") or {}).get("player_rating") == 0]
    assert scored and scored[0]["id"] == turn["trace"]["id"]
    comments = [
        f for f in recorder.feedback() if (f.get("origin") or {}).get("id") == turn["trace"]["id"]
    ]
    assert comments and comments[0]["comment"]["text"] == "dull"


def test_worker_stopped_by_sigterm_delivers_its_queued_spans(
    recorder: BraintrustRecorder, tmp_path: Path
) -> None:
    """A process manager stops the tool worker with SIGTERM while a tool span is still on its
    way to a slow Braintrust: the worker waits for the upload (within its flush deadline)
    instead of dying with the span."""
    from game_master import rules
    from game_master.store import Store

    db_url = f"sqlite:///{tmp_path / 'shared.db'}"
    store = Store(db_url)
    store.migrate()
    scenario = rules.ScenarioLibrary(None).get("drowned_bell")
    gid = store.create_game(rules.new_game_state("Ada", "fighter", scenario)).id
    worker = ToolWorker(tmp_path, tracing_env(recorder, db_url))
    try:
        recorder.set_fault("slow", seconds=2.0)
        resp = requests.post(
            f"{worker.url}/tools/look_around", json={"game_id": gid, "args": {}}, timeout=30
        )
        assert resp.status_code == 200 and not resp.json()["is_error"]
    finally:
        worker.stop()
    assert worker.proc.returncode == 0
    names = {name(s) for s in recorder.spans().values()}
    assert {"worker_execute_tool", "look_around"} <= names, names
