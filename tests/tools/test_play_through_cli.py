"""Registry tools played for real: the bundled CLI against the offline narrator."""

from __future__ import annotations

from typing import Any

from flask import Flask

from game_master.events import ToolEvent, TurnCompleted
from game_master.service import GameService


def play(svc: GameService, game_id: str, message: str) -> list[Any]:
    """All events of one turn, asserting it completed."""
    events = list(svc.start_turn(game_id, message).events(timeout=60))
    assert isinstance(events[-1], TurnCompleted), events[-1]
    return events


def calls(events: list[Any], name: str) -> list[ToolEvent]:
    """The tool events of one tool."""
    return [e for e in events if isinstance(e, ToolEvent) and e.tool == name]


def test_a_wounded_character_rests_once_and_is_then_refused_in_words(app: Flask) -> None:
    """ "Take a short rest" heals through short_rest; with no hit dice left the refusal is told."""
    svc: GameService = app.extensions["game_master"]
    gid = svc.create_game({"character": {"name": "Ada", "class": "fighter"}}).id
    svc.store.update_state(gid, lambda s: setattr(s.character, "hp", 1))  # 1d10+2 < 13

    events = play(svc, gid, "take a short rest")
    [rest] = calls(events, "short_rest")
    assert not rest.is_error and rest.result["healed"] >= 1
    state = svc.store.read_state(gid)
    assert state.character.hp == 1 + rest.result["healed"]
    assert state.character.hit_dice == 0
    # Told in words (no dice numbers in the prose: the dice log has them).
    assert "no hit dice left" in events[-1].narration
    assert str(rest.result["healed"]) not in events[-1].narration

    events = play(svc, gid, "rest again")
    [again] = calls(events, "short_rest")
    assert again.is_error and again.result["error"]["code"] == "no_hit_dice"
    narration = events[-1].narration
    assert "no_hit_dice" not in narration and "{" not in narration
    assert svc.store.read_state(gid).character.hp == state.character.hp
