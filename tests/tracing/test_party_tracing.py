"""Traces of party play: a resolved round is one ``turn`` span with one ``player_action``
child per seat (player id, character; a pass too), and an acting client's
``x-bt-parent-span`` continues into its action's span."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from flask import Flask

import tracing

from .test_tracing import name, parent, spans  # noqa: F401  (spans is a fixture)


def test_a_round_is_one_turn_span_with_a_child_per_action(
    spans: Callable[[], dict[str, dict[str, Any]]],  # noqa: F811
    app: Flask,
) -> None:
    client = app.test_client()
    made = client.post("/api/games", json={"character": {"name": "Mara", "class": "fighter"}})
    gid, host = made.get_json()["id"], made.get_json()["credential"]
    bearer = {"Authorization": f"Bearer {host}"}
    token = client.post(f"/api/games/{gid}/invites", json={"role": "player"}, headers=bearer)
    joined = client.post(
        f"/api/invites/{token.get_json()['token']}/join",
        json={"character": {"name": "Odo", "class": "wizard"}},
    ).get_json()
    for extra in ("Kit",):
        invite = client.post(f"/api/games/{gid}/invites", json={"role": "player"}, headers=bearer)
        client.post(
            f"/api/invites/{invite.get_json()['token']}/join",
            json={"character": {"name": extra, "class": "rogue"}},
        )
    with tracing.get_logger().start_span(name="client_turn") as outer:
        exported = outer.export()
        outer_id = outer.span_id
    odo = {"Authorization": f"Bearer {joined['credential']}", "x-bt-parent-span": exported}
    assert (
        client.post(
            f"/api/games/{gid}/actions", json={"message": "I cast light"}, headers=odo
        ).status_code
        == 202
    )
    client.post(f"/api/games/{gid}/actions", json={"message": "I draw my sword"}, headers=bearer)
    assert client.post(f"/api/games/{gid}/rounds/1/resolve", headers=bearer).status_code == 202
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        turns = client.get(f"/api/games/{gid}", headers=bearer).get_json()["turns"]
        if turns and turns[-1]["status"] == "completed":
            break
        time.sleep(0.05)  # polling a condition with a deadline
    turn_id = turns[-1]["id"]

    logged = spans()
    [turn] = [
        s for s in logged.values() if name(s) == "turn" and s["metadata"]["turn_id"] == turn_id
    ]
    children = [
        s for s in logged.values() if name(s) == "player_action" and parent(s) == turn["span_id"]
    ]
    by_character = {c["metadata"]["character"]: c for c in children}
    assert sorted(by_character) == ["Kit", "Mara", "Odo"]
    assert by_character["Odo"]["metadata"]["player_id"] == joined["player"]["id"]
    assert by_character["Odo"]["input"] == "I cast light"
    assert by_character["Kit"]["metadata"]["passed"] is True
    # Odo's client trace continues into Odo's action span, which the round's child names.
    [submitted] = [
        s for s in logged.values() if name(s) == "player_action" and parent(s) == outer_id
    ]
    assert submitted["input"] == "I cast light"
    assert by_character["Odo"]["metadata"]["client_span"]
    assert by_character["Mara"]["metadata"]["client_span"] is None
