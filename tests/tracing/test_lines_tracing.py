"""Traces of lines of play: each telling its own turn span, preferences as feedback on both,
a rewind as a span under the game's root, and chapters and arcs as spans there too."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from game_master import chapters
from game_master.testing import chapter_per_turn_budget, new_game, play

from .test_tracing import name, parent, spans  # noqa: F401  (spans is a fixture)


def turn_spans(logged: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Turn spans by turn id."""
    return {s["metadata"]["turn_id"]: s for s in logged.values() if name(s) == "turn"}


def test_tellings_preferences_and_rewinds_are_traced(
    spans: Callable[[], dict[str, dict[str, Any]]],  # noqa: F811
    app: Flask,
) -> None:
    """A retry is a turn span linked to the first telling; playing on from it logs the
    preference on both spans (1 chosen, 0 not, each naming the other); a rewind is a span."""
    client = app.test_client()
    gid = new_game(client)
    play(client, gid, "look around")
    first = play(client, gid, "take the bread")
    resp = client.post(f"/api/games/{gid}/turns/{first['turn_id']}/retry", json={})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    second = resp.get_json()
    assert second["alternative"] == {"index": 2, "count": 2, "of": first["turn_id"]}
    play(client, gid, "look around")  # plays on from the second telling: a preference

    logged = spans()
    turns = turn_spans(logged)
    retold = turns[second["turn_id"]]["metadata"]
    assert retold["alternative_of"] == first["turn_id"] and retold["alternative_index"] == 1
    game = client.get(f"/api/games/{gid}").get_json()
    assert retold["branch_id"] == game["line"]["branch_id"]
    assert turns[first["turn_id"]]["metadata"]["alternative_of"] is None

    chosen_id, rejected_id = second["trace"]["id"], first["trace"]["id"]
    # Feedback merges into the rated span; its metadata is kept as the audit metadata.
    feedback = sorted(
        (
            (s["id"], s["scores"]["preferred"], s.get("_audit_metadata"))
            for s in logged.values()
            if "preferred" in (s.get("scores") or {})
        ),
        key=lambda f: -f[1],
    )
    assert feedback == [
        (chosen_id, 1, {"rejected_span_id": rejected_id, "game_id": gid}),
        (rejected_id, 0, {"chosen_span_id": chosen_id, "game_id": gid}),
    ]

    resp = client.post(f"/api/games/{gid}/rewind", json={"to_turn": 1})
    assert resp.status_code == 200
    logged = spans()
    [rewind] = [s for s in logged.values() if name(s) == "rewind"]
    [root] = [s for s in logged.values() if name(s) == "game"] or [None]
    assert rewind["input"] == {"to_turn": 1}
    assert rewind["output"]["branch_id"] == resp.get_json()["line"]["branch_id"]
    assert rewind["root_span_id"] == turns[first["turn_id"]]["root_span_id"]
    if root is not None:
        assert parent(rewind) == root["span_id"]


def test_a_chapter_close_is_a_span_and_turns_carry_their_chapter(
    spans: Callable[[], dict[str, dict[str, Any]]],  # noqa: F811
    make_app: Callable[..., Flask],
) -> None:
    """A closed chapter is a ``chapter`` span in the game's trace with its summary as output;
    each turn's span has its chapter number and the context size the SDK reported."""
    app = make_app(GM_CONTEXT_BUDGET_TOKENS=chapter_per_turn_budget())
    client = app.test_client()
    gid = new_game(client)
    first = play(client, gid, "look around")
    deadline = time.monotonic() + 10
    while not client.get(f"/api/games/{gid}").get_json()["chronicle"]:
        assert time.monotonic() < deadline, "no chapter closed"
        time.sleep(0.05)
    [chapter] = client.get(f"/api/games/{gid}").get_json()["chronicle"]
    logged = spans()
    [span] = [s for s in logged.values() if name(s) == "chapter"]
    assert span["output"] == chapter["summary"]
    assert span["metadata"]["chapter"] == 1 and span["metadata"]["summary_source"] == "log"
    turn = turn_spans(logged)[first["turn_id"]]
    assert span["root_span_id"] == turn["root_span_id"]
    assert turn["metadata"]["chapter"] == 1
    assert turn["metadata"]["context_tokens"] >= int(chapter_per_turn_budget())
    second = play(client, gid, "take the bread")  # played in chapter 2, which it closes
    deadline = time.monotonic() + 10
    while len(client.get(f"/api/games/{gid}").get_json()["chronicle"]) < 2:
        assert time.monotonic() < deadline, "the second chapter did not close"
        time.sleep(0.05)
    assert turn_spans(spans())[second["turn_id"]]["metadata"]["chapter"] == 2


def test_an_arc_is_a_span_under_the_game(
    spans: Callable[[], dict[str, dict[str, Any]]],  # noqa: F811
    make_app: Callable[..., Flask],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Chapters rolled into an arc (two at a time here) are an ``arc`` span in the game's
    trace: the arc's summary its output, its level, chapters and turns its metadata."""
    monkeypatch.setattr(chapters, "ARC_SPAN", 2)
    monkeypatch.setattr(chapters, "KEEP_CHAPTERS", 1)
    # A chapter closes every turn.
    app = make_app(GM_CONTEXT_BUDGET_TOKENS=chapter_per_turn_budget())
    client = app.test_client()
    gid = new_game(client)
    first = play(client, gid, "look around")
    svc = app.extensions["game_master"]
    for message in ("take the bread", "go east"):
        play(client, gid, message)
    deadline = time.monotonic() + 10
    while not svc.store.arcs(gid):
        assert time.monotonic() < deadline, "no arc rolled up"
        time.sleep(0.05)
    [arc] = svc.store.arcs(gid)
    [span] = [s for s in spans().values() if name(s) == "arc"]
    assert span["output"] == arc.summary
    assert span["input"] == {"level": 1, "first_chapter": 1, "last_chapter": 2}
    assert span["metadata"]["last_turn"] == arc.last_turn
    assert span["metadata"]["summary_source"] == "log"
    assert span["root_span_id"] == first["trace"]["root_span_id"]
