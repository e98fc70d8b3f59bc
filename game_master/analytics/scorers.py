"""Rule-based scorers for one game-master turn, usable by ``braintrust.Eval`` and locally.

Every scorer takes ``(input, output, expected=None, metadata=None, **kwargs)`` (Braintrust's
scorer signature): ``input`` is the player's message, ``output`` the narration (or a dict
with ``narration`` and ``tool_calls``), and the turn's tool calls come from the output dict or
``metadata["tool_calls"]``. Each returns ``{"name", "score" (0..1), "metadata": {"reason"}}``;
below 0.5 means "this turn is bad on this count".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..scoring import NARRATION_RANGE
from ..tools import TOOLS, backing_tools, names

Scorer = Callable[..., dict[str, Any]]


def turn_parts(output: Any, metadata: Any) -> tuple[str, list[dict[str, Any]]]:
    """(narration, tool_calls) of a turn from a scorer's ``output`` and ``metadata``."""
    calls: Any = None
    if isinstance(output, dict):
        narration = output.get("narration") or ""
        calls = output.get("tool_calls")
    else:
        narration = output if isinstance(output, str) else ""
    if calls is None and isinstance(metadata, dict):
        calls = metadata.get("tool_calls")
    return narration, [c for c in (calls or []) if isinstance(c, dict)]


def _score(name: str, value: float, reason: str, **extra: Any) -> dict[str, Any]:
    """A Braintrust-compatible score dict."""
    return {"name": name, "score": value, "metadata": {"reason": reason, **extra}}


def _ok_calls(calls: list[dict[str, Any]], *names: str) -> list[dict[str, Any]]:
    """Successful calls (optionally only of the given tools) whose result is an object."""
    return [
        c
        for c in calls
        if not c.get("is_error")
        and isinstance(c.get("result"), dict)
        and (not names or c.get("name") in names)
    ]


# ---------------------------------------------------------------------------- length


def narration_length(
    input: Any, output: Any, expected: Any = None, metadata: Any = None, **kwargs: Any
) -> dict[str, Any]:
    """1 when the narration's length is within the house range (scoring.NARRATION_RANGE)."""
    narration, _ = turn_parts(output, metadata)
    low, high = NARRATION_RANGE
    n = len(narration.strip())
    if low <= n <= high:
        return _score("narration_length", 1.0, f"{n} characters, within {low}-{high}")
    side = "short" if n < low else "long"
    return _score("narration_length", 0.0, f"{n} characters: too {side} (range {low}-{high})")


# ---------------------------------------------------------------------------- voice

# Only the snake_case names: "move" is an ordinary English word.
_TOOL_NAMES = "|".join(sorted(name for name in TOOLS if "_" in name))
VOICE_BREAKS: list[tuple[str, re.Pattern[str]]] = [
    (
        "mentions being an AI",
        re.compile(
            r"\bas an ai\b|\b(?:large )?language model\b|\bI(?:'m| am) (?:an? )?(?:ai|assistant|"
            r"chatbot|bot)\b|\bas claude\b",
            re.I,
        ),
    ),
    (
        "talks about tools or functions",
        re.compile(
            r"\b(?:tool|function)s?\s+(?:call|calls|result|results|output|returned|error|says)\b|"
            r"\b(?:call|calling|use|using|invoke|invoking|run|running)\s+the\s+\w+\s+"
            r"(?:tool|function)\b|\blet me (?:call|invoke|query)\b|\bis_error\b|\bJSON\b|"
            rf"\bmcp__\w+|\b(?:{_TOOL_NAMES})\b",
            re.I,
        ),
    ),
    (
        "talks about its prompt or instructions",
        re.compile(
            r"\b(?:system prompt|my (?:instructions|prompt|programming|guidelines)|the prompt)\b",
            re.I,
        ),
    ),
    (
        "answers like an assistant",
        re.compile(
            r"\bI(?:'m| am) sorry,? but I\b|\bI can(?:not|'t) (?:help|assist)\b|"
            r"\bhow can I (?:help|assist)\b",
            re.I,
        ),
    ),
]
SECOND_PERSON = re.compile(r"\byou(?:r|rs|rself)?\b", re.I)


def voice(
    input: Any, output: Any, expected: Any = None, metadata: Any = None, **kwargs: Any
) -> dict[str, Any]:
    """1 for in-character second-person narration; 0 for AI/tool/prompt talk; 0.3 no "you"."""
    narration, _ = turn_parts(output, metadata)
    for label, pattern in VOICE_BREAKS:
        found = pattern.search(narration)
        if found:
            return _score("voice", 0.0, f"{label}: {found.group(0)!r}")
    if not SECOND_PERSON.search(narration):
        return _score("voice", 0.3, "no second person: the player is never addressed as 'you'")
    return _score("voice", 1.0, "second person, in character")


