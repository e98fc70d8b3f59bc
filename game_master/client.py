"""Command-line client that continues its trace on the server.

Usage::

    python -m game_master.client "look around" "take the bread"
    python -m game_master.client --interactive
    python -m game_master.client --server http://127.0.0.1:8000 --game GAME_ID "go west"

With BRAINTRUST_API_KEY set, the conversation is one root span ``client_conversation``;
each message is a ``client_turn`` span exported in the ``x-bt-parent-span`` header, so the
server's ``turn`` span (and the SDK's spans under it) join the client's trace. The root span
gets the aggregated turns at the end, as in the seed's example.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from typing import Any, TextIO

import requests
import sseclient

from . import spans

DEFAULT_SERVER = "http://127.0.0.1:5000"


class ClientError(Exception):
    """The server answered an error or could not be reached."""


def iter_sse(resp: requests.Response) -> Iterator[tuple[str, dict[str, Any]]]:
    """(event, data) pairs from a streaming SSE response, parsed by sseclient-py (comments,
    CRLF and multi-line data handled by the library, not by hand)."""
    for event in sseclient.SSEClient(resp.iter_content(chunk_size=None)).events():
        yield event.event, json.loads(event.data or "{}")


class GameClient:
    """Plays turns over HTTP and traces them as children of one client root span."""

    def __init__(self, server: str, out: TextIO = sys.stdout, timeout: float = 300) -> None:
        """Talk to ``server``; narration is written to ``out`` as it streams."""
        self.server = server.rstrip("/")
        self.out = out
        self.timeout = timeout
        self.session = requests.Session()
        self.turns: list[dict[str, Any]] = []

    @staticmethod
    def _error(resp: requests.Response) -> ClientError:
        """A ClientError from a JSON error answer."""
        try:
            err = resp.json()["error"]
            return ClientError(f"{resp.status_code} {err['code']}: {err['message']}")
        except (ValueError, KeyError, TypeError):
            return ClientError(f"{resp.status_code}: {resp.text[:200]}")

    def new_game(self, name: str, cls: str) -> str:
        """Create a game; returns its id."""
        resp = self.session.post(
            f"{self.server}/api/games",
            json={"character": {"name": name, "class": cls}},
            timeout=30,
        )
        if resp.status_code != 201:
            raise self._error(resp)
        return str(resp.json()["id"])

    def check_game(self, game_id: str) -> dict[str, Any]:
        """The game JSON (raises ClientError if unknown)."""
        resp = self.session.get(f"{self.server}/api/games/{game_id}", timeout=30)
        if resp.status_code != 200:
            raise self._error(resp)
        return dict(resp.json())

    def play(self, game_id: str, message: str, parent: str | None = None) -> dict[str, Any]:
        """Play one turn, streaming narration to ``out``; returns turn.completed's data."""
        headers = {"Accept": "text/event-stream"}
        if parent:
            headers["x-bt-parent-span"] = parent
        with self.session.post(
            f"{self.server}/api/games/{game_id}/turns",
            json={"message": message},
            headers=headers,
            stream=True,
            timeout=self.timeout,
        ) as resp:
            if resp.status_code != 200:
                raise self._error(resp)
            tools: list[str] = []
            for event, data in iter_sse(resp):
                if event == "text":
                    self.out.write(data["delta"])
                    self.out.flush()
                elif event == "tool":
                    tools.append(data["name"])
                elif event == "error":
                    raise ClientError(f"{data['code']}: {data['message']}")
                elif event == "turn.completed":
                    self.out.write("\n\n")
                    self.out.flush()
                    return {**data, "tools": tools}
        raise ClientError("the stream ended before the turn completed")


