"""A turn whose model fails: the SSE stream ends in an ``error`` event, the message is kept."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask

from game_master.testing import new_game, parse_sse
from game_master.testing.stubs import Fault, FaultStub


@pytest.fixture
def failing_model() -> Iterator[str]:
    """A Messages endpoint that answers every game request with HTTP 500; yields its URL."""
    stub = FaultStub(lambda n: Fault(500))
    try:
        yield stub.start()
    finally:
        stub.stop()


def test_failed_turn_streams_an_error_event_and_keeps_the_message(
    make_app: Callable[..., Flask], failing_model: str
) -> None:
    """On the wire: turn.started ... then ``event: error`` with JSON code and message, and
    no turn.completed; GET the game: the turn is there, failed, with the player's message."""
    app = make_app(
        ANTHROPIC_BASE_URL=failing_model,
        ANTHROPIC_API_KEY="stub-key",
        GM_MODEL_MAX_RETRIES="0",
        GM_TURN_TIMEOUT_S="40",
    )
    client = app.test_client()
    gid = new_game(client)
    resp = client.post(
        f"/api/games/{gid}/turns",
        json={"message": "take the bread"},
        headers={"Accept": "text/event-stream"},
    )
    assert resp.status_code == 200 and resp.mimetype == "text/event-stream"
    body = resp.get_data(as_text=True)
    events = parse_sse(body)
    names = [name for name, _ in events]
    assert names[0] == "turn.started", names
    assert names[-1] == "error", names
    assert "turn.completed" not in names
    assert "\nevent: error\ndata: {" in "\n" + body
    error = events[-1][1]
    assert error["code"] in ("agent_unavailable", "turn_timeout"), error
    assert isinstance(error["message"], str) and error["message"].strip()
    assert "Traceback" not in error["message"]

    game = client.get(f"/api/games/{gid}").get_json()
    [turn] = game["turns"]
    assert turn["id"] == events[0][1]["turn_id"]
    assert (turn["player_message"], turn["status"]) == ("take the bread", "failed")