# ---------------------------------------------------------------------------- dice

_WORDS = {
    w: i
    for i, w in enumerate(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
        + ["eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen"]
        + ["eighteen", "nineteen", "twenty"]
    )
}
_N = r"(\d+|" + "|".join(sorted(_WORDS, key=len, reverse=True)) + r")\b(?!\s*d\d)"
ROLL_CLAIMS: list[tuple[str, re.Pattern[str]]] = [
    (
        "roll",
        re.compile(
            r"\broll(?:s|ed|ing)?\b(?:\s+(?:a|an|of|is|was|comes to|totals?|just|only))*"
            rf"\s+(?:natural\s+|nat\s+)?{_N}",
            re.I,
        ),
    ),
    ("total", re.compile(rf"\btotal(?:s|ling|ing)?(?:\s+(?:of|is|was|comes to))?\s+{_N}", re.I)),
    ("DC", re.compile(rf"\bDC\s*{_N}", re.I)),
    ("result against a DC", re.compile(rf"\b{_N}\s+(?:against|vs\.?|versus)\s+(?:a\s+)?DC", re.I)),
    ("natural", re.compile(rf"\bnat(?:ural)?\s*{_N}", re.I)),
    (
        "check result",
        re.compile(
            rf"\bcheck\s+(?:comes to|of|totals?|is|was|results? in|lands on)\s+(?:a\s+)?{_N}", re.I
        ),
    ),
    ("die face", re.compile(rf"\b(?:a|an)\s+{_N}\s+on\s+the\s+(?:die|d20|dice)", re.I)),
    ("damage", re.compile(rf"\b{_N}\s+(?:points?\s+of\s+)?(?:[a-z]+\s+)?damage\b", re.I)),
]


def _num(text: str) -> int:
    """An integer from digits or a number word."""
    return int(text) if text.isdigit() else _WORDS[text.lower()]


def _ints(value: Any) -> set[int]:
    """Every integer in a (nested) list or a single value."""
    if isinstance(value, bool):
        return set()
    if isinstance(value, int):
        return {value, abs(value)}
    if isinstance(value, list):
        found: set[int] = set()
        for v in value:
            found |= _ints(v)
        return found
    return set()


def tool_numbers(calls: list[dict[str, Any]]) -> set[int]:
    """Numbers the turn's successful dice, check and HP tools actually produced."""
    keys = {name: spec.numbers for name, spec in TOOLS.items() if spec.numbers}
    numbers: set[int] = set()
    for call in _ok_calls(calls, *keys):
        for key in keys[call["name"]]:
            numbers |= _ints(call["result"].get(key))
    return numbers


def roll_claims(narration: str) -> list[tuple[str, int, str]]:
    """(kind, number, matched text) for every roll-like number the narration reports."""
    claims = []
    for kind, pattern in ROLL_CLAIMS:
        for m in pattern.finditer(narration):
            claims.append((kind, _num(m.group(1)), m.group(0)))
    return claims


def dice_honesty(
    input: Any, output: Any, expected: Any = None, metadata: Any = None, **kwargs: Any
) -> dict[str, Any]:
    """1 when every roll, total, DC or damage number in the narration came from a tool."""
    narration, calls = turn_parts(output, metadata)
    claims = roll_claims(narration)
    if not claims:
        return _score("dice_honesty", 1.0, "no roll results reported")
    backed = tool_numbers(calls)
    invented = [f"{text!r}" for _, n, text in claims if n not in backed]
    if invented:
        return _score(
            "dice_honesty",
            0.0,
            "numbers no tool produced this turn: " + ", ".join(invented),
            tool_numbers=sorted(backed),
        )
    return _score("dice_honesty", 1.0, f"{len(claims)} reported number(s), all from tools")


# ---------------------------------------------------------------------------- state

_NOT_AFTER = r"(?<!\bif )(?<!\bwhen )(?<!\bunless )(?<!\bbefore )(?<!\bonce )"
_OBJ = r"(?:the\s+|a\s+|an\s+|your\s+|some\s+)?([a-z][a-z' -]{1,40}?)(?=[.,;:!?\n]|\s+(?:and|from|off|into|before|then|as|with|in|to)\b|$)"  # noqa: E501
_NOT_ITEMS = re.compile(
    r"^(?:in|on|off|over|up)\b|^(?:deep )?breath|^moment|^step|^look|^seat|^cover|^aim|"
    r"^stock|^note|^hold|^turn|"
    r"^time|^chance|^care|^heart|^risk|^rest|^notice|^stairs|^lead|^path|^road|^way|^\d",
    re.I,
)


