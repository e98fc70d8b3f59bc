"""The HTTP contract through Flask's test client and through real HTTP on loopback."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient

from game_master.testing import LiveServer, new_game, parse_sse, play

SSE = {"Accept": "text/event-stream"}


def assert_contract_order(events: list[tuple[str, Any]]) -> None:
    """turn.started → text/tool* → state → turn.completed."""
    names = [n for n, _ in events]
    assert names[0] == "turn.started"
    assert names[-2:] == ["state", "turn.completed"]
    assert set(names[1:-2]) <= {"text", "tool"}
    assert "text" in names


def test_create_and_get_game(client: FlaskClient) -> None:
    """A new game answers 201 with an id; GET returns its state and no turns."""
    resp = client.post("/api/games", json={"character": {"name": "Ada", "class": "wizard"}})
    assert resp.status_code == 201
    game = resp.get_json()
    got = client.get(f"/api/games/{game['id']}").get_json()
    assert got["state"]["character"]["class"] == "wizard"
    assert got["state"]["location"]["name"] == "Village Square"
    assert got["turns"] == [] and got["offline"] is True
    assert got["character"] == got["state"]["character"]
    assert got["location"]["name"] == "Village Square" and got["inventory"] == []


def test_create_game_without_body_uses_defaults(client: FlaskClient) -> None:
    """An empty POST makes a default character."""
    resp = client.post("/api/games")
    assert resp.status_code == 201
    assert resp.get_json()["state"]["character"]["name"]


def test_sse_turn_in_contract_order(client: FlaskClient) -> None:
    """An SSE turn streams text and tool events between started/state/completed."""
    gid = new_game(client)
    resp = client.post(f"/api/games/{gid}/turns", json={"message": "take the bread"}, headers=SSE)
    assert resp.status_code == 200 and resp.mimetype == "text/event-stream"
    events = parse_sse(resp.get_data(as_text=True))
    assert_contract_order(events)
    tools = [d for n, d in events if n == "tool"]
    assert tools[0]["name"] == "take_item" and tools[0]["is_error"] is False
    done = events[-1][1]
    streamed = "".join(d["delta"] for n, d in events if n == "text")
    assert streamed.strip() == done["narration"]
    assert [i["id"] for i in events[-2][1]["inventory"]] == ["bread"]


def test_json_turn(client: FlaskClient) -> None:
    """Without SSE the whole finished turn comes back as one JSON answer."""
    gid = new_game(client)
    body = play(client, gid, "look around")
    assert set(body) >= {"turn_id", "narration", "tool_calls", "state", "trace"}
    assert body["tool_calls"][0]["name"] == "look_around"
    game = client.get(f"/api/games/{gid}").get_json()
    assert game["turns"][0]["narration"] == body["narration"]
    assert game["turns"][0]["status"] == "completed"


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        (
            {"data": "message=hi", "content_type": "application/x-www-form-urlencoded"},
            415,
            "unsupported_media_type",
        ),
        ({"data": "{not json", "content_type": "application/json"}, 400, "invalid_input"),
        ({"json": {}}, 400, "invalid_input"),
        ({"json": {"message": "   "}}, 400, "invalid_input"),
        ({"json": {"message": 42}}, 400, "invalid_input"),
        ({"json": ["look"]}, 400, "invalid_input"),
        ({"json": {"message": "x" * 2001}}, 400, "invalid_input"),
        (
            {"data": json.dumps({"message": "x" * 100_000}), "content_type": "application/json"},
            413,
            "request_entity_too_large",
        ),
    ],
)
def test_turn_validation(
    client: FlaskClient, kwargs: dict[str, Any], status: int, code: str
) -> None:
    """Bad turn requests are refused with the contract's JSON error before any model call."""
    gid = new_game(client)
    resp = client.post(f"/api/games/{gid}/turns", **kwargs)
    assert resp.status_code == status
    assert resp.get_json()["error"]["code"] == code
    assert client.get(f"/api/games/{gid}").get_json()["turns"] == []


