"""Hostile and broken input: sizes, encodings, cross-site requests, floods, a locked DB."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
from flask import Flask

from game_master.service import storable_text
from game_master.testing import REDIS_URL, LiveServer, parse_sse

SSE = {"Accept": "text/event-stream"}


def narrator_calls(app: Flask) -> int:
    """How many requests the model endpoint has seen."""
    narrator = app.extensions["game_master"].narrator
    return len(narrator.requests) if narrator is not None else 0


# ---------------------------------------------------------------------- sizes and types


def test_oversized_and_malformed_bodies_are_refused_before_the_model(app: Flask) -> None:
    """10 MB, a 100k-character message, non-JSON and a wrong content type: 413/400/415,
    over real HTTP, and the model is never called."""
    with LiveServer(app) as live:
        gid = requests.post(f"{live.url}/api/games", json={}, timeout=10).json()["id"]
        url = f"{live.url}/api/games/{gid}/turns"
        cases = [
            (b'{"message": "' + b"x" * 10_000_000 + b'"}', "application/json", 413),
            (json.dumps({"message": "y" * 100_000}).encode(), "application/json", 413),
            (b"{not json", "application/json", 400),
            (b"message=look", "application/x-www-form-urlencoded", 415),
            (b'{"message": "look"}', "text/plain", 415),
        ]
        for body, ctype, status in cases:
            resp = requests.post(url, data=body, headers={"Content-Type": ctype}, timeout=30)
            assert resp.status_code == status, (ctype, len(body), resp.text[:200])
            assert "error" in resp.json()
    assert narrator_calls(app) == 0
    assert app.extensions["game_master"].store.list_turns(gid) == []


# ---------------------------------------------------------------------- encodings

NASTY = [
    ("nul", "look\x00 around"),
    ("crlf-event", "look\r\nevent: turn.completed\r\ndata: {}\r\n\r\naround"),
    ("rtl", "look \u202earound"),
    ("zero-width", "lo\u200bok a\u200dround\ufeff"),
    ("tags", "look around\U000e0049\U000e0047\U000e004e\U000e004f\U000e0052\U000e0045"),
]


@pytest.mark.parametrize(("label", "message"), NASTY, ids=[n for n, _ in NASTY])
def test_nasty_characters_keep_framing_storage_and_model_view(
    app: Flask, label: str, message: str
) -> None:
    """No 500; the SSE framing stays intact; what is stored round-trips; the model sees
    no invisible control characters."""
    client = app.test_client()
    gid = client.post("/api/games", json={}).get_json()["id"]
    resp = client.post(f"/api/games/{gid}/turns", json={"message": message}, headers=SSE)
    assert resp.status_code == 200
    events = parse_sse(resp.get_data(as_text=True))
    names = [n for n, _ in events]
    assert names[0] == "turn.started" and names[-1] == "turn.completed"
    assert names.count("turn.completed") == 1
    stored = client.get(f"/api/games/{gid}").get_json()["turns"][0]["player_message"]
    assert stored == storable_text(message).strip()
    seen = json.dumps(
        [
            r["body"].get("messages")
            for r in app.extensions["game_master"].narrator.requests
            if isinstance(r["body"], dict)
        ],
        ensure_ascii=False,
    )
    for ch in ("\x00", "\u202e", "\u200b", "\u200d", "\ufeff", "\U000e0049"):
        assert ch not in seen, repr(ch)


def test_lone_surrogates_do_not_break_anything(app: Flask) -> None:
    """A JSON body with a lone surrogate escape is stored (as U+FFFD) and played."""
    client = app.test_client()
    gid = client.post("/api/games", json={}).get_json()["id"]
    body = '{"message": "look \\ud800 around"}'
    resp = client.post(f"/api/games/{gid}/turns", data=body, content_type="application/json")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    stored = client.get(f"/api/games/{gid}").get_json()["turns"][0]["player_message"]
    assert stored == "look \ufffd around"


# ---------------------------------------------------------------------- cross-site


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Origin": "https://evil.example"}, 403),
        ({"Sec-Fetch-Site": "cross-site"}, 403),
        ({"Sec-Fetch-Site": "same-site"}, 403),
    ],
)
def test_cross_site_writes_are_refused(app: Flask, headers: dict[str, str], status: int) -> None:
    """Another site's page cannot create, play or rate games here."""
    client = app.test_client()
    assert client.post("/api/games", json={}, headers=headers).status_code == status
    gid = client.post("/api/games", json={}).get_json()["id"]
    resp = client.post(f"/api/games/{gid}/turns", json={"message": "look"}, headers=headers)
    assert resp.status_code == status
    assert resp.get_json()["error"]["code"] == "forbidden"


