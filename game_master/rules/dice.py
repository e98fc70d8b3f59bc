"""Dice and checks: ``NdM+K`` rolls and d20 ability or skill checks against a DC."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from .character import (
    ABILITIES,
    ABILITY_ALIASES,
    PROFICIENCY_BONUS,
    SKILLS,
    ability_modifier,
)
from .refusals import refuse
from .state import GameState, require_able

# Dice limits: anything outside is nonsense for a tabletop roll, and a huge count would let
# a model burn CPU or flood a result.
MAX_DICE = 20
MAX_SIDES = 100
MAX_MODIFIER = 50
DC_RANGE = (1, 30)

Advantage = Literal["none", "advantage", "disadvantage"]
DICE_RE = re.compile(r"^\s*(\d{1,4})?\s*d\s*(\d{1,5})\s*(?:([+-])\s*(\d{1,4}))?\s*$", re.I)


@dataclass(frozen=True)
class DiceSpec:
    """Parsed ``NdM+K`` notation."""

    count: int
    sides: int
    modifier: int

    def __str__(self) -> str:
        mod = f"{self.modifier:+d}" if self.modifier else ""
        return f"{self.count}d{self.sides}{mod}"


def parse_dice(notation: str) -> DiceSpec:
    """Parse ``NdM+K`` (N defaults to 1); raises RuleError for nonsense like 0d0."""
    if not isinstance(notation, str) or len(notation) > 20:
        raise refuse(
            "dice_notation",
            "dice notation must be a short string like '2d6+1'",
            notation=str(notation)[:40],
        )
    m = DICE_RE.match(notation)
    if not m:
        raise refuse(
            "dice_notation",
            f"cannot read dice notation {notation!r}; use NdM+K, e.g. '1d20+3'",
            notation=notation,
        )
    count = int(m.group(1) or 1)
    sides = int(m.group(2))
    modifier = int(m.group(4) or 0) * (-1 if m.group(3) == "-" else 1)
    if not 1 <= count <= MAX_DICE:
        raise refuse(
            "dice_count", f"dice count must be 1-{MAX_DICE}, got {count}", count=count, max=MAX_DICE
        )
    if not 2 <= sides <= MAX_SIDES:
        raise refuse(
            "dice_sides",
            f"dice must have 2-{MAX_SIDES} sides, got {sides}",
            sides=sides,
            max=MAX_SIDES,
        )
    if abs(modifier) > MAX_MODIFIER:
        raise refuse(
            "dice_modifier",
            f"modifier must be within ±{MAX_MODIFIER}",
            modifier=modifier,
            max=MAX_MODIFIER,
        )
    return DiceSpec(count, sides, modifier)


def _check_advantage(advantage: str) -> Advantage:
    """Validate an advantage keyword."""
    if advantage not in ("none", "advantage", "disadvantage"):
        raise refuse(
            "bad_advantage",
            "advantage must be 'none', 'advantage' or 'disadvantage'",
            value=str(advantage)[:40],
        )
    return advantage  # type: ignore[return-value]


def roll_dice(state: GameState, notation: str, advantage: str = "none") -> dict[str, Any]:
    """Roll dice; with advantage/disadvantage the whole roll is made twice and one kept."""
    spec = parse_dice(notation)
    adv = _check_advantage(advantage)
    rng = state.rng()
    sets = [[rng.randint(1, spec.sides) for _ in range(spec.count)]]
    if adv != "none":
        sets.append([rng.randint(1, spec.sides) for _ in range(spec.count)])
    sums = [sum(s) for s in sets]
    pick = max if adv == "advantage" else min
    kept_index = sums.index(pick(sums)) if adv != "none" else 0
    kept = sets[kept_index]
    return {
        "notation": str(spec),
        "advantage": adv,
        "rolls": sets,
        "kept": kept,
        "modifier": spec.modifier,
        "total": sum(kept) + spec.modifier,
    }


def ability_check(
    state: GameState, skill_or_ability: str, dc: int, advantage: str = "none"
) -> dict[str, Any]:
    """A d20 check against a DC with the character's modifier (and proficiency if trained)."""
    require_able(state)
    key = str(skill_or_ability).strip().lower().replace(" ", "_")
    key = ABILITY_ALIASES.get(key, key)
    if key in ABILITIES:
        ability, skill = key, None
    elif key in SKILLS:
        ability, skill = SKILLS[key], key
    else:
        raise refuse(
            "unknown_skill",
            f"unknown ability or skill {skill_or_ability!r}; abilities: {', '.join(ABILITIES)}; "
            f"skills: {', '.join(SKILLS)}",
            skill=str(skill_or_ability)[:40],
        )
    if not isinstance(dc, int) or isinstance(dc, bool) or not DC_RANGE[0] <= dc <= DC_RANGE[1]:
        raise refuse(
            "dc_range",
            f"dc must be a whole number from {DC_RANGE[0]} to {DC_RANGE[1]}",
            dc=dc,
            min=DC_RANGE[0],
            max=DC_RANGE[1],
        )
    adv = _check_advantage(advantage)
    char = state.character
    modifier = ability_modifier(char.abilities[ability])
    proficient = skill is not None and skill in char.skills
    if proficient:
        modifier += PROFICIENCY_BONUS
    if adv == "none" and "poisoned" in char.conditions:
        adv = "disadvantage"
    rng = state.rng()
    d20s = [rng.randint(1, 20)] + ([rng.randint(1, 20)] if adv != "none" else [])
    natural = max(d20s) if adv == "advantage" else min(d20s)
    total = natural + modifier
    success = natural == 20 or (natural != 1 and total >= dc)
    return {
        "check": skill or ability,
        "ability": ability,
        "proficient": proficient,
        "advantage": adv,
        "d20": d20s,
        "natural": natural,
        "modifier": modifier,
        "total": total,
        "dc": dc,
        "success": success,
        "margin": total - dc,
        "critical": natural in (1, 20),
    }
