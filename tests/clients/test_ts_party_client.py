"""The TypeScript client at a party's table (clients/ts/src/party.ts): join with an invite URL,
act with the seat's credential, follow the table stream and pick it up after a drop with
Last-Event-ID, without telling anything twice. Against a stand-in of the table's endpoints
(the real server's are tested in tests/party); skips without Node, fails in CI."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from .test_ts_client import run_client, ts_client  # noqa: F401  (the fixture)

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
            self._json(201, {"game_id": "g1", "credential": "cred-2",
                             "player": {"id": "p2", "name": "Odo", "role": role}})
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
        for event_id, name, data in events:
            if name == "turn.started" and not cls.spectator:
                cls.acted.wait(30)  # the round resolves when the seat has acted
            frame = f"id: {event_id}\nevent: {name}\ndata: {json.dumps(data)}\n\n"
            self.wfile.write(frame.encode())
            self.wfile.flush()
        if not first:
            cls.acted.wait(30)  # a real stream stays open; this one ends with the test
        self.close_connection = True


@pytest.fixture
def table() -> Iterator[tuple[str, type[_Table]]]:
    """The stand-in's URL and handler class (what it saw)."""
    handler = type("Table", (_Table,), {
        "joins": [], "actions": [], "last_ids": [], "acted": threading.Event(),
    })
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
    ts_client: list[str], table: tuple[str, type[_Table]]  # noqa: F811
) -> None:
    url, handler = table
    result = run_client(
        ts_client, "--invite", f"{url}/join/tok1", "--name", "Odo", "--class", "rogue",
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
    ts_client: list[str], table: tuple[str, type[_Table]]  # noqa: F811
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
