"""Retry, rewind and lines of play over HTTP, through the real CLI and offline narrator,
on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from game_master.service import GameService
from game_master.testing import new_game, parse_sse, play


@pytest.fixture(params=["sqlite", "postgresql"])
def line_app(request: pytest.FixtureRequest, make_app: Callable[..., Flask]) -> Flask:
    """An offline app on SQLite or on PostgreSQL."""
    if request.param == "postgresql":
        return make_app(DATABASE_URL=request.getfixturevalue("pg_url"))
    return make_app()


def game(client: FlaskClient, gid: str) -> dict[str, Any]:
    """The game JSON."""
    resp = client.get(f"/api/games/{gid}")
    assert resp.status_code == 200
    return dict(resp.get_json())


def items(view: dict[str, Any]) -> list[str]:
    """Ids of the items the character carries."""
    return [i["id"] for i in view["inventory"]]


def lying_here(view: dict[str, Any]) -> list[str]:
    """Ids of the items at the character's location."""
    return [i["id"] for i in view["location"]["items"]]


def model_requests(app: Flask) -> list[str]:
    """Every Messages request the narrator received, as JSON text, oldest first."""
    svc: GameService = app.extensions["game_master"]
    assert svc.narrator is not None
    return [json.dumps(r["body"]) for r in svc.narrator.requests if r["path"].startswith("/v1/")]


def test_rewind_puts_the_item_back_and_keeps_the_later_turns_as_a_line(line_app: Flask) -> None:
    """Take the bread, rewind before it: the bread lies where it was, the pack is empty, the
    model no longer sees the take, and the abandoned line comes back when switched to."""
    client = line_app.test_client()
    gid = new_game(client)
    play(client, gid, "look around")
    play(client, gid, "take the bread")
    assert "bread" in items(game(client, gid))

    resp = client.post(f"/api/games/{gid}/rewind", json={"to_turn": 1})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    view = resp.get_json()
    assert [t["number"] for t in view["turns"]] == [1]
    assert items(view) == [] and "bread" in lying_here(view)
    assert view["line"]["length"] == 1

    seen = len(model_requests(line_app))
    play(client, gid, "look around")
    later = model_requests(line_app)[seen:]
    assert later and all("take the bread" not in body for body in later)

    lines = client.get(f"/api/games/{gid}/branches").get_json()
    assert [b["active"] for b in lines] == [True, False]
    old = lines[1]
    assert old["turns"] == 2 and old["last_message"] == "take the bread"
    view = client.post(f"/api/games/{gid}/branches/{old['id']}/activate").get_json()
    assert "bread" in items(view) and [t["number"] for t in view["turns"]] == [1, 2]
    # The old line's story goes on where it stopped: its CLI conversation has the take.
    seen = len(model_requests(line_app))
    play(client, gid, "look around")
    assert any("take the bread" in body for body in model_requests(line_app)[seen:])


def test_retry_tells_the_turn_again_from_the_state_before_it(line_app: Flask) -> None:
    """A retry is a new telling from the state before the turn; both are kept; flipping
    back restores the first telling's state; playing on records the preference."""
    client = line_app.test_client()
    gid = new_game(client)
    play(client, gid, "look around")
    first = play(client, gid, "take the bread")
    assert "bread" in items(game(client, gid))

    resp = client.post(
        f"/api/games/{gid}/turns/{first['turn_id']}/retry",
        headers={"Accept": "text/event-stream"},
    )
    assert resp.status_code == 200
    events = parse_sse(resp.get_data(as_text=True))
    assert [e for e, _ in events][0] == "turn.started" and events[-1][0] == "turn.completed"
    second = events[-1][1]
    assert second["turn_id"] != first["turn_id"]
    assert second["narration"] != first["narration"]
    takes = [d for e, d in events if e == "tool" and d["name"] == "take_item"]
    assert takes and not takes[0]["is_error"], "the bread was back on the ground to take"

    view = game(client, gid)
    last = view["turns"][-1]
    assert [t["number"] for t in view["turns"]] == [1, 2]
    assert last["id"] == second["turn_id"]
    assert last["alternatives"]["index"] == 2 and last["alternatives"]["count"] == 2
    assert last["alternatives"]["ids"] == [first["turn_id"], second["turn_id"]]

    # Flip back to the first telling: its state (bread carried) is current again.
    view = client.post(f"/api/games/{gid}/turns/{first['turn_id']}/choose").get_json()
    assert view["turns"][-1]["id"] == first["turn_id"] and "bread" in items(view)
    svc: GameService = line_app.extensions["game_master"]
    assert svc.store.preferences(gid) == []  # flipping is not yet a choice

    play(client, gid, "look around")
    [pref] = svc.store.preferences(gid)
    assert pref["chosen_turn_id"] == first["turn_id"]
    assert pref["rejected_turn_id"] == second["turn_id"]


def test_only_the_latest_turn_can_be_retold(client: FlaskClient) -> None:
    """Retrying an earlier turn is a 409 with a code; the game is unchanged."""
    gid = new_game(client)
    first = play(client, gid, "look around")
    play(client, gid, "take the bread")
    resp = client.post(f"/api/games/{gid}/turns/{first['turn_id']}/retry", json={})
    assert resp.status_code == 409
    assert resp.get_json()["error"]["code"] == "not_latest_turn"
    assert "bread" in items(game(client, gid))


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"to_turn": 3}, 400),
        ({"to_turn": -1}, 400),
        ({"to_turn": "1"}, 400),
        ({"to_turn": 1.5}, 400),
        ({"to_turn": True}, 400),
        ({}, 400),
        ([], 400),
    ],
)
def test_bad_rewinds_are_refused(client: FlaskClient, body: Any, status: int) -> None:
    """Past the end, negative or not a whole number: 400 in the contract's JSON."""
    gid = new_game(client)
    play(client, gid, "look around")
    resp = client.post(f"/api/games/{gid}/rewind", json=body)
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.get_json()["error"]["code"] == "invalid_input"
    assert len(game(client, gid)["turns"]) == 1


def test_unknown_lines_and_turns(client: FlaskClient) -> None:
    """An unknown branch or turn is a 404."""
    gid = new_game(client)
    resp = client.post(f"/api/games/{gid}/branches/nope/activate")
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "branch_not_found"
    resp = client.post(f"/api/games/{gid}/turns/nope/retry", json={})
    assert resp.status_code == 404


def test_rewind_to_the_start_and_page_through_a_line(client: FlaskClient) -> None:
    """Rewind to 0 empties the line; paging returns every turn of a line exactly once."""
    gid = new_game(client)
    for message in ["look around", "take the bread", "go east", "look around", "go west"]:
        play(client, gid, message)
    seen: list[int] = []
    before = None
    while True:
        query = f"?limit=2&before={before}" if before else "?limit=2"
        page = client.get(f"/api/games/{gid}/turns{query}").get_json()
        seen += [t["number"] for t in page["turns"]]
        before = page["next_before"]
        if before is None:
            break
    assert seen == [5, 4, 3, 2, 1]
    assert client.get(f"/api/games/{gid}/turns?limit=0").status_code == 400
    view = client.post(f"/api/games/{gid}/rewind", json={"to_turn": 0}).get_json()
    assert view["turns"] == [] and items(view) == []
    play(client, gid, "look around")
    assert [t["number"] for t in game(client, gid)["turns"]] == [1]
