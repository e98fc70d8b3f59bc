"""Party play over HTTP (Flask's client; the real CLI and offline narrator), on SQLite and
PostgreSQL: seats and invites, rounds, the rules of point 9 of issue 21, the table stream's
replay. Real servers with two workers are in tests/deploy/test_party_workers.py."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from game_master.testing import parse_sse

BROWSER = {"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"}


@pytest.fixture(params=["sqlite", "postgresql"])
def party_app(request: pytest.FixtureRequest, make_app: Callable[..., Flask]) -> Flask:
    """An offline app on SQLite or on PostgreSQL."""
    # A short heartbeat: Table.events reads the stream up to its first quiet tick.
    if request.param == "postgresql":
        return make_app(DATABASE_URL=request.getfixturevalue("pg_url"), GM_SSE_HEARTBEAT_S="0.3")
    return make_app(GM_SSE_HEARTBEAT_S="0.3")


def auth(credential: str) -> dict[str, str]:
    """The bearer header of a seat."""
    return {"Authorization": f"Bearer {credential}"}


class Table:
    """A party game made by an API client: the host's credential and helpers."""

    def __init__(self, client: FlaskClient, name: str = "Mara") -> None:
        """Create the game as host."""
        resp = client.post("/api/games", json={"character": {"name": name, "class": "fighter"}})
        assert resp.status_code == 201, resp.get_data(as_text=True)
        self.client = client
        self.game_id = resp.get_json()["id"]
        self.host = resp.get_json()["credential"]

    def invite(self, role: str = "player", credential: str | None = None) -> str:
        """An invite token (made by ``credential``, the host by default)."""
        resp = self.client.post(
            f"/api/games/{self.game_id}/invites",
            json={"role": role},
            headers=auth(credential or self.host),
        )
        assert resp.status_code == 201, resp.get_data(as_text=True)
        assert resp.get_json()["url"].endswith("/join/" + resp.get_json()["token"])
        return str(resp.get_json()["token"])

    def join(self, token: str, body: dict[str, Any]) -> Any:
        """POST join."""
        return self.client.post(f"/api/invites/{token}/join", json=body)

    def seat(self, name: str, role: str = "player") -> tuple[str, str]:
        """Seat a player (or spectator): (player id, credential)."""
        body = (
            {"character": {"name": name, "class": "wizard"}} if role == "player" else {"name": name}
        )
        resp = self.join(self.invite(role), body)
        assert resp.status_code == 201, resp.get_data(as_text=True)
        data = resp.get_json()
        assert data["game_id"] == self.game_id and data["player"]["role"] == role
        return data["player"]["id"], data["credential"]

    def act(self, credential: str, message: str) -> Any:
        """POST an action."""
        return self.client.post(
            f"/api/games/{self.game_id}/actions",
            json={"message": message},
            headers=auth(credential),
        )

    def party(self, credential: str | None = None) -> dict[str, Any]:
        """GET /party as a seat."""
        resp = self.client.get(
            f"/api/games/{self.game_id}/party", headers=auth(credential or self.host)
        )
        assert resp.status_code == 200, resp.get_data(as_text=True)
        return dict(resp.get_json())

    def game(self) -> dict[str, Any]:
        """The game JSON (the host reads it)."""
        resp = self.client.get(f"/api/games/{self.game_id}", headers=auth(self.host))
        assert resp.status_code == 200
        return dict(resp.get_json())

    def settled(self, rounds: int) -> dict[str, Any]:
        """The game once ``rounds`` round turns have ended (deadline: 60 s)."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            game = self.game()
            done = [t for t in game["turns"] if t["status"] != "running" and "actions" in t]
            if len(done) >= rounds:
                return game
            time.sleep(0.05)  # polling a condition with a deadline, not synchronising
        raise AssertionError("the round did not resolve")

    def events(self, credential: str, last_event_id: int = 0) -> list[tuple[str, Any]]:
        """The table's stored events after ``last_event_id`` (one read of the stream)."""
        resp = self.client.get(
            f"/api/games/{self.game_id}/events",
            headers={**auth(credential), "Last-Event-ID": str(last_event_id)},
            buffered=False,
        )
        assert resp.status_code == 200 and resp.mimetype == "text/event-stream"
        text = ""
        for chunk in resp.response:
            text += chunk.decode() if isinstance(chunk, bytes) else chunk
            if text.endswith(": heartbeat\n\n") and text.count("heartbeat") >= 1:
                break
        resp.close()
        return parse_sse(text)


