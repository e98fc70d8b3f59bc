"""Rate limits on Flask-Limiter: the contract's 429, buckets, and a Redis outage."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from flask import Flask

from game_master.testing import free_port

REMOTE = {"REMOTE_ADDR": "203.0.113.9"}


def test_429_is_contract_json_with_retry_after(make_app: Callable[..., Flask]) -> None:
    """The breach answers ``rate_limited`` JSON, Retry-After within the minute window."""
    client = make_app(GM_RATE_API_PER_MIN="2").test_client()
    gid = client.post("/api/games", json={}, environ_base=REMOTE).get_json()["id"]
    codes = [client.get(f"/api/games/{gid}", environ_base=REMOTE).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    resp = client.get(f"/api/games/{gid}/branches", environ_base=REMOTE)  # the same bucket
    assert resp.status_code == 429
    assert resp.get_json()["error"]["code"] == "rate_limited"
    assert 1 <= int(resp.headers["Retry-After"]) <= 61
    assert client.get("/healthz", environ_base=REMOTE).status_code == 200  # never limited


def test_play_and_retry_share_the_turn_limit(make_app: Callable[..., Flask]) -> None:
    """A turn and a retold turn both start the model: they count together."""
    client = make_app(GM_RATE_TURNS_PER_MIN="2").test_client()
    gid = client.post("/api/games", json={}, environ_base=REMOTE).get_json()["id"]
    turn = client.post(f"/api/games/{gid}/turns", json={"message": "look"}, environ_base=REMOTE)
    tid = turn.get_json()["turn_id"]
    assert (
        client.post(f"/api/games/{gid}/turns/{tid}/retry", environ_base=REMOTE).status_code == 200
    )
    again = client.post(f"/api/games/{gid}/turns", json={"message": "look"}, environ_base=REMOTE)
    assert again.status_code == 429
    assert client.get(f"/api/games/{gid}", environ_base=REMOTE).status_code == 200


def test_a_redis_outage_lets_requests_through_and_is_logged(
    make_app: Callable[..., Flask], caplog: pytest.LogCaptureFixture
) -> None:
    """With REDIS_URL pointing nowhere, nobody is refused and the failure is logged."""
    down = f"redis://127.0.0.1:{free_port()}/0"
    client = make_app(REDIS_URL=down, GM_RATE_GAMES_PER_MIN="1").test_client()
    with caplog.at_level(logging.WARNING):
        codes = [client.post("/api/games", json={}, environ_base=REMOTE).status_code for _ in "ab"]
    assert codes == [201, 201]
    assert any(r.name == "flask-limiter" for r in caplog.records)
