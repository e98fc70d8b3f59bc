"""The Python client plays a party over real HTTP: the host creates and invites, a player
joins with the invite URL, both act, and each follows the table's stream to the round's end;
a client whose stream dropped resumes after its last event id (nothing replayed twice)."""

from __future__ import annotations

from flask import Flask

from game_master.client import PartyClient
from game_master.testing import LiveServer


def test_host_and_player_play_a_round_through_the_client(app: Flask) -> None:
    with LiveServer(app) as live:
        host = PartyClient(live.url, timeout=60)
        game_id = host.create("Mara", "fighter")
        odo = PartyClient(live.url, timeout=60)
        joined = odo.join(host.invite("player"), character={"name": "Odo", "class": "wizard"})
        assert joined["game_id"] == game_id and joined["player"]["role"] == "player"
        assert host.act("I lift the lantern") == {"round": 1, "waiting_for": [odo.player_id]}
        assert odo.act("I follow the light")["waiting_for"] == []
        # Odo's stream drops at the round's first event...
        stream = odo.follow()
        first = next(stream)
        stream.close()
        assert first[0] == "round.opened"
        # ...and resumes after it: nothing replayed twice, the round's turn to its end.
        seen = []
        for name, data in odo.follow():
            seen.append((name, data))
            if name in ("turn.completed", "error"):
                break
        names = [n for n, _ in seen]
        assert "round.opened" not in names, "the resumed stream replayed what it had seen"
        assert names.count("action.submitted") == 2 and names[-1] == "turn.completed"
        assert "text" in names
        turn_ids = {
            d["turn_id"] for n, d in seen if n in ("turn.started", "text", "turn.completed")
        }
        assert len(turn_ids) == 1
        assert host.party()["round"] is None  # resolved; the next opens with its first action


def test_an_action_cut_off_on_a_reused_connection_is_sent_again() -> None:
    """The server closes a kept-alive connection as the client reuses it (the first POST
    gets no answer at all): the client sends the action again, which replaces itself, and
    the player sees the 202's answer rather than a connection error."""
    import http.server
    import json as jsonlib
    import threading

    from game_master.client import PartyClient

    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            seen.append(jsonlib.loads(body)["message"])
            if len(seen) == 1:
                self.close_connection = True
                self.connection.shutdown(2)  # no answer: as a closing keep-alive socket
                return
            answer = jsonlib.dumps({"round": 1, "waiting_for": []}).encode()
            self.send_response(202)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        seat = PartyClient(f"http://127.0.0.1:{server.server_address[1]}")
        seat.game_id = "0" * 32
        assert seat.act("I keep watch") == {"round": 1, "waiting_for": []}
        assert seen == ["I keep watch", "I keep watch"]
    finally:
        server.shutdown()
