"""game_master/events.py is the one home of a turn's events: every event is listed there, the
OpenAPI document types exactly those, the README names them, and the JSON answer of a turn
carries each one (tests/browser/test_event_table.py holds the page's table to the same set)."""

from __future__ import annotations

from typing import Any

from flask import Flask

from game_master.events import (
    EVENT_NAMES,
    EVENTS,
    GameEvent,
    StateEvent,
    TextDelta,
    ToolEvent,
    TurnCompleted,
    TurnError,
    TurnStarted,
    turn_answer,
)
from game_master.openapi import document
from game_master.testing import REPO

# One of each event, as a turn would send them.
SAMPLES: list[GameEvent] = [
    TurnStarted(turn_id="t1", number=3),
    TextDelta(delta="You look around. "),
    ToolEvent("look", {}, {"name": "Village Square"}, False),
    TextDelta(delta="Rain falls."),
    StateEvent(state={"character": {"name": "Ada"}, "location": {}, "inventory": []}),
    TurnCompleted(
        turn_id="t1",
        narration="You look around. Rain falls.",
        usage={"input_tokens": 9},
        trace={"id": "span"},
        tool_calls=[{"name": "look", "input": {}, "result": {}, "is_error": False}],
        duration_ms=12.5,
    ),
]


def all_subclasses(cls: type) -> set[type]:
    """Every class deriving from ``cls``, however deep."""
    found = set(cls.__subclasses__())
    return found.union(*(all_subclasses(c) for c in found))


def test_every_event_class_is_listed_once() -> None:
    assert set(EVENTS) == all_subclasses(GameEvent)
    assert len(set(EVENT_NAMES)) == len(EVENT_NAMES) == len(EVENTS)


def test_the_document_types_exactly_these_events() -> None:
    play = document()["paths"]["/api/games/{game_id}/turns"]["post"]
    stream = play["responses"]["200"]["content"]["text/event-stream"]
    assert sorted(stream["x-sse-events"]) == sorted(EVENT_NAMES)
    for name in EVENT_NAMES:
        assert f"`{name}`" in stream["schema"]["description"], name


def test_the_readme_names_every_event() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name in EVENT_NAMES:
        assert f"`{name}`" in readme, name


def test_the_json_answer_carries_every_event() -> None:
    """Each event leaves its mark on the answer: dropping it from a stream changes what the
    answer says (turn.completed gives the stored narration and tool calls, so what streamed
    shows in a stream that ends another way)."""
    streamed = [e for e in SAMPLES if not isinstance(e, TurnCompleted)]
    streams = [SAMPLES, streamed, [*streamed, TurnError("turn_timeout", "Too slow.")]]
    for kind in EVENTS:
        marks = [
            turn_answer(stream)[0] != turn_answer(e for e in stream if not isinstance(e, kind))[0]
            for stream in streams
            if any(isinstance(e, kind) for e in stream)
        ]
        assert any(marks), f"the JSON answer drops {kind.name}"

    whole, end = turn_answer(SAMPLES)
    assert isinstance(end, TurnCompleted)
    assert (whole["turn_id"], whole["number"]) == ("t1", 3)
    assert whole["narration"] == "You look around. Rain falls."
    assert whole["state"]["character"]["name"] == "Ada"
    assert whole["usage"] == {"input_tokens": 9} and whole["duration_ms"] == 12.5
    partial, end = turn_answer(streamed)
    assert end is None and partial["narration"] == "You look around. Rain falls."
    assert partial["tool_calls"] == [SAMPLES[2].to_dict()]


def test_the_json_answer_of_a_failed_turn_carries_the_error() -> None:
    answer, end = turn_answer([TurnStarted(turn_id="t2", number=1), TurnError("boom", "No.")])
    assert isinstance(end, TurnError)
    assert answer["turn_id"] == "t2" and answer["error"] == {"code": "boom", "message": "No."}
    answer, end = turn_answer([TextDelta(delta="cut off")])
    assert end is None and answer["narration"] == "cut off"


def test_the_json_answer_of_a_played_turn_matches_its_stream(app: Flask) -> None:
    """Over HTTP (the real CLI and offline narrator): the JSON answer has the turn's number
    (from turn.started), its tool calls, narration and state."""
    client = app.test_client()
    gid = client.post("/api/games", json={}).get_json()["id"]
    answer: dict[str, Any] = client.post(
        f"/api/games/{gid}/turns", json={"message": "take the bread"}
    ).get_json()
    assert answer["number"] == 1
    assert [c["name"] for c in answer["tool_calls"]] == ["take_item"]
    assert "bread" in [i["id"] for i in answer["state"]["inventory"]]
    assert answer["narration"]


def test_the_table_stream_types_exactly_the_table_events() -> None:
    """The table stream (party play) types its own events and a round's turn events, named
    once in events.py; the README names the table's own events too."""
    from game_master.events import TABLE_EVENT_NAMES, TABLE_EVENTS

    stream = document()["paths"]["/api/games/{game_id}/events"]["get"]["responses"]["200"]
    content = stream["content"]["text/event-stream"]
    assert sorted(content["x-sse-events"]) == sorted(TABLE_EVENT_NAMES)
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name in TABLE_EVENTS:
        assert f"`{name}`" in content["schema"]["description"], name
        assert f"`{name}`" in readme, name