# Exactly 2,000 characters once trimmed (the longest message a player may send).
LONGEST = "look " * 399 + "look!"


def test_message_of_2000_chars_after_trimming_is_accepted(client: FlaskClient) -> None:
    """The limit counts characters after trimming: 2,000 plus surrounding blanks is played."""
    assert len(LONGEST) == 2000
    gid = new_game(client)
    body = play(client, gid, "  \n" + LONGEST + " \t ")
    assert body["narration"]
    [turn] = client.get(f"/api/games/{gid}").get_json()["turns"]
    assert turn["player_message"] == LONGEST


def test_message_of_2001_chars_after_trimming_is_refused(client: FlaskClient) -> None:
    """One character over the limit, blanks aside, is a 400 and nothing is stored."""
    gid = new_game(client)
    resp = client.post(f"/api/games/{gid}/turns", json={"message": "  " + LONGEST + "x  "})
    assert resp.status_code == 400
    error = resp.get_json()["error"]
    assert error["code"] == "invalid_input" and "2000" in error["message"]
    assert client.get(f"/api/games/{gid}").get_json()["turns"] == []


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("get", "/api/games/nope", 404, "game_not_found"),
        ("post", "/api/games/nope/turns", 404, "game_not_found"),
        ("get", "/no/such/page", 404, "not_found"),
        ("delete", "/api/games", 405, "method_not_allowed"),
    ],
)
def test_not_found_and_method_errors_are_json(
    client: FlaskClient, method: str, path: str, status: int, code: str
) -> None:
    """Unknown games and routes answer JSON errors, never HTML."""
    resp = getattr(client, method)(path, json={"message": "hi"})
    assert resp.status_code == status
    assert resp.get_json()["error"]["code"] == code


@pytest.mark.parametrize(
    "payload",
    [
        {"character": {"name": "", "class": "fighter"}},
        {"character": {"name": "Ada", "class": "dragon"}},
        {"character": {"name": "x" * 41, "class": "rogue"}},
        {"character": "Ada"},
        {"scenario": "../../etc/passwd"},
    ],
)
def test_create_game_validation(client: FlaskClient, payload: dict[str, Any]) -> None:
    """Bad characters and scenarios are 400 with a message."""
    resp = client.post("/api/games", json=payload)
    assert resp.status_code == 400
    assert resp.get_json()["error"]["message"]


def test_second_concurrent_turn_is_409(make_app: Callable[..., Flask]) -> None:
    """While a turn runs, another turn on the same game is refused; exactly one is stored."""
    app = make_app(GM_OFFLINE_FIRST_TOKEN_MS="1500")
    client = app.test_client()
    gid = new_game(client)
    handle = app.extensions["game_master"].start_turn(gid, "look around")
    resp = client.post(f"/api/games/{gid}/turns", json={"message": "take the bread"})
    assert resp.status_code == 409
    assert resp.get_json()["error"]["code"] == "turn_in_progress"
    assert resp.headers["Retry-After"]
    events = list(handle.events(timeout=60))
    assert events[-1].name == "turn.completed"
    turns = client.get(f"/api/games/{gid}").get_json()["turns"]
    assert [t["player_message"] for t in turns] == ["look around"]
    # The game goes on afterwards.
    assert play(client, gid, "take the bread")["narration"]


def test_feedback_is_stored(app: Flask, client: FlaskClient) -> None:
    """A rating is stored (tracing off) and answers 204; bad ratings are 400; unknown turn 404."""
    gid = new_game(client)
    turn_id = play(client, gid, "look around")["turn_id"]
    url = f"/api/games/{gid}/turns/{turn_id}/feedback"
    assert client.post(url, json={"score": 1, "comment": "lovely"}).status_code == 204
    assert client.post(url, json={"score": 2}).status_code == 400
    assert client.post(url, json={"score": True}).status_code == 400
    assert (
        client.post(f"/api/games/{gid}/turns/nope/feedback", json={"score": 0}).status_code == 404
    )
    stored = app.extensions["game_master"].store.list_feedback(turn_id)
    assert [(f["score"], f["comment"]) for f in stored] == [(1.0, "lovely")]