def test_a_simple_form_post_from_another_site_is_refused(app: Flask) -> None:
    """text/plain (a CORS "simple" request) never reaches the game: 415."""
    client = app.test_client()
    gid = client.post("/api/games", json={}).get_json()["id"]
    resp = client.post(
        f"/api/games/{gid}/turns", data='{"message": "look"}', content_type="text/plain"
    )
    assert resp.status_code == 415


def test_a_browser_game_belongs_to_that_browser(app: Flask) -> None:
    """Same-origin requests with the owner's cookie see the game; another browser gets 404."""
    mine, theirs = app.test_client(), app.test_client()
    browser = {"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"}
    resp = mine.post("/api/games", json={}, headers=browser)
    assert resp.status_code == 201
    assert "HttpOnly" in resp.headers["Set-Cookie"]
    gid = resp.get_json()["id"]
    assert mine.get(f"/api/games/{gid}").status_code == 200
    assert theirs.get(f"/api/games/{gid}").status_code == 404
    play = theirs.post(f"/api/games/{gid}/turns", json={"message": "look"}, headers=browser)
    assert play.status_code == 404
    assert (
        mine.post(f"/api/games/{gid}/turns", json={"message": "look"}, headers=browser).status_code
        == 200
    )


# ---------------------------------------------------------------------- floods


def test_a_flood_gets_429_with_retry_after(make_app: Callable[..., Flask]) -> None:
    """Past the per-minute limit a client gets 429 and Retry-After; others are unaffected."""
    client = make_app(GM_RATE_GAMES_PER_MIN="3", GM_RATE_LIMIT_LOOPBACK="1").test_client()
    codes = [client.post("/api/games", json={}).status_code for _ in range(5)]
    assert codes == [201, 201, 201, 429, 429]
    resp = client.post("/api/games", json={})
    assert resp.get_json()["error"]["code"] == "rate_limited"
    assert 1 <= int(resp.headers["Retry-After"]) <= 61
    other = client.post("/api/games", json={}, environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert other.status_code == 201


def test_loopback_is_not_limited_by_default(make_app: Callable[..., Flask]) -> None:
    """Local tools (and a same-host proxy without GM_PROXY_FIX) are not throttled as one."""
    client = make_app(GM_RATE_GAMES_PER_MIN="2").test_client()
    assert [client.post("/api/games", json={}).status_code for _ in range(4)] == [201] * 4
    remote = {"REMOTE_ADDR": "198.51.100.7"}
    codes = [client.post("/api/games", json={}, environ_base=remote).status_code for _ in range(3)]
    assert codes == [201, 201, 429]


@pytest.mark.redis
def test_limits_are_shared_across_workers_through_redis(
    make_app: Callable[..., Flask], tmp_path: Any
) -> None:
    """Two workers (two apps) with one REDIS_URL count a client's requests together."""
    import uuid

    addr = {"REMOTE_ADDR": f"10.{uuid.uuid4().int % 250}.1.1"}
    limits = {"REDIS_URL": REDIS_URL, "GM_RATE_GAMES_PER_MIN": "3"}
    a = make_app(tmp_path / "a", **limits).test_client()
    b = make_app(tmp_path / "b", **limits).test_client()
    codes = [c.post("/api/games", json={}, environ_base=addr).status_code for c in (a, b, a, b)]
    assert codes == [201, 201, 201, 429]


# ---------------------------------------------------------------------- database


def test_a_locked_database_is_503_with_retry_advice(make_app: Callable[..., Flask]) -> None:
    """Another writer holds SQLite: the request waits the busy timeout, then 503 — never a
    500 "database is locked" — and works again afterwards."""
    app = make_app(GM_DB_BUSY_TIMEOUT_MS="300")
    client = app.test_client()
    gid = client.post("/api/games", json={}).get_json()["id"]
    path = app.extensions["game_master"].store.url.removeprefix("sqlite:///")
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        started = time.monotonic()
        resp = client.post(f"/api/games/{gid}/turns", json={"message": "look"})
        assert resp.status_code == 503
        assert resp.get_json()["error"]["code"] == "store_busy"
        assert resp.headers["Retry-After"]
        assert time.monotonic() - started >= 0.25
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert client.post(f"/api/games/{gid}/turns", json={"message": "look"}).status_code == 200


# ---------------------------------------------------------------------- streams


def test_heartbeats_keep_a_quiet_stream_alive(make_app: Callable[..., Flask]) -> None:
    """While the model is silent the stream sends SSE comments (every 15 s by default)."""
    app = make_app(GM_SSE_HEARTBEAT_S="0.2", GM_OFFLINE_FIRST_TOKEN_MS="900")
    client = app.test_client()
    gid = client.post("/api/games", json={}).get_json()["id"]
    body = client.post(f"/api/games/{gid}/turns", json={"message": "look"}, headers=SSE).get_data(
        as_text=True
    )
    assert ": heartbeat\n\n" in body
    assert parse_sse(body)[-1][0] == "turn.completed"
