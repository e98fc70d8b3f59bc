"""Scripted Messages API stubs for tests, built on the offline narrator's HTTP handler."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from game_master.offline import MessagesHandler, OfflineNarrator, Reply

Script = Callable[[dict[str, Any], int], Reply | None]


def tool_results(request: dict[str, Any]) -> list[dict[str, Any]]:
    """Every tool_result block in a Messages request, oldest first."""
    found = []
    for message in request.get("messages", []):
        content = message.get("content")
        if isinstance(content, list):
            found += [b for b in content if isinstance(b, dict) and b.get("type") == "tool_result"]
    return found


def result_text(block: dict[str, Any]) -> str:
    """A tool_result's content as plain text."""
    content = block.get("content")
    if isinstance(content, list):
        return "".join(c.get("text", "") for c in content if isinstance(c, dict))
    return str(content or "")


class ScriptedStub(OfflineNarrator):
    """A Messages endpoint whose replies come from ``script(request, call_number)``.

    A script returning None falls back to a plain text reply quoting every tool result,
    so a test can see exactly what the CLI answered to the model.
    """

    def __init__(self, script: Script) -> None:
        """Serve ``script`` on an ephemeral loopback port."""
        calls = {"n": 0}

        class Handler(MessagesHandler):
            def reply(self, request: dict[str, Any]) -> Reply:
                calls["n"] += 1
                scripted = script(request, calls["n"])
                if scripted is not None:
                    return scripted
                texts = [result_text(b) for b in tool_results(request)]
                return Reply.text("RESULTS: " + json.dumps(texts))

        super().__init__(handler_class=Handler)
        self.calls = calls
