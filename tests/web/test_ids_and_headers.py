"""Odd input at the edges: malformed ids, a malformed parent-span header, relayed debug calls."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from flask import Flask

from game_master.testing import BraintrustRecorder, Gunicorn

GOOD = "0123456789abcdef0123456789abcdef"
BAD_IDS = ["nope", "%00", GOOD.upper(), GOOD + "0", GOOD[:-1] + "g", "a%00b" + GOOD[5:]]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_malformed_ids_are_404_before_any_database_call(
    app: Flask, monkeypatch: pytest.MonkeyPatch, bad: str
) -> None:
    """Every id in a URL must be 32 lowercase hex characters; the store is never asked."""
    store = app.extensions["game_master"].store

    def no_db(*args: object, **kwargs: object) -> None:
        raise AssertionError("the database was asked about a malformed id")

    client = app.test_client()
    gid = client.post("/api/games", json={}).get_json()["id"]
    monkeypatch.setattr(store, "_tx", no_db)
    cases = [
        ("get", f"/api/games/{bad}", "game_not_found"),
        ("post", f"/api/games/{bad}/turns", "game_not_found"),
        ("get", f"/api/games/{bad}/branches", "game_not_found"),
        ("post", f"/api/games/{gid}/turns/{bad}/retry", "turn_not_found"),
        ("post", f"/api/games/{gid}/turns/{bad}/feedback", "turn_not_found"),
        ("post", f"/api/games/{gid}/turns/{bad}/choose", "turn_not_found"),
        ("post", f"/api/games/{gid}/branches/{bad}/activate", "branch_not_found"),
    ]
    for method, path, code in cases:
        resp = getattr(client, method)(path, json={"message": "x"})
        assert resp.status_code == 404, (path, resp.status_code)
        assert resp.get_json()["error"]["code"] == code, path


@pytest.fixture
def recorder() -> Iterator[BraintrustRecorder]:
    """A Braintrust stand-in on loopback."""
    with BraintrustRecorder() as rec:
        yield rec


MALFORMED_PARENTS = ["garbage", "%%%", "AAAA", "x" * 5000]


def test_a_malformed_parent_span_header_is_ignored_with_one_warning(
    tmp_path: Path, recorder: BraintrustRecorder
) -> None:
    """Turns with a malformed x-bt-parent-span play (traced under the game's root); each
    header costs one warning in the log, never the turn."""
    server = Gunicorn(tmp_path / "data", **recorder.env(), BRAINTRUST_PROJECT="gm-ids").start()
    try:
        gid = requests.post(f"{server.url}/api/games", json={}, timeout=10).json()["id"]
        for header in MALFORMED_PARENTS:
            resp = requests.post(
                f"{server.url}/api/games/{gid}/turns",
                json={"message": "look around"},
                headers={"x-bt-parent-span": header},
                timeout=60,
            )
            assert resp.status_code == 200, resp.text
            assert resp.json()["trace"], "the turn was not traced"
    finally:
        server.stop()
    warnings = [ln for ln in server.log.read_text().splitlines() if "x-bt-parent-span" in ln]
    assert len(warnings) == len(MALFORMED_PARENTS), warnings


RELAYED = [
    {"X-Forwarded-For": "203.0.113.5"},
    {"Forwarded": "for=203.0.113.5"},
    {"X-Real-IP": "203.0.113.5"},
    {"X-Forwarded-Host": "game.example"},
    {"Via": "1.1 nginx"},
]


@pytest.mark.parametrize("headers", RELAYED, ids=[next(iter(h)) for h in RELAYED])
def test_debug_endpoints_are_closed_to_relayed_requests(
    make_app: Callable[..., Flask], headers: dict[str, str]
) -> None:
    """Any relaying header means "not loopback": 403 without the token, 200 with it."""
    app = make_app(GM_DEBUG_TOKEN="debug-secret")
    client = app.test_client()
    assert client.get("/debug/tracing").status_code == 200, "a direct loopback call"
    assert client.get("/debug/tracing", headers=headers).status_code == 403
    assert client.get("/debug/tracing?flush=true", headers=headers).status_code == 403
    with_token = {**headers, "Authorization": "Bearer debug-secret"}
    assert client.get("/debug/tracing", headers=with_token).status_code == 200


@pytest.mark.parametrize("bad", BAD_IDS)
def test_a_malformed_game_address_is_the_html_not_your_game_page(
    app: Flask, monkeypatch: pytest.MonkeyPatch, bad: str
) -> None:
    """/games/<not an id> is the page's own 404 (HTML, no story), never the API's JSON, and
    the database is not asked."""
    store = app.extensions["game_master"].store

    def no_db(*args: object, **kwargs: object) -> None:
        raise AssertionError("the database was asked about a malformed id")

    monkeypatch.setattr(store, "_tx", no_db)
    monkeypatch.setattr(store, "reap_dead_turns", no_db)
    resp = app.test_client().get(f"/games/{bad}")
    assert resp.status_code == 404
    assert resp.content_type.startswith("text/html")
    assert "Not your game" in resp.get_data(as_text=True)
