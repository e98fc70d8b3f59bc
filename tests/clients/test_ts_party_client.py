"""The TypeScript client at a party's table (clients/ts/src/party.ts): join with an invite URL,
act with the seat's credential, follow the table stream and pick it up after a drop with
Last-Event-ID, without telling anything twice. Against a stand-in of the table's endpoints
(the real server's are tested in tests/party); skips without Node, fails in CI."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
import requests

from game_master.testing import BraintrustRecorder, Gunicorn

from ..tracing.test_distributed import chain_to_root, name, parent_of, tracing_env
from .test_ts_client import TS_DIR, run_client, ts_client  # noqa: F401  (the fixture)

# The round as the table stream tells it, in two connections: the first drops after id 4.
FIRST = [
    ("1", "round.opened", {"round": 1, "deadline": 0}),
    ("2", "action.submitted", {"round": 1, "player_id": "p2"}),
    ("3", "turn.started", {"turn_id": "t1", "number": 1}),
    ("4", "text", {"delta": "The bell ", "turn_id": "t1"}),
]
AFTER_4 = [
    ("5", "text", {"delta": "tolls below.", "turn_id": "t1"}),
    ("6", "turn.completed", {"turn_id": "t1", "narration": "The bell tolls below."}),
]


class _Table(BaseHTTPRequestHandler):
    """A party table stand-in: invite ``tok1`` seats Odo (or a spectator) at game g1."""

    protocol_version = "HTTP/1.1"
    joins: ClassVar[list[dict[str, Any]]]
    actions: ClassVar[list[tuple[dict[str, str], dict[str, Any]]]]
    last_ids: ClassVar[list[str | None]]
    acted: ClassVar[threading.Event]
    spectator: ClassVar[bool] = False

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet."""

    def _json(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> Any:
        return json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")

    def do_POST(self) -> None:  # noqa: N802
        """Join (201) or an action (202, with the seat's bearer credential only)."""
        cls = type(self)
        if self.path == "/api/invites/tok1/join":
            cls.joins.append(self._body())
            role = "spectator" if cls.spectator else "player"
            self._json(
                201,
                {
                    "game_id": "g1",
                    "credential": "cred-2",
                    "player": {"id": "p2", "name": "Odo", "role": role},
                },
            )
        elif self.path == "/api/games/g1/actions":
            body = self._body()
            if self.headers.get("Authorization") != "Bearer cred-2":
                self._json(401, {"error": {"code": "not_seated", "message": "Who are you?"}})
                return
            cls.actions.append((dict(self.headers), body))
            self._json(202, {"round": 1, "waiting_for": []})
            cls.acted.set()
        else:
            self._json(404, {"error": {"code": "not_found", "message": self.path}})

    def do_GET(self) -> None:  # noqa: N802
        """The table stream: from the start it drops after id 4; after id 4 it ends the round."""
        cls = type(self)
        if self.path != "/api/games/g1/events" or self.headers.get("Authorization") != (
            "Bearer cred-2"
        ):
            self._json(404, {"error": {"code": "not_found", "message": self.path}})
            return
        last = self.headers.get("Last-Event-ID")
        cls.last_ids.append(last)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        # The first connection drops after id 4; a later one sends what follows its
        # Last-Event-ID (without one: the whole round again, as a server replays it).
        first = len(cls.last_ids) == 1
        after = int(last) if last is not None else 0
        events = FIRST if first else [e for e in FIRST + AFTER_4 if int(e[0]) > after]
        self.wfile.write(b": accepted\n\n")
        self.wfile.flush()
        for event_id, kind, data in events:
            if kind == "turn.started" and not cls.spectator:
                cls.acted.wait(30)  # the round resolves when the seat has acted
            frame = f"id: {event_id}\nevent: {kind}\ndata: {json.dumps(data)}\n\n"
            self.wfile.write(frame.encode())
            self.wfile.flush()
        if not first:
            cls.acted.wait(30)  # a real stream stays open; this one ends with the test
        self.close_connection = True


@pytest.fixture
def table() -> Iterator[tuple[str, type[_Table]]]:
    """The stand-in's URL and handler class (what it saw)."""
    handler = type(
        "Table",
        (_Table,),
        {
            "joins": [],
            "actions": [],
            "last_ids": [],
            "acted": threading.Event(),
        },
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        handler.acted.set()
        server.shutdown()
        server.server_close()


def test_a_player_joins_acts_and_follows_the_table_through_a_drop(
    ts_client: list[str],  # noqa: F811
    table: tuple[str, type[_Table]],
) -> None:
    url, handler = table
    result = run_client(
        ts_client,
        "--invite",
        f"{url}/join/tok1",
        "--name",
        "Odo",
        "--class",
        "rogue",
        "I keep watch",
    )
    assert result.returncode == 0, result.stderr
    assert handler.joins == [{"character": {"name": "Odo", "class": "rogue"}}]
    [(headers, body)] = handler.actions
    assert body == {"message": "I keep watch"}
    assert "x-bt-parent-span" not in {k.lower() for k in headers}  # untraced: no parent
    # The stream dropped after id 4 and was opened again from there: told once, whole.
    assert handler.last_ids == [None, "4"]
    assert result.stdout.count("The bell ") == 1, result.stdout
    assert "The bell tolls below." in result.stdout
    assert "seated at game g1" in result.stderr


def test_a_spectator_watches_and_cannot_act(
    ts_client: list[str],  # noqa: F811
    table: tuple[str, type[_Table]],
) -> None:
    url, handler = table
    handler.spectator = True
    watched = run_client(
        ts_client, "--invite", f"{url}/join/tok1", "--spectator", "--name", "Sam", "--watch", "1"
    )
    assert watched.returncode == 0, watched.stderr
    assert handler.joins == [{"name": "Sam"}]
    assert "The bell tolls below." in watched.stdout
    assert handler.actions == []

    acting = run_client(
        ts_client, "--invite", f"{url}/join/tok1", "--spectator", "--name", "Sam", "I shout"
    )
    assert acting.returncode == 1
    assert "a spectator reads and never acts" in acting.stderr
    assert handler.actions == []


# ---------------------------------------------------------------- the real server


def test_a_ts_player_completes_a_round_on_the_real_server_in_one_trace(
    ts_client: list[str],  # noqa: F811
    tmp_path: Path,
) -> None:
    """Gunicorn and the offline narrator: the host makes a game and a player invite over the
    API; the TS client joins with the invite URL (interactive), the host acts, the client's
    action completes the round; the client prints the round's narration from the table stream,
    and the server's round (a ``turn`` span with a ``player_action`` per seat) and the client's
    own ``player_action`` continue the client's trace under its ``client_turn``."""
    with BraintrustRecorder() as recorder:
        env = tracing_env(recorder, f"sqlite:///{tmp_path / 'shared.db'}")
        server = Gunicorn(tmp_path / "server", **env).start()
        client = None
        try:
            made = requests.post(f"{server.url}/api/games", json={}, timeout=30)
            assert made.status_code == 201, made.text
            game_id, host = made.json()["id"], made.json()["credential"]
            bearer = {"Authorization": f"Bearer {host}"}
            invite = requests.post(
                f"{server.url}/api/games/{game_id}/invites",
                json={"role": "player"},
                headers=bearer,
                timeout=30,
            ).json()

            client = subprocess.Popen(
                [*ts_client, "--invite", invite["url"], "--name", "Odo", "--interactive"],
                cwd=TS_DIR,
                env={**clean_env(), **env},
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )

            def party() -> dict[str, Any]:
                answer = requests.get(
                    f"{server.url}/api/games/{game_id}/party", headers=bearer, timeout=30
                )
                return dict(answer.json())

            assert wait_for(lambda: len(party()["seats"]) == 2, 60), "the TS client never sat"
            acted = requests.post(
                f"{server.url}/api/games/{game_id}/actions",
                json={"message": "I look around"},
                headers=bearer,
                timeout=30,
            )
            assert acted.status_code == 202 and acted.json()["waiting_for"], acted.text
            assert client.stdin is not None
            out, err = client.communicate("I keep watch by the well\nquit\n", timeout=120)
            assert client.returncode == 0, err
        finally:
            if client is not None and client.poll() is None:
                client.kill()
                client.wait()
            server.stop()
        assert "seated at game" in err
        assert recorder.wait_for(
            lambda: any(name(s) == "player_action" for s in recorder.spans().values()), 10
        )
        spans = recorder.spans()
        [root] = [s for s in spans.values() if name(s) == "client_conversation"]
        [turn] = [s for s in spans.values() if name(s) == "turn"]
        assert chain_to_root(spans, turn) == ["turn", "client_turn", "client_conversation"]
        actions = [s for s in spans.values() if name(s) == "player_action"]
        # One per seat under the round's turn; and the client's own action continues its
        # client_turn when it is submitted.
        assert len([s for s in actions if parent_of(s) == turn["span_id"]]) == 2
        [client_turn] = [s for s in spans.values() if name(s) == "client_turn"]
        mine = [s for s in actions if parent_of(s) == client_turn["span_id"]]
        assert [s["input"] for s in mine] == ["I keep watch by the well"]
        # The round's narration was printed as the table streamed it, and logged on the root.
        [told] = root["output"]["turns"]
        assert told["message"] == "I keep watch by the well"
        assert told["narration"].strip() and told["narration"].strip() in out
        assert recorder.unexpected() == []


def clean_env() -> dict[str, str]:
    """This environment without Braintrust settings (the test gives its own)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("BRAINTRUST_")}


def wait_for(condition: Any, seconds: float) -> bool:
    """Poll ``condition`` until it holds or ``seconds`` pass."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False
