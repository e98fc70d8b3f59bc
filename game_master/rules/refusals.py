"""Typed rule refusals: a stable code, the facts behind it, and a sentence for the model.

A refusal is not a failure of the game: the rules said no. Tools return it to the model as
``{"error": {"code", "message", ...facts}}`` with ``is_error: True``; the offline narrator,
the page and the scorers branch on ``code`` and read the facts, never the message text.
"""

from __future__ import annotations

from typing import Any


class RuleError(ValueError):
    """A change the rules refuse: ``code`` names the rule, ``facts`` say what was wrong."""

    code = "refused"

    def __init__(self, message: str, *, code: str | None = None, **facts: Any) -> None:
        """``message`` is for the model; ``code`` and ``facts`` are for code that reacts."""
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.facts: dict[str, Any] = facts

    def to_dict(self) -> dict[str, Any]:
        """The error object a tool result carries."""
        return {"code": self.code, "message": self.message, **self.facts}


# Every refusal code, with the facts it carries. The offline narrator words each one and a
# test checks that every code the rules can raise is listed here.
CODES: dict[str, tuple[str, ...]] = {
    "game_over": ("outcome",),
    "dice_notation": ("notation",),
    "dice_count": ("count", "max"),
    "dice_sides": ("sides", "max"),
    "dice_modifier": ("modifier", "max"),
    "bad_advantage": ("value",),
    "unknown_skill": ("skill",),
    "unknown_character": ("character", "party"),
    "dc_range": ("dc", "min", "max"),
    "hp_amount": ("amount", "max"),
    "unknown_condition": ("condition", "known"),
    "no_exit": ("direction", "location", "exits"),
    "exit_locked": ("direction", "destination", "key", "key_name"),
    "item_not_here": ("item", "here"),
    "already_carried": ("item", "name"),
    "not_carried": ("item", "inventory"),
    "in_combat": ("foes",),
    "character_down": ("successes", "failures"),
    "not_down": ("hp",),
    "in_fight": ("foes", "direction"),
    "not_in_fight": (),
    "guarded": ("thing", "foe"),
    "no_foe": ("target", "here"),
    "which_foe": ("foes",),
    "not_a_foe": ("name",),
    "foe_defeated": ("name",),
    "not_a_weapon": ("item", "weapons"),
    "not_locked": ("direction", "destination"),
    "wrong_key": ("key_name", "direction", "needs"),
    "not_here": ("person", "seen_at"),
    "nobody_here": ("person",),
    "no_such_person": ("person", "here"),
    "which_person": ("here",),
    "not_known": ("what",),
    "full_hp": ("hp", "max_hp"),
    "no_hit_dice": (),
    "invalid_name": (),
    "unknown_class": ("cls", "known"),
    "unknown_method": ("method", "known"),
    "unknown_ability": ("ability", "known"),
    "missing_ability": ("missing",),
    "ability_score": ("ability", "score", "min", "max"),
    "standard_array": ("array", "value", "uses"),
    "point_buy_budget": ("cost", "budget"),
    "invalid_backstory": ("reason", "max"),
    "bad_argument": ("argument", "reason"),
    "unknown_tool": ("tool",),
    "tool_failed": ("tool",),
}


def refuse(code: str, message: str, **facts: Any) -> RuleError:
    """A RuleError with a listed code and exactly that code's facts."""
    expected = CODES[code]
    if set(facts) != set(expected):
        raise TypeError(f"refusal {code!r} takes facts {expected}, got {tuple(facts)}")
    return RuleError(message, code=code, **facts)
