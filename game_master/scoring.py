"""Cheap heuristic scores (0..1) a turn earns on its span (tools score themselves)."""

from __future__ import annotations

import re
from typing import Any

from .tools import names

NARRATION_RANGE = (80, 1500)
# Narration that claims a change of state, in second person.
CLAIMS = re.compile(
    r"\byou (?:pick up|take|grab|pocket|drop|drink|eat|walk|head|climb|go|step|enter|"
    r"lose|take \d+ damage|feel your wounds close)\b",
    re.IGNORECASE,
)


def turn_scores(narration: str, tool_calls: list[dict[str, Any]]) -> dict[str, float]:
    """Per-turn heuristics: narration length in range; state changes went through tools."""
    low, high = NARRATION_RANGE
    world = names("world")
    changed = any(c["name"] in world and not c.get("is_error") for c in tool_calls)
    claims = bool(CLAIMS.search(narration))
    return {
        "narration_length_in_range": 1.0 if low <= len(narration) <= high else 0.0,
        "used_tools_for_state_changes": 0.0 if claims and not changed else 1.0,
    }