@dataclass(frozen=True)
class StateClaim:
    """A change of state the narration presents as done."""

    kind: str  # take | drop | use | move | damage | heal
    text: str
    target: str = ""
    amount: int | None = None


STATE_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "take",
        re.compile(
            rf"{_NOT_AFTER}\byou\s+(?:carefully\s+|quickly\s+|now\s+)?(?:pick up|picked up|"
            r"take|took|grab|grabbed|pocket|pocketed|snatch|snatched|stow|stowed|tuck away|"
            rf"collect|collected|scoop up|lift)\s+(?:up\s+)?{_OBJ}",
            re.I,
        ),
    ),
    (
        "take",
        re.compile(
            r"\b(?:now (?:rests |sits )?in your (?:pack|inventory|bag)|added to your "
            r"(?:pack|inventory)|is yours now|is now yours)\b",
            re.I,
        ),
    ),
    (
        "drop",
        re.compile(
            rf"{_NOT_AFTER}\byou\s+(?:drop|dropped|set down|put down|discard|discarded|toss aside|"
            rf"abandon|abandoned)\s+{_OBJ}",
            re.I,
        ),
    ),
    (
        "use",
        re.compile(
            rf"{_NOT_AFTER}\byou\s+(?:drink|drank|quaff|quaffed|eat|ate|gulp down|gulp|devour|"
            rf"devoured|swallow|uncork and drink|light|lit)\s+{_OBJ}",
            re.I,
        ),
    ),
    (
        "move",
        re.compile(
            rf"{_NOT_AFTER}\byou\s+(?:arrive|enter|entered|reach(?!\s+(?:for|out|into|over|up|down|across"
            r"|back|toward))|find yourself|emerge|"
            r"(?:step|walk|slip|stride|duck|push|climb|go|head|wander|hurry|stroll)"
            r"(?:\s+\w+)?\s+(?:into|inside|through the door|out into|back into)|"
            r"make your way(?:\s+\w+)?\s+(?:to|into|back to|inside)|"
            r"(?:head|go|walk)(?:\s+\w+)?\s+(?:to|back to)\s+the|descend into)\b",
            re.I,
        ),
    ),
    (
        "damage",
        re.compile(
            rf"{_NOT_AFTER}\byou\s+(?:take|took|suffer|suffered|lose|lost)\s+{_N}\s+(?:points?\s+of\s+)?"
            r"(?:[a-z]+\s+)?(?:damage|hit points?|hp)\b",
            re.I,
        ),
    ),
    (
        "heal",
        re.compile(
            rf"\byou\b[^.!?]{{0,60}}?\b(?:heal|heals|healed|regain|regained|recover|recovered)"
            rf"\s+{_N}",
            re.I,
        ),
    ),
    (
        "damage",
        re.compile(rf"\byou\s+for\s+{_N}\s+(?:points?\s+of\s+)?(?:[a-z]+\s+)?damage\b", re.I),
    ),
    (
        "hp",
        re.compile(
            rf"\b(?:your\s+)?(?:hp|hit points)\s+(?:drop|drops|fall|falls|rise|rises|"
            rf"climb|climbs)\s+to\s+{_N}",
            re.I,
        ),
    ),
]


HYPOTHETICAL = re.compile(
    r"^\W*(?:if|unless|should|whether|were|once)\b|\byou (?:could|can|might|would|may)\b", re.I
)


def factual_text(narration: str) -> str:
    """The narration without conditional or hypothetical sentences ("If you go north...")."""
    sentences = re.split(r"(?<=[.!?])\s+|\n+", narration)
    return " ".join(s for s in sentences if not HYPOTHETICAL.search(s))


def state_claims(narration: str) -> list[StateClaim]:
    """Changes of state (items, moves, HP) the narration claims happened."""
    claims = []
    text = factual_text(narration)
    for kind, pattern in STATE_PATTERNS:
        for m in pattern.finditer(text):
            groups = [g for g in m.groups() if g]
            if kind in ("take", "drop", "use"):
                target = groups[0].strip().lower() if groups else ""
                if target and _NOT_ITEMS.search(target):
                    continue
                claims.append(StateClaim(kind, m.group(0), target))
            elif kind in ("damage", "heal", "hp"):
                claims.append(StateClaim(kind, m.group(0), amount=_num(groups[0])))
            else:
                claims.append(StateClaim(kind, m.group(0)))
    return claims


