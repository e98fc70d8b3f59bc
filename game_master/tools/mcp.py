"""Running game tools: one call in a store transaction, and the ``game`` SDK MCP server.

A refused change comes back as a tool result with ``is_error: True`` and the refusal's
``{"error": {"code", "message", ...facts}}``; it never raises into the turn.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from .. import spans
from ..rules import RuleError, Scenario, refuse
from .registry import SERVER_NAME, TOOLS, StateStore, ToolSpec

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ToolOutcome:
    """A tool's result as the model and the page see it."""

    name: str
    result: dict[str, Any]
    is_error: bool

    @classmethod
    def refused(cls, name: str, exc: RuleError) -> ToolOutcome:
        """The outcome of a refusal: its code, message and facts under ``error``."""
        return cls(name, {"error": exc.to_dict()}, True)

    def to_mcp(self) -> dict[str, Any]:
        """The MCP tool-result payload."""
        text = json.dumps(self.result, ensure_ascii=False)
        return {"content": [{"type": "text", "text": text}], "is_error": self.is_error}

    def scores(self) -> dict[str, float]:
        """Scores this call earns: refusals, and the tool's own (a check's margin…)."""
        if self.is_error:
            return {"rule_refusal": 1.0}
        spec = TOOLS.get(self.name)
        if spec is None or spec.scores is None or not isinstance(self.result, dict):
            return {}
        return spec.scores(self.result)


@dataclass(frozen=True)
class _Recording:
    """The store as one tool call sees it: each change it makes is recorded on the running
    turn in the change's own commit (the call's name and input, the rules' result)."""

    store: StateStore
    name: str
    args: dict[str, Any]

    def read_state(self, game_id: str) -> Any:
        """The current state."""
        return self.store.read_state(game_id)

    def update_state(self, game_id: str, change: Any, record: Any = None) -> Any:
        """Change the state and record this call with it."""
        return self.store.update_state(
            game_id,
            change,
            lambda result: {
                "name": self.name,
                "input": self.args,
                "result": result,
                "is_error": False,
            },
        )

    def __getattr__(self, attr: str) -> Any:
        """Everything else (searches…) straight from the store."""
        return getattr(self.store, attr)


def execute_tool(
    store: StateStore, game_id: str, scenario: Scenario, name: str, args: Any
) -> ToolOutcome:
    """Run one tool synchronously; rule refusals and bad input become error outcomes."""
    spec = TOOLS.get(name)
    try:
        if spec is None:
            raise refuse("unknown_tool", f"unknown tool {name!r}", tool=name)
        if not isinstance(args, dict):
            raise refuse(
                "bad_argument",
                "arguments must be a JSON object",
                argument="arguments",
                reason="must be a JSON object",
            )
        recording = _Recording(store, name, args)
        outcome = ToolOutcome(name, spec.run(recording, game_id, scenario, args), False)
    except RuleError as exc:
        outcome = ToolOutcome.refused(name, exc)
    spans.log_current_scores(outcome.scores())  # on the tool span; never raises
    return outcome


ToolExecutor = Callable[[str, dict[str, Any]], Awaitable[ToolOutcome]]


def local_executor(store: StateStore, game_id: str, scenario: Scenario) -> ToolExecutor:
    """Run tools in this process, off the event loop (the store does blocking I/O)."""

    async def run(name: str, args: dict[str, Any]) -> ToolOutcome:
        return await asyncio.to_thread(execute_tool, store, game_id, scenario, name, args)

    return run


def build_mcp_server(executor: ToolExecutor) -> Any:
    """The ``game`` SDK MCP server whose handlers call ``executor``.

    ``claude_agent_sdk.tool`` is looked up at call time so that Braintrust's
    ``setup_claude_agent_sdk`` (which replaces ``SdkMcpTool``) wraps every handler.
    """
    import claude_agent_sdk

    def make(spec: ToolSpec) -> Any:
        async def handler(args: dict[str, Any]) -> dict[str, Any]:
            try:
                outcome = await executor(spec.name, args)
            except Exception:  # a broken tool must not end the turn
                log.exception("tool %s failed", spec.name)
                exc = refuse("tool_failed", f"the {spec.name} tool failed", tool=spec.name)
                outcome = ToolOutcome.refused(spec.name, exc)
            return outcome.to_mcp()

        return claude_agent_sdk.tool(spec.name, spec.description, spec.schema)(handler)

    return claude_agent_sdk.create_sdk_mcp_server(
        SERVER_NAME, version="1.0.0", tools=[make(s) for s in TOOLS.values()]
    )