def test_two_players_round_resolves_when_both_acted(party_app: Flask) -> None:
    """Host and one player act; the second (last awaited) action answers waiting_for [] and
    the round is one turn naming both characters' actions in seat order."""
    table = Table(party_app.test_client())
    odo, odo_cred = table.seat("Odo")
    first = table.act(table.host, "I open the door")
    assert first.status_code == 202
    assert first.get_json() == {"round": 1, "waiting_for": [odo]}
    # Replaced before the round resolves: the later words count.
    assert table.act(table.host, "I knock on the door").get_json()["waiting_for"] == [odo]
    party = table.party(odo_cred)
    assert party["round"]["number"] == 1 and party["round"]["waiting_for"] == [odo]
    assert [s["character_name"] for s in party["seats"]] == ["Mara", "Odo"]
    last = table.act(odo_cred, "I light a torch")
    assert last.status_code == 202 and last.get_json() == {"round": 1, "waiting_for": []}
    game = table.settled(1)
    turn = game["turns"][-1]
    host_id = party["host"]
    assert turn["actions"] == [
        {"player_id": host_id, "character_name": "Mara", "message": "I knock on the door"},
        {"player_id": odo, "character_name": "Odo", "message": "I light a torch"},
    ]
    assert turn["status"] == "completed" and turn["narration"]


def test_the_host_resolves_and_who_did_not_act_passes(party_app: Flask) -> None:
    """Resolve now: the player who did not act passes (message null); a player cannot
    resolve (403), and a second resolve of the same round is a 409, not a second round."""
    table = Table(party_app.test_client())
    odo, odo_cred = table.seat("Odo")
    table.act(table.host, "I wait by the well")
    url = f"/api/games/{table.game_id}/rounds/1/resolve"
    refused = table.client.post(url, headers=auth(odo_cred))
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "not_your_seat"
    assert table.client.post(url, headers=auth(table.host)).status_code == 202
    again = table.client.post(url, headers=auth(table.host))
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "round_closed"
    game = table.settled(1)
    assert game["turns"][-1]["actions"][1] == {
        "player_id": odo,
        "character_name": "Odo",
        "message": None,
    }
    assert len([t for t in game["turns"] if "actions" in t]) == 1


