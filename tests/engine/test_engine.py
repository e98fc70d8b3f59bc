"""The engine through the real bundled CLI against the offline narrator (no Flask)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask

from game_master.events import StateEvent, TextDelta, ToolEvent, TurnCompleted, TurnStarted
from game_master.offline import Reply
from game_master.service import GameService
from game_master.store.session import SqlSessionStore
from game_master.testing.stubs import ScriptedStub, result_text, tool_results
from game_master.tools import TOOLS


def service_of(app: Flask) -> GameService:
    """The app's GameService."""
    return app.extensions["game_master"]


def play(svc: GameService, game_id: str, message: str) -> list[Any]:
    """All events of one turn, asserting it completed."""
    events = list(svc.start_turn(game_id, message).events(timeout=60))
    assert isinstance(events[-1], TurnCompleted), events[-1]
    return events


def new_game(svc: GameService, cls: str = "fighter") -> str:
    """A fresh game's id."""
    return svc.create_game({"character": {"name": "Ada", "class": cls}}).id


def test_three_turns_change_state_through_tools(app: Flask) -> None:
    """Look, an ability check and an item pickup: events in order, state changed by tools."""
    svc = service_of(app)
    gid = new_game(svc)

    events = play(svc, gid, "look around")
    assert isinstance(events[0], TurnStarted)
    assert isinstance(events[-2], StateEvent)
    assert any(isinstance(e, TextDelta) for e in events)
    assert "Village Square" in events[-1].narration

    events = play(svc, gid, "sneak past the villagers")
    checks = [e for e in events if isinstance(e, ToolEvent) and e.tool == "ability_check"]
    assert checks and not checks[0].is_error
    result = checks[0].result
    assert result["total"] == result["natural"] + result["modifier"]
    # The outcome in words; the numbers are the dice log's (the tool event), not the prose's.
    said = events[-1].narration
    assert not re.search(r"\d", said)
    assert ("not enough" in said or "not go your way" in said) != result["success"], said

    events = play(svc, gid, "take the bread")
    takes = [e for e in events if isinstance(e, ToolEvent) and e.tool == "take_item"]
    assert takes and not takes[0].is_error
    assert "bread" in svc.store.read_state(gid).inventory
    assert "bread" not in svc.store.read_state(gid).location_items["village_square"]
    state = events[-2].state
    assert [i["id"] for i in state["inventory"]] == ["bread"]

    turns = svc.store.list_turns(gid)
    assert [t.status for t in turns] == ["completed"] * 3
    assert turns[2].tool_calls[0]["name"] == "take_item"
    assert turns[0].usage and turns[0].usage["output_tokens"] > 0
    # One CLI process served all three turns.
    assert svc.runtime is not None and svc.runtime.stats().connects == 1


def test_refused_change_is_a_tool_error_and_the_turn_goes_on(app: Flask) -> None:
    """Taking an item that is not here is refused by the rules; the turn still completes."""
    svc = service_of(app)
    gid = new_game(svc)
    events = play(svc, gid, "take the silver dagger")
    refused = [e for e in events if isinstance(e, ToolEvent) and e.is_error]
    assert refused, events
    error = refused[0].result["error"]
    assert error["code"] == "item_not_here"
    assert error["item"] == "silver dagger" and error["here"] == ["Loaf of bread"]
    assert svc.store.read_state(gid).inventory == []
    assert events[-1].narration


def test_restart_resumes_the_same_claude_session(make_app: Callable[..., Flask]) -> None:
    """After a simulated restart (new runtime and store, same data), the model remembers."""
    first = service_of(make_app())
    gid = new_game(first)
    play(first, gid, "take the bread")
    session_id = first.store.get_game(gid).session_id
    assert session_id
    first.shutdown()

    second = service_of(make_app())
    play(second, gid, "look around")
    assert second.runtime is not None and second.runtime.stats().resumes == 1
    assert second.store.get_game(gid).session_id == session_id
    assert second.narrator is not None
    bodies = [r["body"] for r in second.narrator.requests if isinstance(r["body"], dict)]
    game_requests = [b for b in bodies if b.get("tools")]
    history = json.dumps(game_requests[0]["messages"])
    assert "take the bread" in history, "the resumed model did not see the earlier turn"


def _host_tool_script(sandbox_file: Path) -> Callable[[dict[str, Any], int], Reply | None]:
    """A model that tries Bash, then Write, then reports what the CLI answered."""

    def script(request: dict[str, Any], n: int) -> Reply | None:
        done = len(tool_results(request))
        if done == 0:
            return Reply.tool(
                "toolu_bash0000000000000000000", "Bash", {"command": f"echo pwned > {sandbox_file}"}
            )
        if done == 1:
            return Reply.tool(
                "toolu_write000000000000000000",
                "Write",
                {"file_path": str(sandbox_file), "content": "pwned"},
            )
        return None

    return script


def test_model_gets_no_host_tools(make_app: Callable[..., Flask], tmp_path: Path) -> None:
    """A model asking for Bash or Write gets "No such tool available" and no file appears."""
    target = tmp_path / "pwned.txt"
    stub = ScriptedStub(_host_tool_script(target))
    url = stub.start()
    try:
        app = make_app(ANTHROPIC_BASE_URL=url, ANTHROPIC_API_KEY="test-key")
        svc = service_of(app)
        assert not svc.offline
        gid = new_game(svc)
        events = play(svc, gid, "do something sneaky")
        final_request = [r["body"] for r in stub.requests if r["path"].startswith("/v1/messages")][
            -1
        ]
        answers = [result_text(b) for b in tool_results(final_request)]
        assert len(answers) == 2
        assert all("No such tool available" in a for a in answers), answers
        assert not target.exists()
        sandbox = svc.settings.data_dir / "sandbox"
        assert list(sandbox.iterdir()) == []
        # The tool list the model saw holds only our game tools (plus the CLI's inert
        # "DeferredToolPlaceholder", which has no effect when called).
        offered = {t["name"] for t in final_request["tools"]} - {"DeferredToolPlaceholder"}
        assert offered == {f"mcp__game__{name}" for name in TOOLS}
        assert events[-1].narration.startswith("RESULTS:")
    finally:
        stub.stop()


def test_lost_transcript_starts_a_new_session_with_a_recap(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    """If the Claude transcript is gone, the game goes on and the model gets the story."""
    first = service_of(make_app())
    gid = new_game(first)
    play(first, gid, "take the bread")
    old_session = first.store.get_game(gid).session_id
    first.shutdown()

    # Same database, a different data dir, and the mirrored transcript wiped: nothing holds
    # the Claude session any more.
    second = service_of(
        make_app(data_dir=tmp_path / "other-host", DATABASE_URL=first.settings.database_url)
    )
    SqlSessionStore(second.store).clear()
    events = play(second, gid, "look around")
    assert "Village Square" in events[-1].narration
    game = second.store.get_game(gid)
    assert game.session_id and game.session_id != old_session
    assert second.narrator is not None
    system = json.dumps(
        [
            r["body"].get("system")
            for r in second.narrator.requests
            if isinstance(r["body"], dict) and r["body"].get("tools")
        ][0]
    )
    assert "The story so far" in system and "take the bread" in system
