"""Resting: a short rest spends a hit die to win back hit points, away from any foe."""

from __future__ import annotations

from typing import Any

from .character import ability_modifier
from .places import foes_at
from .refusals import refuse
from .scenario import Scenario
from .state import GameState, require_able


def foes_here(state: GameState, scenario: Scenario) -> list[str]:
    """Names of the foes still standing at the character's location."""
    return [scenario.npcs[n].name for n in foes_at(state, scenario, state.location)]


def short_rest(state: GameState, scenario: Scenario) -> dict[str, Any]:
    """Spend one hit die: regain 1dHD + CON modifier HP (at least 1), never above max.

    As the tabletop rules say, a character has one hit die per level to spend on short
    rests, and cannot rest with a foe in the room or at full health.
    """
    require_able(state)
    char = state.character
    foes = foes_here(state, scenario)
    if foes:
        raise refuse("in_combat", f"no rest with {', '.join(foes)} here", foes=foes)
    if char.hp >= char.max_hp:
        raise refuse(
            "full_hp", "the character is already at full health", hp=char.hp, max_hp=char.max_hp
        )
    if char.hit_dice <= 0:
        raise refuse("no_hit_dice", "the character has no hit dice left to spend")
    rolled = state.rng().randint(1, char.hit_die)
    before = char.hp
    char.hp = min(
        char.max_hp, char.hp + max(1, rolled + ability_modifier(char.abilities["constitution"]))
    )
    char.hit_dice -= 1
    return {
        "rested": True,
        "rolled": rolled,
        "healed": char.hp - before,
        "hp": char.hp,
        "max_hp": char.max_hp,
        "hit_dice_left": char.hit_dice,
    }
