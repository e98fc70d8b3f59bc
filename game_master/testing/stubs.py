"""Scripted Messages API stubs, built on the offline narrator's HTTP handler."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from game_master.offline import MessagesHandler, OfflineNarrator, Reply, narrate

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


class Fault:
    """What a FaultStub does with one request: an HTTP error, or a stall."""

    def __init__(
        self,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        hang_s: float = 0.0,
    ) -> None:
        """``status`` answers an error; ``hang_s`` starts a stream, then goes silent."""
        self.status = status
        self.headers = headers or {}
        self.hang_s = hang_s


ERROR_TYPES = {429: "rate_limit_error", 500: "api_error", 529: "overloaded_error"}


class FaultStub(OfflineNarrator):
    """The offline narrator, except for requests where ``plan(n)`` returns a Fault.

    ``n`` counts game requests (those offering tools) from 1. Every request is recorded.
    """

    def __init__(self, plan: Callable[[int], Fault | None]) -> None:
        """Serve on an ephemeral loopback port."""
        calls = {"n": 0}

        class Handler(MessagesHandler):
            def handle_messages(self, request: dict[str, Any]) -> None:
                if request.get("tools"):
                    calls["n"] += 1
                fault = plan(calls["n"]) if request.get("tools") else None
                if fault is None:
                    self.send_reply(request, narrate(request, seed=0))
                elif fault.status is not None:
                    self.send_error_json(
                        fault.status,
                        ERROR_TYPES.get(fault.status, "api_error"),
                        f"stub fault {fault.status}",
                        headers=fault.headers,
                    )
                else:
                    self.start_sse()
                    self.send_event(
                        "message_start",
                        {
                            "type": "message_start",
                            "message": {
                                "id": "msg_hang",
                                "type": "message",
                                "role": "assistant",
                                "model": "stub",
                                "content": [],
                                "stop_reason": None,
                                "usage": {"input_tokens": 1, "output_tokens": 1},
                            },
                        },
                    )
                    time.sleep(fault.hang_s)

        super().__init__(handler_class=Handler)
        self.calls = calls
