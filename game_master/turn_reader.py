"""One turn's SDK messages read into game events: text deltas, tool calls, usage, session."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from . import tools
from .errors import model_unreachable
from .events import GameEvent, TextDelta, ToolEvent

log = logging.getLogger(__name__)


def tool_result_payload(content: Any) -> Any:
    """Decode a tool result's text content back to JSON where it is JSON."""
    if isinstance(content, list):
        texts = [c.get("text", "") for c in content if isinstance(c, dict)]
        content = "".join(texts)
    if isinstance(content, str):
        try:
            return json.loads(content)
        except ValueError:
            return content
    return content


@dataclass
class TurnReader:
    """Reads the SDK messages of one turn; what it has read so far is kept for the record.

    ``session_id`` is the Claude session the turn ended in and ``last_entry`` the uuid of
    its last transcript entry: a later rewind or retry forks the session right there.
    """

    game_id: str
    narration: list[str] = field(default_factory=list)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    usage: dict[str, Any] | None = None
    session_id: str | None = None
    last_entry: str | None = None
    # The context's size as the turn's last model request carried it (None: no usage came).
    context_tokens: int | None = None
    _pending: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    _streamed: bool = False

    @property
    def text(self) -> str:
        """The narration so far."""
        return "".join(self.narration).strip()

    def _paragraph(self) -> Iterator[GameEvent]:
        """A blank line between text blocks."""
        if self.text:
            self.narration.append("\n\n")
            yield TextDelta("\n\n")

    def read(self, msg: Any) -> Iterator[GameEvent]:
        """The game events one SDK message makes; raises AgentUnavailable on a model error."""
        import claude_agent_sdk as sdk

        if isinstance(msg, sdk.StreamEvent):
            if msg.parent_tool_use_id:
                return
            ev = msg.event
            if ev.get("type") == "content_block_start":
                if ev.get("content_block", {}).get("type") == "text":
                    yield from self._paragraph()
            elif ev.get("type") == "content_block_delta":
                delta = ev.get("delta", {})
                if delta.get("type") == "text_delta" and delta.get("text"):
                    self._streamed = True
                    self.narration.append(delta["text"])
                    yield TextDelta(delta["text"])
        elif isinstance(msg, sdk.AssistantMessage):
            self.last_entry = msg.uuid or self.last_entry
            if not msg.parent_tool_use_id:
                self.context_tokens = context_size(msg.usage) or self.context_tokens
            for block in msg.content:
                if isinstance(block, sdk.ToolUseBlock):
                    self._pending[block.id] = (block.name, dict(block.input or {}))
                elif isinstance(block, sdk.TextBlock) and not self._streamed and block.text:
                    # No partial messages arrived (an older CLI): send the block whole.
                    yield from self._paragraph()
                    self.narration.append(block.text)
                    yield TextDelta(block.text)
        elif isinstance(msg, sdk.UserMessage):
            self.last_entry = msg.uuid or self.last_entry
            if isinstance(msg.content, list):
                for block in msg.content:
                    if isinstance(block, sdk.ToolResultBlock):
                        yield self._tool_result(block)
        elif isinstance(msg, sdk.MirrorErrorMessage):
            log.warning("mirroring the transcript of game %s failed: %s", self.game_id, msg)
        elif isinstance(msg, sdk.ResultMessage):
            self.session_id = msg.session_id or self.session_id
            if msg.is_error and msg.subtype != "error_max_turns":
                raise model_unreachable(msg.api_error_status)
            self.usage = dict(msg.usage or {}, total_cost_usd=msg.total_cost_usd)

    def _tool_result(self, block: Any) -> ToolEvent:
        """A tool result matched with its call."""
        name, args = self._pending.pop(block.tool_use_id, ("unknown", {}))
        result = tool_result_payload(block.content)
        call = {
            "name": tools.short_name(name),
            "input": args,
            "result": result,
            "is_error": bool(block.is_error),
        }
        self.tool_calls.append(call)
        return ToolEvent(call["name"], args, result, call["is_error"])


def context_size(usage: dict[str, Any] | None) -> int | None:
    """The tokens a model request carried, from its response's usage: fresh input plus what
    was read from and written to the prompt cache (the three are disjoint). After a turn the
    last request's figure is the context the next turn builds on: exactly what the CLI's
    ``get_context_usage`` reports (it counts the same conversation with two
    ``count_tokens`` requests). None when the usage lacks the input figure."""
    if not usage or not isinstance(usage.get("input_tokens"), int):
        return None
    keys = ("input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")
    return sum(int(usage.get(k) or 0) for k in keys)


def usage_metrics(usage: dict[str, Any] | None) -> dict[str, float]:
    """Token counts as span metrics, named as Braintrust names them: ``prompt_tokens`` is the
    whole prompt, of which ``prompt_cached_tokens`` were read from the prompt cache and
    ``prompt_cache_creation_tokens`` written to it (each billed at its own price)."""
    if not usage:
        return {}

    def count(key: str) -> float | None:
        value = usage.get(key)
        return float(value) if isinstance(value, int | float) else None

    metrics: dict[str, float] = {}
    read, written = count("cache_read_input_tokens"), count("cache_creation_input_tokens")
    if (fresh := count("input_tokens")) is not None:
        metrics["prompt_tokens"] = fresh + (read or 0.0) + (written or 0.0)
    if (out := count("output_tokens")) is not None:
        metrics["completion_tokens"] = out
    if read is not None:
        metrics["prompt_cached_tokens"] = read
    if written is not None:
        metrics["prompt_cache_creation_tokens"] = written
    return metrics