def test_healthz(client: FlaskClient) -> None:
    """Liveness reports the store and the CLI."""
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["store"]["ok"] and body["cli"]["ok"]


def test_debug_tracing_without_key_says_disabled_and_turns_play(client: FlaskClient) -> None:
    """No BRAINTRUST_API_KEY: tracing is off, the endpoint says so, turns still play."""
    gid = new_game(client)
    play(client, gid, "look around")
    body = client.get("/debug/tracing?flush=true").get_json()
    assert body["enabled"] is False and body["api_key_set"] is False
    assert body["flushed"] is False
    assert {"project", "stored_logger", "context_logger", "span_type", "error"} <= set(body)
    assert body["dashboard_url"].startswith("https://www.braintrust.dev/app/")


def test_debug_tracing_needs_loopback_or_token(make_app: Callable[..., Flask]) -> None:
    """From another address it is 403 unless the debug token is presented."""
    client = make_app(GM_DEBUG_TOKEN="s3cret-token").test_client()
    remote = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/debug/tracing", environ_base=remote).status_code == 403
    wrong = {"Authorization": "Bearer nope"}
    assert client.get("/debug/tracing", environ_base=remote, headers=wrong).status_code == 403
    right = {"Authorization": "Bearer s3cret-token"}
    resp = client.get("/debug/tracing", environ_base=remote, headers=right)
    assert resp.status_code == 200
    assert "s3cret-token" not in resp.get_data(as_text=True)


# ---------------------------------------------------------------------- real HTTP


def test_sse_over_real_http(app: Flask) -> None:
    """The stream arrives in pieces over a real socket, in contract order."""
    with LiveServer(app) as live:
        gid = requests.post(f"{live.url}/api/games", json={}, timeout=10).json()["id"]
        with requests.post(
            f"{live.url}/api/games/{gid}/turns",
            json={"message": "look around"},
            headers=SSE,
            stream=True,
            timeout=60,
        ) as resp:
            assert resp.headers["Content-Type"].startswith("text/event-stream")
            body = "".join(chunk for chunk in resp.iter_content(None, decode_unicode=True))
    assert_contract_order(parse_sse(body))


def test_disconnect_mid_stream_still_stores_the_turn(make_app: Callable[..., Flask]) -> None:
    """A browser that leaves after the first words does not lose the turn."""
    app = make_app(GM_OFFLINE_TOKENS_PER_S="60")
    store = app.extensions["game_master"].store
    with LiveServer(app) as live:
        gid = requests.post(f"{live.url}/api/games", json={}, timeout=10).json()["id"]
        resp = requests.post(
            f"{live.url}/api/games/{gid}/turns",
            json={"message": "look around"},
            headers=SSE,
            stream=True,
            timeout=60,
        )
        seen = ""
        for chunk in resp.iter_content(64, decode_unicode=True):
            seen += chunk
            if "event: text" in seen:
                break
        resp.close()  # the browser goes away mid-story
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            turns = store.list_turns(gid)
            if turns and turns[0].status != "running":
                break
            time.sleep(0.1)
    assert turns[0].status == "completed"
    assert "Village Square" in (turns[0].narration or "")
    assert "event: turn.completed" not in seen


def test_page_is_served_with_a_strict_csp(client: FlaskClient) -> None:
    """The page forbids inline script and other origins, so model text can never run."""
    resp = client.get("/")
    assert resp.status_code == 200
    csp = resp.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in resp.get_data(as_text=True)


def test_game_json_shows_each_turns_rating(client: FlaskClient) -> None:
    """After a reload the page can tell which replies were rated."""
    gid = new_game(client)
    turn_id = play(client, gid, "look around")["turn_id"]
    client.post(f"/api/games/{gid}/turns/{turn_id}/feedback", json={"score": 1})
    turns = client.get(f"/api/games/{gid}").get_json()["turns"]
    assert turns[0]["feedback"] == 1.0
