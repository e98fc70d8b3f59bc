"""How the character attacks: a weapon from the pack, the class's cantrip, or bare fists.

5e, simplified for one hero: every weapon is used with proficiency (+2); a finesse weapon
uses the better of STR and DEX, any other STR; a cantrip its class's casting ability; an
unarmed strike deals 1 + STR. Without a choice the best of these (by average damage) is used.
"""

from __future__ import annotations

import random

from .character import CLASSES, PROFICIENCY_BONUS, Attack, Character, ability_modifier
from .dice import parse_dice
from .naming import best
from .refusals import refuse
from .scenario import Scenario
from .state import GameState

UNARMED = Attack("unarmed strike", "1", ("strength",))
UNARMED_WORDS = ("unarmed", "fists", "fist", "hands", "bare hands", "punch", "kick")


def attacks_of(state: GameState, scenario: Scenario) -> list[Attack]:
    """Every way the character can attack now: carried weapons, a cantrip, fists."""
    out = []
    for item_id in state.inventory:
        weapon = scenario.items[item_id].weapon
        if weapon is not None:
            abilities = ("strength", "dexterity") if weapon.finesse else ("strength",)
            out.append(Attack(scenario.items[item_id].name, weapon.damage, abilities, item_id))
    spec = CLASSES.get(state.character.cls)
    if spec is not None and spec.spell is not None:
        out.append(spec.spell)
    return [*out, UNARMED]


def modifier(char: Character, how: Attack) -> int:
    """The ability modifier an attack uses: the best of its abilities."""
    return max(ability_modifier(char.abilities.get(a, 10)) for a in how.abilities)


def attack_bonus(char: Character, how: Attack) -> int:
    """What the attack adds to its d20: ability modifier and proficiency."""
    return modifier(char, how) + PROFICIENCY_BONUS


def average(char: Character, how: Attack) -> float:
    """Average damage of a hit."""
    if how.damage.isdigit():
        return max(1, int(how.damage) + modifier(char, how))
    dice = parse_dice(how.damage)
    return max(1.0, dice.count * (dice.sides + 1) / 2 + dice.modifier + modifier(char, how))


def choose(state: GameState, scenario: Scenario, weapon: str = "") -> Attack:
    """The attack ``weapon`` names (a carried weapon, the cantrip, fists), or the best one;
    refused when the character does not carry it or it is no weapon."""
    options = attacks_of(state, scenario)
    if not weapon.strip():
        return max(options, key=lambda how: average(state.character, how))
    names = {how.name: [how.name, *(_words(scenario, how))] for how in options}
    found = best(weapon, names)
    if found is not None:
        return next(how for how in options if how.name == found)
    carried = {i: [scenario.items[i].name, *scenario.items[i].words] for i in state.inventory}
    item = best(weapon, carried)
    if item is not None:
        raise refuse(
            "not_a_weapon",
            f"the {scenario.items[item].name} is no weapon; attack with: "
            f"{', '.join(h.name for h in options)}",
            item=scenario.items[item].name,
            weapons=[h.name for h in options],
        )
    held = [scenario.items[i].name for i in state.inventory]
    raise refuse(
        "not_carried",
        f"the character does not carry {weapon!r}; inventory: {', '.join(held) or 'nothing'}",
        item=weapon,
        inventory=held,
    )


def _words(scenario: Scenario, how: Attack) -> list[str]:
    """Other words for an attack: the item's own, or 'fists' for an unarmed strike."""
    if how.item is not None:
        return list(scenario.items[how.item].words)
    if how is UNARMED:
        return list(UNARMED_WORDS)
    return ["spell", "magic", "cantrip"]


def roll_damage(
    rng: random.Random, char: Character, how: Attack, critical: bool
) -> tuple[str, list[int], int]:
    """Damage of a hit (a critical doubles the dice): notation, dice rolled, total (at least 1)."""
    mod = modifier(char, how)
    if how.damage.isdigit():
        return f"{how.damage}{mod:+d}" if mod else how.damage, [], max(1, int(how.damage) + mod)
    dice = parse_dice(how.damage)
    count = dice.count * (2 if critical else 1)
    rolls = [rng.randint(1, dice.sides) for _ in range(count)]
    bonus = dice.modifier + mod
    notation = f"{count}d{dice.sides}" + (f"{bonus:+d}" if bonus else "")
    return notation, rolls, max(1, sum(rolls) + bonus)
