"""A small adventure for the rules tests: a gate, a yard with a troll guarding a key, a
locked tower stair, a cellar; weapons, a potion, and a warden who answers in her own words."""

from __future__ import annotations

import copy
import random
from typing import Any

from game_master import rules

KEEP: dict[str, Any] = {
    "id": "keep",
    "title": "The Keep",
    "intro": "A troll squats in the yard of the old keep.",
    "goal": "Bring the crown from the tower to the gate.",
    "start": "gate",
    "ending": {"item": "crown", "location": "gate", "text": "You hold the crown aloft.",
               "defeat": "The keep keeps you."},
    "locations": {
        "gate": {
            "name": "The Gate", "preposition": "at",
            "description": "A broken gate. The yard lies north.",
            "exits": {"north": "yard"},
            "items": ["dagger", "mace", "potion", "rope"],
            "npcs": ["ann"],
        },
        "yard": {
            "name": "The Yard",
            "description": "A muddy yard under the tower.",
            "exits": {"south": "gate", "up": "tower", "east": "cellar"},
            "locked": {"up": "iron_key"},
            "ways": {"up": ["tower stair", "stairs", "tower door"]},
            "items": ["iron_key"],
            "npcs": ["troll"],
        },
        "cellar": {
            "name": "The Cellar", "description": "A damp cellar.",
            "exits": {"west": "yard"}, "items": ["bread"],
        },
        "tower": {
            "name": "The Tower Top", "preposition": "on",
            "description": "Wind and a crown on a cushion.",
            "exits": {"down": "yard"}, "locked": {"down": "iron_key"},
            "items": ["crown"],
        },
    },
    "items": {
        "dagger": {"name": "Dagger", "description": "Sharp.",
                   "weapon": {"damage": "1d4", "finesse": True}},
        "mace": {"name": "Mace", "description": "Heavy.", "weapon": {"damage": "1d6"}},
        "potion": {"name": "Healing potion", "description": "Red.", "consumable": True,
                   "heal": 5},
        "rope": {"name": "Coil of rope", "description": "Hemp."},
        "iron_key": {"name": "Iron key", "description": "It opens the tower stair."},
        "crown": {"name": "Crown", "description": "Gold."},
        "bread": {"name": "Loaf of bread", "description": "Soft.", "consumable": True,
                  "heal": 1},
    },
    "npcs": {
        "ann": {
            "name": "Ann the warden", "description": "A grey woman with a lantern.",
            "lore": "Ann says the troll guards the key.", "words": ["warden"],
            "voice": "Mind the mud, love. And the troll.",
            "topics": {
                "troll": "He's slow, but he hits like a falling wall.",
                "iron_key": "The troll sits on the tower key. Always has.",
                "bells": "No bells here since the old lord died.",
            },
        },
        "troll": {
            "name": "The troll", "description": "Grey and huge.", "lore": "It guards the key.",
            "hostile": True, "tier": "elite", "hp": 10, "guards": ["iron_key"],
            "words": ["brute"],
        },
    },
}  # fmt: skip


def keep(**changes: Any) -> rules.Scenario:
    """The Keep, with top-level or nested changes applied to a copy of its data."""
    raw = copy.deepcopy(KEEP)
    for path, value in changes.items():
        node = raw
        *parts, last = path.split("__")
        for part in parts:
            node = node[part]
        node[last] = value
    return rules.Scenario.from_dict(raw, "keep.json")


class Dice(random.Random):
    """A random source that returns scripted d20s and damage dice, in order."""

    def __init__(self, values: list[int]) -> None:
        """Keep the values to hand out."""
        super().__init__(0)
        self.values = list(values)

    def randint(self, a: int, b: int) -> int:
        """The next scripted value (it must fit the die)."""
        assert self.values, f"no scripted roll left for d{b}"
        value = self.values.pop(0)
        assert a <= value <= b, (value, a, b)
        return value


def script(state: rules.GameState, *values: int) -> Dice:
    """Make every roll of ``state`` come from ``values``, in order."""
    dice = Dice(list(values))
    state.rng = lambda: dice  # type: ignore[method-assign]
    return dice
