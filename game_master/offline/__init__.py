"""Offline narrator: a loopback Anthropic Messages API that plays the game master without a key.

The bundled Claude Code CLI is pointed at it with ``ANTHROPIC_BASE_URL``; it answers
``POST /v1/messages`` (streaming SSE or plain JSON) by planning game tool calls from the
player's words and narrating their results, deterministically for the same request.

One job per module: ``server`` (HTTP), ``conversation`` (reading requests), ``ledger``
(the requests received and the prompt cache its usage reports), ``intent`` (the player's
words), ``planner`` (which tool next), ``wording``, ``places``, ``refusals`` and ``text``
(the English).
"""

from __future__ import annotations

from .conversation import (
    Refusal,
    Reply,
    Step,
    estimate_tokens,
    known_exits,
    latest_place,
    offered_tools,
    read_conversation,
    request_input_tokens,
)
from .intent import Intent, parse_intent
from .planner import MAX_TOOL_CALLS, narrate, next_call
from .refusals import refusal_text
from .server import MessagesHandler, NarratorHandler, OfflineNarrator, main, serve

__all__ = [
    "MAX_TOOL_CALLS",
    "Intent",
    "MessagesHandler",
    "NarratorHandler",
    "OfflineNarrator",
    "Refusal",
    "Reply",
    "Step",
    "estimate_tokens",
    "known_exits",
    "latest_place",
    "main",
    "narrate",
    "next_call",
    "offered_tools",
    "parse_intent",
    "read_conversation",
    "refusal_text",
    "request_input_tokens",
    "serve",
]