def test_two_resolves_at_once_give_one_round(party_app: Flask) -> None:
    """Two host resolves race: exactly one 202, one 409, and one round turn."""
    table = Table(party_app.test_client())
    table.seat("Odo")
    table.act(table.host, "I count the coins")
    url = f"/api/games/{table.game_id}/rounds/1/resolve"
    answers: list[tuple[int, str | None]] = []
    gate = threading.Barrier(2)

    def resolve() -> None:
        gate.wait()
        resp = party_app.test_client().post(url, headers=auth(table.host))
        answers.append((resp.status_code, (resp.get_json().get("error") or {}).get("code")))

    threads = [threading.Thread(target=resolve) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # The loser is refused by the round's claim itself (not only by the game's turn lease).
    assert sorted(answers) == [(202, None), (409, "round_closed")]
    game = table.settled(1)
    assert len([t for t in game["turns"] if "actions" in t]) == 1


def test_a_spectator_reads_and_never_acts(party_app: Flask) -> None:
    """A spectator's action is 403; it reads the table and the game."""
    table = Table(party_app.test_client())
    _, watcher = table.seat("Pip", role="spectator")
    refused = table.act(watcher, "I steal the crown")
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "not_your_seat"
    assert table.party(watcher)["you"]["role"] == "spectator"
    assert table.client.get(f"/api/games/{table.game_id}", headers=auth(watcher)).status_code == 200


def test_a_player_cannot_act_as_another(party_app: Flask) -> None:
    """An action is the credential's seat's: Odo's credential never changes Mara's words;
    another game's credential opens nothing here (404), nor does none at all."""
    table = Table(party_app.test_client())
    odo, odo_cred = table.seat("Odo")
    table.act(odo_cred, "I climb the wall")
    table.act(odo_cred, "I climb the wall again")
    other = Table(party_app.test_client(), "Zed")
    stranger = table.act(other.host, "I sneak in")
    assert stranger.status_code == 404
    assert (
        table.client.post(f"/api/games/{table.game_id}/actions", json={"message": "x"}).status_code
        == 404
    )
    table.act(table.host, "I guard the gate")
    game = table.settled(1)
    assert [a["message"] for a in game["turns"][-1]["actions"]] == [
        "I guard the gate",
        "I climb the wall again",
    ]


def test_revoked_and_expired_invites_are_404(
    party_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A revoked invite and an expired one cannot seat anyone; only the host invites."""
    table = Table(party_app.test_client())
    token = table.invite()
    gone = table.client.delete(
        f"/api/games/{table.game_id}/invites/{token}", headers=auth(table.host)
    )
    assert gone.status_code == 204
    late = table.join(token, {"character": {"name": "Odo", "class": "rogue"}})
    assert late.status_code == 404 and late.get_json()["error"]["code"] == "invite_not_found"
    expiring = table.invite()
    import game_master.party as party

    real = time.time
    monkeypatch.setattr(party.time, "time", lambda: real() + party.INVITE_SECONDS + 1)
    expired = table.join(expiring, {"character": {"name": "Odo", "class": "rogue"}})
    monkeypatch.setattr(party.time, "time", real)
    assert expired.status_code == 404
    _, odo_cred = table.seat("Odo")
    refused = table.client.post(
        f"/api/games/{table.game_id}/invites", json={"role": "player"}, headers=auth(odo_cred)
    )
    assert refused.status_code == 403


def test_full_seats_are_a_409_with_a_code(make_app: Callable[..., Flask]) -> None:
    """With GM_PARTY_SEATS=2 the host and one player fill the table; spectators still join."""
    app = make_app(GM_PARTY_SEATS="2")
    table = Table(app.test_client())
    table.seat("Odo")
    full = table.join(table.invite(), {"character": {"name": "Kit", "class": "rogue"}})
    assert full.status_code == 409 and full.get_json()["error"]["code"] == "seats_full"
    table.seat("Pip", role="spectator")


def test_an_action_is_stored_before_the_202(party_app: Flask) -> None:
    """The 202's action is in the store when it answers (read straight from the store)."""
    table = Table(party_app.test_client())
    odo, odo_cred = table.seat("Odo")
    assert table.act(odo_cred, "I hide behind the barrel").status_code == 202
    store = party_app.extensions["game_master"].store
    rnd = store.current_round(table.game_id)
    assert store.round_actions(rnd.id) == {odo: "I hide behind the barrel"}


def test_the_stream_replays_after_last_event_id(party_app: Flask) -> None:
    """Every event has an id; from Last-Event-ID the stream replays what came after it,
    hides the action's text until the round resolves, and carries the turn's events with
    their turn_id."""
    table = Table(party_app.test_client())
    odo, odo_cred = table.seat("Odo")
    table.act(table.host, "I sharpen my sword")
    table.act(odo_cred, "I whistle")
    game = table.settled(1)
    events = table.events(odo_cred, 0)
    names = [name for name, _ in events]
    assert "round.opened" in names and names.count("action.submitted") == 2
    for name, data in events:
        if name == "action.submitted":
            assert set(data) == {"round", "player_id"}
    turn_id = game["turns"][-1]["id"]
    turn_events = [
        (n, d) for n, d in events if n in ("turn.started", "text", "state", "turn.completed")
    ]
    assert turn_events and all(d["turn_id"] == turn_id for _, d in turn_events)
    assert names.index("turn.started") < names.index("turn.completed")


def test_leaving_frees_the_seat(make_app: Callable[..., Flask]) -> None:
    """A player who leaves frees a seat (a full table takes a new player again)."""
    app = make_app(GM_PARTY_SEATS="2")
    table = Table(app.test_client())
    _, odo_cred = table.seat("Odo")
    left = table.client.post(f"/api/games/{table.game_id}/leave", headers=auth(odo_cred))
    assert left.status_code == 204
    table.seat("Kit")


def test_a_joined_game_is_on_that_browsers_list(party_app: Flask) -> None:
    """A browser that joins has the game among its adventures and may read it, but retry,
    rewind and lines of play are the host's (403)."""
    host = party_app.test_client()
    resp = host.post(
        "/api/games", json={"character": {"name": "Mara", "class": "fighter"}}, headers=BROWSER
    )
    game_id = resp.get_json()["id"]
    token = host.post(
        f"/api/games/{game_id}/invites", json={"role": "player"}, headers=BROWSER
    ).get_json()["token"]
    guest = party_app.test_client()
    joined = guest.post(
        f"/api/invites/{token}/join",
        json={"character": {"name": "Odo", "class": "rogue"}},
        headers=BROWSER,
    )
    assert joined.status_code == 201
    assert [g["id"] for g in guest.get("/api/games").get_json()] == [game_id]
    assert guest.get(f"/api/games/{game_id}").status_code == 200
    rewind = guest.post(f"/api/games/{game_id}/rewind", json={"to_turn": 0}, headers=BROWSER)
    assert rewind.status_code == 403
    assert (
        host.post(f"/api/games/{game_id}/rewind", json={"to_turn": 0}, headers=BROWSER).status_code
        == 200
    )
    # The cookie's credential acts for the guest's own seat.
    acted = guest.post(f"/api/games/{game_id}/actions", json={"message": "I wave"}, headers=BROWSER)
    assert acted.status_code == 202


def test_the_round_resolves_when_its_time_runs_out(make_app: Callable[..., Flask]) -> None:
    """GM_ROUND_SECONDS after the first action the round resolves by itself (a timer in
    the runtime; nobody asks), and the player who did not act passes."""
    app = make_app(GM_ROUND_SECONDS="0.5")
    table = Table(app.test_client())
    odo, _ = table.seat("Odo")
    assert table.act(table.host, "I keep watch").get_json()["waiting_for"] == [odo]
    game = table.settled(1)  # reads only the game JSON, which never resolves a round
    assert game["turns"][-1]["actions"][1]["message"] is None


def test_an_overdue_round_resolves_on_the_next_look(
    make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A round whose timer is gone (its worker restarted) resolves on any worker's next
    request for the table once its deadline passed."""
    import game_master.party as party

    monkeypatch.setattr(party.PartyUseCases, "arm_timer", lambda self, rnd: None)
    app = make_app(GM_ROUND_SECONDS="0.2")
    table = Table(app.test_client())
    table.seat("Odo")
    table.act(table.host, "I keep watch")
    store = app.extensions["game_master"].store
    rnd = store.current_round(table.game_id)
    deadline = time.monotonic() + 10
    while time.time() <= rnd.deadline and time.monotonic() < deadline:
        time.sleep(0.05)  # waiting for the clock to pass the deadline, with a bound
    assert store.current_round(table.game_id).status == "open"
    table.party()
    assert table.settled(1)["turns"][-1]["actions"][0]["message"] == "I keep watch"


def test_retry_is_the_hosts_and_every_seat_hears_of_it(party_app: Flask) -> None:
    """A player's retry or rewind is 403; the host retells the round from the players' own
    words (the new telling lists the same actions, and the model got one envelope per seat),
    and the stream tells every seat (line.changed)."""
    table = Table(party_app.test_client())
    _, odo_cred = table.seat("Odo")
    table.act(table.host, "I bar the door")
    table.act(odo_cred, "I read the runes")
    first = table.settled(1)["turns"][-1]
    retry = f"/api/games/{table.game_id}/turns/{first['id']}/retry"
    refused = table.client.post(retry, json={}, headers=auth(odo_cred))
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "not_your_seat"
    rewind = table.client.post(
        f"/api/games/{table.game_id}/rewind", json={"to_turn": 0}, headers=auth(odo_cred)
    )
    assert rewind.status_code == 403
    svc = party_app.extensions["game_master"]
    before = len(svc.narrator.requests.snapshot())
    retold = table.client.post(retry, json={}, headers=auth(table.host))
    assert retold.status_code == 200, retold.get_data(as_text=True)
    turns = table.game()["turns"]
    assert turns[-1]["id"] == retold.get_json()["turn_id"]
    assert turns[-1]["actions"] == first["actions"]
    sent = json.dumps([r["body"] for r in svc.narrator.requests.snapshot()[before:]])
    assert sent.count("I bar the door") >= 1 and sent.count('Character \\"Odo\\"') >= 1
    names = [n for n, d in table.events(odo_cred, 0) if n == "line.changed"]
    assert names == ["line.changed"]


def test_typing_and_presence_reach_the_table(party_app: Flask) -> None:
    """A player's typing shows in /party and on the stream; a spectator never types."""
    table = Table(party_app.test_client())
    odo, odo_cred = table.seat("Odo")
    _, watcher = table.seat("Pip", role="spectator")
    url = f"/api/games/{table.game_id}/typing"
    assert table.client.post(url, json={"typing": True}, headers=auth(odo_cred)).status_code == 204
    seats = {s["player_id"]: s for s in table.party(watcher)["seats"]}
    assert seats[odo]["typing"] is True and seats[odo]["role"] == "player"
    assert table.client.post(url, json={"typing": True}, headers=auth(watcher)).status_code == 403
    events = table.events(watcher, 0)
    assert ("typing", {"player_id": odo, "typing": True}) in events
    joined = [d for n, d in events if n == "presence" and d.get("joined")]
    assert [d["name"] for d in joined] == ["Odo", "Pip"]
    # The stream that read them marked the watcher online while it was open.
    online = [d for n, d in table.events(odo_cred, 0) if n == "presence" and "online" in d]
    assert online
