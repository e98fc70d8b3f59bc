"""Reading a Messages request: the player's words, this turn's tool steps, the offered tools."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from ..player_words import unwrap

REMINDER = re.compile(r"<system-reminder>.*?(</system-reminder>|$)", re.DOTALL)
# The MCP server the game's tools live on; the CLI offers them as mcp__game__<tool>.
GAME_TOOL_PREFIX = "mcp__game__"


@dataclass
class Reply:
    """What the assistant says in one response: content blocks and why it stopped."""

    blocks: list[dict[str, Any]] = field(default_factory=list)
    stop_reason: str = "end_turn"
    shape: str = field(default="", compare=False)  # what the telling chose to say (retellings)

    @classmethod
    def text(cls, text: str) -> Reply:
        """A reply that is one text block and ends the turn."""
        return cls([{"type": "text", "text": text}], "end_turn")

    @classmethod
    def tool(cls, tool_id: str, name: str, tool_input: dict[str, Any], lead: str = "") -> Reply:
        """A reply that calls one tool, optionally after a short text lead-in."""
        blocks: list[dict[str, Any]] = [{"type": "text", "text": lead}] if lead else []
        blocks.append({"type": "tool_use", "id": tool_id, "name": name, "input": tool_input})
        return cls(blocks, "tool_use")

    @property
    def text_content(self) -> str:
        """All text blocks joined together."""
        return "".join(b.get("text", "") for b in self.blocks if b.get("type") == "text")

    @property
    def tool_uses(self) -> list[dict[str, Any]]:
        """The tool_use blocks of this reply."""
        return [b for b in self.blocks if b.get("type") == "tool_use"]


# --------------------------------------------------------------------------- token estimates


def estimate_tokens(text: str) -> int:
    """A rough, never-zero token estimate for ``text`` (about four characters a token)."""
    return max(1, (len(text) + 3) // 4)


def block_tokens(block: dict[str, Any]) -> int:
    """Estimated output tokens of one content block."""
    if block.get("type") == "text":
        return estimate_tokens(str(block.get("text", "")))
    return estimate_tokens(json.dumps(block.get("input", {})) + str(block.get("name", "")))


def request_input_tokens(request: dict[str, Any]) -> int:
    """Estimated input tokens of a Messages request (system, messages and tools)."""
    parts = {k: request.get(k) for k in ("system", "messages", "tools") if k in request}
    return estimate_tokens(json.dumps(parts, ensure_ascii=False, default=str))


# --------------------------------------------------------------------------- tool steps


@dataclass(frozen=True)
class Refusal:
    """A refused tool call: its code ('' for an old or unknown shape), message and facts."""

    code: str
    message: str
    facts: dict[str, Any]


@dataclass
class Step:
    """One tool call made this player turn and its result."""

    name: str
    input: dict[str, Any]
    result: dict[str, Any]
    is_error: bool

    @property
    def refusal(self) -> Refusal:
        """The refusal a failed call carries: ``{"error": {"code", "message", ...facts}}``.

        The old shape ``{"error": "text"}`` (or anything else) gives code '' and the text as
        the message, so it is worded generically rather than parsed.
        """
        error = self.result.get("error")
        if isinstance(error, dict):
            facts = {k: v for k, v in error.items() if k not in ("code", "message")}
            return Refusal(str(error.get("code") or ""), str(error.get("message") or ""), facts)
        text = error if error else self.result.get("text")
        return Refusal("", str(text or "it cannot be done"), {})


def blocks_of(content: Any) -> list[dict[str, Any]]:
    """A message's content as a list of blocks."""
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if isinstance(content, list):
        return [b for b in content if isinstance(b, dict)]
    return []


def _player_text(message: dict[str, Any]) -> str:
    """The player's words in a user message, or ''. As a model would: the words inside the
    game's envelope (player_words.py) when there is one, else the text without reminders."""
    if message.get("role") != "user":
        return ""
    texts = []
    for block in blocks_of(message.get("content")):
        if block.get("type") == "text":
            text = str(block.get("text", ""))
            inner = unwrap(text)
            cleaned = (inner if inner is not None else REMINDER.sub("", text)).strip()
            if cleaned:
                texts.append(cleaned)
    return "\n".join(texts)


def result_payload(block: dict[str, Any]) -> dict[str, Any]:
    """A tool_result's content decoded as JSON (or wrapped as ``{"text": ...}``)."""
    content = block.get("content")
    if isinstance(content, list):
        text = "".join(
            str(b.get("text", "")) for b in blocks_of(content) if b.get("type") == "text"
        )
    else:
        text = "" if content is None else str(content)
    text = text.strip()
    try:
        value = json.loads(text)
    except ValueError:
        match = re.search(r"\{.*\}", text, re.DOTALL)
        value = None
        if match:
            try:
                value = json.loads(match.group(0))
            except ValueError:
                value = None
        if value is None:
            return {"error": text} if block.get("is_error") else {"text": text}
    return value if isinstance(value, dict) else {"value": value}


def short_tool_name(name: str) -> str:
    """``mcp__game__look_around`` -> ``look_around``."""
    return name.rsplit("__", 1)[-1] if name.startswith("mcp__") else name


def offered_tools(request: dict[str, Any]) -> dict[str, str]:
    """Map short game tool names to the full names the request offers (``mcp__game__*``).

    The narrator learns which game tools exist from the request itself, so a tool added to
    the registry needs no list here.
    """
    offered: dict[str, str] = {}
    for tool in request.get("tools") or []:
        if not isinstance(tool, dict) or not isinstance(tool.get("name"), str):
            continue
        full = tool["name"]
        if full.startswith(GAME_TOOL_PREFIX) and len(full) > len(GAME_TOOL_PREFIX):
            offered[full[len(GAME_TOOL_PREFIX) :]] = full
    return offered


def _messages(request: dict[str, Any]) -> list[dict[str, Any]]:
    """The request's messages that are objects."""
    return [m for m in request.get("messages") or [] if isinstance(m, dict)]


def read_conversation(request: dict[str, Any]) -> tuple[str, list[Step], int]:
    """The latest player text, the tool steps after it, and the index of its message."""
    messages = _messages(request)
    start = -1
    text = ""
    for index in range(len(messages) - 1, -1, -1):
        text = _player_text(messages[index])
        if text:
            start = index
            break
    if start < 0:
        return "", [], -1
    calls: dict[str, tuple[str, dict[str, Any]]] = {}
    steps: list[Step] = []
    for message in messages[start:]:
        for block in blocks_of(message.get("content")):
            if block.get("type") == "tool_use" and message.get("role") == "assistant":
                raw_input = block.get("input")
                calls[str(block.get("id"))] = (
                    short_tool_name(str(block.get("name", ""))),
                    raw_input if isinstance(raw_input, dict) else {},
                )
            elif block.get("type") == "tool_result":
                name, tool_input = calls.get(str(block.get("tool_use_id")), ("unknown", {}))
                result = result_payload(block)
                is_error = bool(block.get("is_error")) or "error" in result
                steps.append(Step(name, tool_input, result, is_error))
    return text, steps, start
