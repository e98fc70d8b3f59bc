"""Builders of Messages requests for the offline narrator's tests."""

from __future__ import annotations

import json
from typing import Any

from game_master.offline import Reply
from game_master.tools import TOOLS as GAME_TOOLS

# What the CLI offers: every registered game tool (short_rest until the registry has it).
TOOLS = [
    {"name": f"mcp__game__{name}", "description": name, "input_schema": {"type": "object"}}
    for name in sorted(set(GAME_TOOLS) | {"short_rest"})
]
SQUARE = {
    "location": "village_square",
    "name": "Village Square",
    "description": "A muddy square ringed by slate-roofed cottages.",
    "exits": {"north": "Chapel of the Lantern", "east": "The Crooked Kettle"},
    "locked_exits": [],
    "items": [{"id": "lantern", "name": "Lantern"}],
    "npcs": [],
}
Turn = tuple[dict[str, Any], dict[str, Any], bool]


def _turn_messages(turns: tuple[Turn, ...], offset: int = 0) -> list[dict[str, Any]]:
    """Messages for (tool_use, result, is_error) turns."""
    messages: list[dict[str, Any]] = []
    for n, (use_block, result, is_error) in enumerate(turns, start=offset):
        tool_id = f"toolu_{n:024x}"
        messages.append(
            {"role": "assistant", "content": [dict(use_block, type="tool_use", id=tool_id)]}
        )
        block: dict[str, Any] = {
            "type": "tool_result",
            "tool_use_id": tool_id,
            "content": [{"type": "text", "text": json.dumps(result)}],
        }
        if is_error:
            block["is_error"] = True
        messages.append({"role": "user", "content": [block]})
    return messages


def request(text: str, *turns: Turn, place: dict[str, Any] | None = None, **kw: Any) -> dict:
    """A Messages request: the player's text, then (tool_use, result, is_error) turns.

    ``place`` puts an earlier turn first, a look_around that saw that location.
    """
    messages: list[dict[str, Any]] = []
    if place is not None:
        messages.append({"role": "user", "content": [{"type": "text", "text": "look"}]})
        messages += _turn_messages(((use("look_around"), place, False),), offset=900)
        messages.append({"role": "assistant", "content": [{"type": "text", "text": "..."}]})
    messages.append({"role": "user", "content": [{"type": "text", "text": text}]})
    messages += _turn_messages(turns)
    body = {"model": "claude-test", "max_tokens": 1024, "tools": TOOLS, "messages": messages}
    body.update(kw)
    return body


def use(name: str, **args: Any) -> dict[str, Any]:
    """A tool_use block body for game tool ``name``."""
    return {"name": f"mcp__game__{name}", "input": args}


def only_tool(reply: Reply) -> dict[str, Any]:
    """The single tool_use block of a tool-calling reply."""
    assert reply.stop_reason == "tool_use"
    uses = reply.tool_uses
    assert len(uses) == 1
    assert uses[0]["id"].startswith("toolu_") and len(uses[0]["id"]) == 6 + 24
    return uses[0]
