"""The game's tools: declared once in the registry, run through the ``game`` MCP server."""

from __future__ import annotations

from .mcp import ToolExecutor, ToolOutcome, build_mcp_server, execute_tool, local_executor
from .registry import (
    ALLOWED_TOOL_NAMES,
    SERVER_NAME,
    TOOLS,
    StateStore,
    ToolSpec,
    backing_tools,
    names,
    page_catalog,
    prompt_guidance,
    short_name,
)

__all__ = [
    "ALLOWED_TOOL_NAMES",
    "SERVER_NAME",
    "TOOLS",
    "StateStore",
    "ToolExecutor",
    "ToolOutcome",
    "ToolSpec",
    "backing_tools",
    "build_mcp_server",
    "execute_tool",
    "local_executor",
    "names",
    "page_catalog",
    "prompt_guidance",
    "short_name",
]
