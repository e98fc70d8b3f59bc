"""Cheap heuristic scores (0..1) logged on spans: per tool call and per turn."""

from __future__ import annotations

import re
from typing import Any

NARRATION_RANGE = (80, 1500)
STATE_TOOLS = {"move", "take_item", "drop_item", "use_item", "change_hp", "set_condition"}
# Narration that claims a change of state, in second person.
CLAIMS = re.compile(
    r"\byou (?:pick up|take|grab|pocket|drop|drink|eat|walk|head|climb|go|step|enter|"
    r"lose|take \d+ damage|feel your wounds close)\b",
    re.IGNORECASE,
)


def tool_scores(name: str, result: Any, is_error: bool) -> dict[str, float]:
    """Scores a tool call earns: a check's margin, the danger of HP lost, refusals."""
    if is_error:
        return {"rule_refusal": 1.0}
    if not isinstance(result, dict):
        return {}
    if name == "ability_check" and isinstance(result.get("margin"), int):
        return {
            "check_success": 1.0 if result.get("success") else 0.0,
            "check_margin": max(0.0, min(1.0, (result["margin"] + 10) / 20)),
        }
    if name == "change_hp" and isinstance(result.get("change"), int):
        lost = max(0, -result["change"])
        return {"danger": min(1.0, lost / max(1, int(result.get("max_hp") or 1)))}
    return {}


def turn_scores(narration: str, tool_calls: list[dict[str, Any]]) -> dict[str, float]:
    """Per-turn heuristics: narration length in range; state changes went through tools."""
    low, high = NARRATION_RANGE
    changed = any(c["name"] in STATE_TOOLS and not c.get("is_error") for c in tool_calls)
    claims = bool(CLAIMS.search(narration))
    return {
        "narration_length_in_range": 1.0 if low <= len(narration) <= high else 0.0,
        "used_tools_for_state_changes": 0.0 if claims and not changed else 1.0,
    }
