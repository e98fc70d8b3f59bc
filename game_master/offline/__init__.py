"""Offline narrator: a loopback Anthropic Messages API that plays the game master without a key.

The bundled Claude Code CLI is pointed at it with ``ANTHROPIC_BASE_URL``; it answers
``POST /v1/messages`` (streaming SSE or plain JSON) by planning game tool calls from the
player's words and narrating their results, deterministically for the same request.

One job per module: ``server`` (HTTP), ``ledger`` (the requests received and the prompt
cache its usage reports) and ``tellings`` (retold turns), ``conversation`` (reading
requests), ``notebook`` (what the results so far showed), ``finder`` (known things in a
sentence), ``intent`` and ``actions`` (what the player's words ask for), ``planner`` (which
tool next), and the English: ``wording``, ``scenes``, ``fights``, ``voices``, ``refusals``
and ``text``.
"""

from __future__ import annotations

from .conversation import (
    Refusal,
    Reply,
    Step,
    estimate_tokens,
    offered_tools,
    read_conversation,
    request_input_tokens,
)
from .intent import Intent, parse_intent
from .notebook import Notebook, read_notebook
from .planner import MAX_TOOL_CALLS, narrate, next_call
from .refusals import refusal_text
from .server import MessagesHandler, NarratorHandler, OfflineNarrator, main, serve

__all__ = [
    "MAX_TOOL_CALLS",
    "Intent",
    "Notebook",
    "MessagesHandler",
    "NarratorHandler",
    "OfflineNarrator",
    "Refusal",
    "Reply",
    "Step",
    "estimate_tokens",
    "main",
    "narrate",
    "next_call",
    "offered_tools",
    "parse_intent",
    "read_conversation",
    "read_notebook",
    "refusal_text",
    "request_input_tokens",
    "serve",
]