class PartyClient:
    """One seat of a party game over HTTP: create (as host) or join with an invite URL,
    act, resolve, and follow the table's stream (parsed by sseclient-py, with event ids so
    a dropped stream resumes with Last-Event-ID)."""

    def __init__(self, server: str, timeout: float = 300) -> None:
        """Talk to ``server``; the seat's credential goes in every request once known."""
        self.server = server.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self.game_id: str | None = None
        self.player_id: str | None = None
        self.last_event_id: str | None = None

    def _seat(self, game_id: str, credential: str) -> None:
        """Remember the game and present its credential from now on."""
        self.game_id = game_id
        self.session.headers["Authorization"] = f"Bearer {credential}"

    def _answer(self, resp: requests.Response, status: int) -> dict[str, Any]:
        """The JSON of an expected status, else a ClientError with the contract's code."""
        if resp.status_code != status:
            raise GameClient._error(resp)
        return dict(resp.json()) if resp.content else {}

    def create(self, name: str, cls: str, scenario: str | None = None) -> str:
        """Start a game as its host; its id."""
        body: dict[str, Any] = {"character": {"name": name, "class": cls}}
        if scenario:
            body["scenario"] = scenario
        game = self._answer(
            self.session.post(f"{self.server}/api/games", json=body, timeout=30), 201
        )
        self._seat(game["id"], game["credential"])
        self.player_id = self.party()["you"]["player_id"]
        return str(game["id"])

    def invite(self, role: str = "player") -> str:
        """Host: an invite URL for a player or a spectator."""
        url = f"{self.server}/api/games/{self.game_id}/invites"
        return str(
            self._answer(self.session.post(url, json={"role": role}, timeout=30), 201)["url"]
        )

    def join(
        self, invite_url: str, *, character: dict[str, Any] | None = None, name: str | None = None
    ) -> dict[str, Any]:
        """Take a seat with an invite URL (``…/join/<token>``): a player brings a character,
        a spectator a name. The join answer."""
        token = invite_url.rstrip("/").rsplit("/", 1)[-1]
        body: dict[str, Any] = {"character": character} if character else {"name": name or "Guest"}
        url = f"{self.server}/api/invites/{token}/join"
        joined = self._answer(self.session.post(url, json=body, timeout=30), 201)
        self._seat(joined["game_id"], joined["credential"])
        self.player_id = joined["player"]["id"]
        return joined

    def party(self) -> dict[str, Any]:
        """The table: seats, presence, the open round."""
        return self._answer(
            self.session.get(f"{self.server}/api/games/{self.game_id}/party", timeout=30), 200
        )

    def act(self, message: str, parent: str | None = None) -> dict[str, Any]:
        """This seat's action for the open round: ``{round, waiting_for}``."""
        headers = {"x-bt-parent-span": parent} if parent else {}
        url = f"{self.server}/api/games/{self.game_id}/actions"
        try:
            resp = self.session.post(url, json={"message": message}, headers=headers, timeout=30)
        except requests.ConnectionError:
            # A kept-alive connection the server closed just as it was reused (seen in
            # bench.party: a seat that thinks longer than gunicorn's keepalive). An action
            # replaces this seat's earlier one for the round, so sending it again is safe.
            resp = self.session.post(url, json={"message": message}, headers=headers, timeout=30)
        return self._answer(resp, 202)

    def resolve(self, number: int) -> None:
        """Host: resolve round ``number`` now."""
        url = f"{self.server}/api/games/{self.game_id}/rounds/{number}/resolve"
        self._answer(self.session.post(url, timeout=30), 202)

    def follow(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """The table's events as (name, data), from where this client last left off."""
        headers = {"Accept": "text/event-stream"}
        if self.last_event_id is not None:
            headers["Last-Event-ID"] = self.last_event_id
        url = f"{self.server}/api/games/{self.game_id}/events"
        with self.session.get(url, headers=headers, stream=True, timeout=self.timeout) as resp:
            if resp.status_code != 200:
                raise GameClient._error(resp)
            for event in sseclient.SSEClient(resp.iter_content(chunk_size=None)).events():
                if event.id:
                    self.last_event_id = event.id
                yield event.event, json.loads(event.data or "{}")


def run(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    """Create or continue a game and play the given (or typed) messages."""
    import tracing

    tracing.setup_tracing()
    client = GameClient(args.server, out=out)
    try:
        game_id = args.game or client.new_game(args.name, args.cls)
        if args.game:
            client.check_game(game_id)
    except (ClientError, requests.RequestException) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"game {game_id} on {client.server}\n", file=sys.stderr)
    status = 0
    with spans.client_conversation(game_id, client.server) as root:
        for message in _messages(args):
            with spans.client_turn(root, message) as span:
                exported = span.export() if span is not None else None
                try:
                    done = client.play(game_id, message, parent=exported)
                except (ClientError, requests.RequestException) as exc:
                    print(f"error: {exc}", file=sys.stderr)
                    if span is not None:
                        span.log(error=str(exc))
                    status = 1
                    break
                turn = {
                    "message": message,
                    "narration": done["narration"],
                    "tools": done["tools"],
                    "turn_id": done["turn_id"],
                }
                client.turns.append(turn)
                if span is not None:
                    span.log(output=done["narration"], metadata={"turn_id": done["turn_id"]})
        if root is not None:
            root.log(
                input={"messages": [t["message"] for t in client.turns]},
                output={
                    "game_id": game_id,
                    "turns": client.turns,
                    "total_turns": len(client.turns),
                },
            )
    tracing.flush_tracing()
    return status


def _messages(args: argparse.Namespace) -> Iterator[str]:
    """The command-line messages, then typed lines in interactive mode."""
    yield from args.messages
    if args.interactive:
        while True:
            try:
                line = input("> ").strip()
            except EOFError:
                return
            if line in ("quit", "exit"):
                return
            if line:
                yield line


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and run."""
    from dotenv import load_dotenv

    load_dotenv(override=True)
    parser = argparse.ArgumentParser(description="Play Game Master from the terminal.")
    parser.add_argument("messages", nargs="*", help="turns to play, in order")
    parser.add_argument("--interactive", "-i", action="store_true", help="then read lines")
    parser.add_argument("--server", default=DEFAULT_SERVER, help="the Game Master URL")
    parser.add_argument("--game", help="continue this game id")
    parser.add_argument("--name", default="Wren", help="character name for a new game")
    parser.add_argument("--class", dest="cls", default="rogue", help="character class")
    args = parser.parse_args(argv)
    if not args.messages and not args.interactive:
        parser.error("give messages to play, or --interactive")
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