def _words(text: str) -> set[str]:
    """Content words (3+ letters) of a name."""
    return {w for w in re.findall(r"[a-z]+", text.lower()) if len(w) >= 3}


def _names(call: dict[str, Any]) -> set[str]:
    """Words naming the item of an inventory call (result name/id and the requested item)."""
    result, args = call.get("result") or {}, call.get("input") or {}
    parts = [result.get(k) for k in ("name", "taken", "dropped", "used")] + [args.get("item")]
    return set().union(*(_words(str(p).replace("_", " ")) for p in parts if p))


ITEM_CLAIMS = ("take", "drop", "use")


def backing(claim: StateClaim, calls: list[dict[str, Any]]) -> bool:
    """True when a successful tool call of the right kind supports the claim."""
    if claim.kind in ITEM_CLAIMS:
        ok = _ok_calls(calls, *backing_tools(claim.kind))
        if not claim.target:
            return bool(ok)
        return any(_words(claim.target) & _names(c) for c in ok)
    if claim.kind == "move":
        return bool(_ok_calls(calls, *backing_tools("move")))
    changes = []
    for c in _ok_calls(calls, *backing_tools(claim.kind)):
        res = c["result"]
        change = res.get("change", res.get("healed"))
        changes.append((change, res.get("requested"), res.get("hp")))
    if claim.kind == "damage":
        return any(
            isinstance(ch, int) and ch < 0 and claim.amount in (abs(ch), abs(req or 0))
            for ch, req, _ in changes
        )
    if claim.kind == "heal":
        return any(
            isinstance(ch, int) and ch > 0 and claim.amount in (ch, req) for ch, req, _ in changes
        )
    return any(hp == claim.amount for _, _, hp in changes)


def state_honesty(
    input: Any, output: Any, expected: Any = None, metadata: Any = None, **kwargs: Any
) -> dict[str, Any]:
    """1 when every item, move or HP change the narration claims matches a tool success."""
    narration, calls = turn_parts(output, metadata)
    claims = state_claims(narration)
    if not claims:
        return _score("state_honesty", 1.0, "no changes of state claimed")
    unbacked = [c for c in claims if not backing(c, calls)]
    if unbacked:
        return _score(
            "state_honesty",
            0.0,
            "claimed without a matching successful tool: "
            + ", ".join(f"{c.kind} {c.text!r}" for c in unbacked),
        )
    return _score("state_honesty", 1.0, f"{len(claims)} claimed change(s), all backed by tools")


REQUESTS = re.compile(
    r"^\s*(?:i\s+)?(?:pick up|take|grab|drop|drink|eat|use|quaff|go|walk|head|move|enter|run)"
    r"\b\s*(?:the\s+|a\s+|an\s+|my\s+)?(\S*)",
    re.I,
)


def requested_change(message: str) -> bool:
    """True when the player's message asks to take, drop, use an item or to move."""
    m = REQUESTS.search(message)
    return m is not None and not _NOT_ITEMS.search(m.group(1) or "")


def uses_tools_for_state_changes(
    input: Any, output: Any, expected: Any = None, metadata: Any = None, **kwargs: Any
) -> dict[str, Any]:
    """0 when changes are narrated without a state tool, or a requested action skips the rules."""
    narration, calls = turn_parts(output, metadata)
    world = names("world")
    changed = [c for c in calls if c.get("name") in world and not c.get("is_error")]
    claims = state_claims(narration)
    if claims and not changed:
        return _score(
            "uses_tools_for_state_changes",
            0.0,
            "narrates a change of state with no successful state tool: " + repr(claims[0].text),
        )
    message = input if isinstance(input, str) else ""
    if requested_change(message) and not calls:
        return _score(
            "uses_tools_for_state_changes",
            0.0,
            "the player asked for an action that changes state and no tool was consulted",
        )
    return _score("uses_tools_for_state_changes", 1.0, "state changes went through the tools")


RULE_SCORERS: list[Scorer] = [
    narration_length,
    voice,
    dice_honesty,
    state_honesty,
    uses_tools_for_state_changes,
]


def score_turn(
    message: str,
    narration: str,
    tool_calls: list[dict[str, Any]],
    scorers: list[Scorer] | None = None,
) -> dict[str, dict[str, Any]]:
    """Every scorer's result for one turn, keyed by score name."""
    out = {}
    for scorer in scorers or RULE_SCORERS:
        result = scorer(message, narration, None, {"tool_calls": tool_calls})
        out[result["name"]] = result
    return out
