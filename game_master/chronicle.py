"""Chapter and arc summaries: what the model is asked, and (offline, and as a fallback) a
summary written from the turn log.

The game state never depends on a summary: the server's state is authoritative, and the
summary only helps the model remember the story once its turns leave the context.
"""

from __future__ import annotations

from .store import TurnRecord
from .tools import TOOLS, backing_tools

MAX_SUMMARY_CHARS = 600
SUMMARY_REQUEST = (
    "(Out of character, for your own memory; the player does not see this.) Summarise the "
    "story since the last chapter break in at most five plain sentences: where the character "
    "went, what they found, took or lost, whom they met and what they learned, and what is "
    "left to do. Do not call any tool."
)
# Rolling chapters (or arcs) into one arc; filled with .format(first=, last=, summaries=).
ARC_REQUEST = (
    "(Out of character, for your own memory; the player does not see this.) These are the "
    "summaries of chapters {first}-{last}, oldest first:\n{summaries}\nRewrite them as one "
    "summary of at most five plain sentences: the places, people, finds, losses and promises "
    "that still matter, and what is left to do. Do not call any tool."
)


def _name(call: dict[str, object], *keys: str) -> str:
    """The first readable name in a tool call's result or input."""
    result = call.get("result")
    args = call.get("input")
    for source in (result, args):
        if isinstance(source, dict):
            for key in keys:
                value = source.get(key)
                if isinstance(value, str) and value:
                    return value.replace("_", " ")
    return ""


def log_summary(turns: list[TurnRecord], character: str) -> str:
    """A deterministic summary of a stretch of turns, from what the tools did."""
    places: list[str] = []
    taken: list[str] = []
    used: list[str] = []
    lost = healed = checks = passed = 0
    # Which tools move, take, use or check comes from the registry, not from names here.
    movers, takers, users = backing_tools("move"), backing_tools("take"), backing_tools("use")
    checkers = [name for name, spec in TOOLS.items() if spec.show == "check"]
    for turn in turns:
        for call in turn.tool_calls:
            if call.get("is_error") or not isinstance(call.get("result"), dict):
                continue
            result = call["result"]
            name = call.get("name")
            if name in movers and (place := _name(call, "name")) and place not in places:
                places.append(place)
            elif name in takers and (item := _name(call, "name", "item")):
                taken.append(item)
            elif name in users and (item := _name(call, "name", "item")):
                used.append(item)
            elif name in checkers:
                checks += 1
                passed += bool(result.get("success"))
            change = result.get("change", result.get("healed"))
            if isinstance(change, int):
                lost += max(0, -change)
                healed += max(0, change)
    first, last = turns[0].number, turns[-1].number
    parts = [f"Over turns {first}-{last}, {character}"]
    parts.append(f" went to {', '.join(places)}" if places else " stayed near the same place")
    if taken:
        parts.append(f"; took {', '.join(dict.fromkeys(taken))}")
    if used:
        parts.append(f"; used {', '.join(dict.fromkeys(used))}")
    if checks:
        parts.append(f"; made {checks} checks ({passed} succeeded)")
    if lost or healed:
        parts.append(f"; lost {lost} HP and regained {healed}")
    asks = [t.player_message for t in turns[-2:] if t.player_message]
    if asks:
        parts.append(". Last asked: " + " / ".join(f'"{a[:60]}"' for a in asks))
    return ("".join(parts) + ".")[:MAX_SUMMARY_CHARS]
