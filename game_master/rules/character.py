"""Characters: classes, ability scores, armour, the sheet, and the rules of creating one."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .refusals import refuse

ABILITIES = ("strength", "dexterity", "constitution", "intelligence", "wisdom", "charisma")
ABILITY_ALIASES = {a[:3]: a for a in ABILITIES}
SKILLS = {
    "athletics": "strength",
    "acrobatics": "dexterity",
    "stealth": "dexterity",
    "sleight_of_hand": "dexterity",
    "arcana": "intelligence",
    "history": "intelligence",
    "investigation": "intelligence",
    "religion": "intelligence",
    "insight": "wisdom",
    "medicine": "wisdom",
    "perception": "wisdom",
    "survival": "wisdom",
    "deception": "charisma",
    "intimidation": "charisma",
    "persuasion": "charisma",
}
CONDITIONS = (
    "blinded",
    "charmed",
    "frightened",
    "poisoned",
    "prone",
    "restrained",
    "stunned",
    "exhausted",
    "blessed",
    "hidden",
)
PROFICIENCY_BONUS = 2


@dataclass(frozen=True)
class CharacterClass:
    """A playable class: base HP, ability scores and trained skills."""

    name: str
    hit_points: int
    abilities: dict[str, int]
    skills: tuple[str, ...]
    starting_items: tuple[str, ...] = ()
    hit_die: int = 8
    armour: int = 10  # armour class before DEX: the class's usual armour (5e)
    armour_dex_cap: int | None = None  # the most DEX adds to it (None: all of it)
    spell: Attack | None = None  # an attack cantrip the class knows (no item needed)


@dataclass(frozen=True)
class Attack:
    """A way to attack: a weapon, a cantrip or bare fists; which ability sets its numbers."""

    name: str
    damage: str  # dice ("1d8"), or a flat number ("1") for an unarmed strike
    abilities: tuple[str, ...]  # the best of these sets attack and damage
    item: str | None = None  # the item id of a weapon


CLASSES: dict[str, CharacterClass] = {
    "fighter": CharacterClass(
        "fighter",
        14,
        {
            "strength": 16,
            "dexterity": 12,
            "constitution": 15,
            "intelligence": 9,
            "wisdom": 11,
            "charisma": 10,
        },
        ("athletics", "intimidation", "perception"),
        hit_die=10,
        armour=16,  # chain mail
        armour_dex_cap=0,
    ),
    "rogue": CharacterClass(
        "rogue",
        11,
        {
            "strength": 10,
            "dexterity": 16,
            "constitution": 12,
            "intelligence": 13,
            "wisdom": 12,
            "charisma": 14,
        },
        ("stealth", "sleight_of_hand", "acrobatics", "deception"),
        hit_die=8,
        armour=11,  # leather
    ),
    "wizard": CharacterClass(
        "wizard",
        9,
        {
            "strength": 8,
            "dexterity": 13,
            "constitution": 12,
            "intelligence": 16,
            "wisdom": 13,
            "charisma": 10,
        },
        ("arcana", "history", "investigation"),
        hit_die=6,
        spell=Attack("fire bolt", "1d10", ("intelligence",)),
    ),
    "cleric": CharacterClass(
        "cleric",
        12,
        {
            "strength": 12,
            "dexterity": 10,
            "constitution": 14,
            "intelligence": 10,
            "wisdom": 16,
            "charisma": 13,
        },
        ("religion", "medicine", "insight", "persuasion"),
        hit_die=8,
        armour=16,  # scale mail and a shield
        armour_dex_cap=2,
        spell=Attack("sacred flame", "1d8", ("wisdom",)),
    ),
}

NAME_RE = re.compile(r"^[\w][\w '\-.]{0,39}$", re.UNICODE)

# Ability scores a player chooses at creation (the tabletop 5e rules, no racial bonuses).
STANDARD_ARRAY = (15, 14, 13, 12, 10, 8)
POINT_BUY_COSTS = {8: 0, 9: 1, 10: 2, 11: 3, 12: 4, 13: 5, 14: 7, 15: 9}
# 5e: "you have 27 points to spend"; spending less is allowed (the total is at most 27).
POINT_BUY_BUDGET = 27
SCORE_MIN, SCORE_MAX = min(POINT_BUY_COSTS), max(POINT_BUY_COSTS)
CREATION_METHODS = ("standard_array", "point_buy")
MAX_BACKSTORY = 200


def ability_modifier(score: int) -> int:
    """The tabletop modifier of an ability score: (score - 10) // 2."""
    return (score - 10) // 2


# --------------------------------------------------------------------------- the sheet


@dataclass
class Character:
    """The player character's sheet."""

    name: str
    cls: str
    level: int
    hp: int
    max_hp: int
    abilities: dict[str, int]
    skills: list[str]
    conditions: list[str] = field(default_factory=list)
    hit_die: int = 8
    hit_dice: int = 1  # hit dice left to spend on short rests (a level's worth at most)
    backstory: str = ""  # the player's one line; the game master is told it
    death_successes: int = 0  # death saving throws while down at 0 HP (5e: three of either)
    death_failures: int = 0

    @property
    def down(self) -> bool:
        """At 0 HP: unconscious, rolling death saves (the game is lost, or not, by them)."""
        return self.hp <= 0

    @property
    def armour_class(self) -> int:
        """The class's armour plus DEX (as far as that armour lets it count)."""
        spec = CLASSES.get(self.cls)
        dex = ability_modifier(self.abilities.get("dexterity", 10))
        if spec is None:
            return 10 + dex
        cap = spec.armour_dex_cap
        return spec.armour + (dex if cap is None else min(dex, cap))

    def to_dict(self) -> dict[str, Any]:
        """The sheet as JSON, with modifiers spelled out for the model and the page."""
        return {
            "name": self.name,
            "class": self.cls,
            "level": self.level,
            "hp": self.hp,
            "max_hp": self.max_hp,
            "abilities": dict(self.abilities),
            "modifiers": {a: ability_modifier(s) for a, s in self.abilities.items()},
            "skills": list(self.skills),
            "conditions": list(self.conditions),
            "hit_die": self.hit_die,
            "hit_dice": self.hit_dice,
            "backstory": self.backstory,
            "ac": self.armour_class,
            "down": self.down,
            "death_saves": {"successes": self.death_successes, "failures": self.death_failures},
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Character:
        """Inverse of :meth:`to_dict`."""
        return cls(
            name=raw["name"],
            cls=raw["class"],
            level=raw["level"],
            hp=raw["hp"],
            max_hp=raw["max_hp"],
            abilities=dict(raw["abilities"]),
            skills=list(raw["skills"]),
            conditions=list(raw.get("conditions", [])),
            # Games stored before hit dice existed start with a full pool.
            hit_die=int(raw.get("hit_die", 8)),
            hit_dice=int(raw.get("hit_dice", raw["level"])),
            # Games stored before backstories existed have none.
            backstory=str(raw.get("backstory", "")),
            # Games stored before death saves existed were never down.
            death_successes=int(raw.get("death_saves", {}).get("successes", 0)),
            death_failures=int(raw.get("death_saves", {}).get("failures", 0)),
        )


def validate_character_name(name: str) -> str:
    """A trimmed character name; raises RuleError when empty, too long or odd."""
    name = " ".join(str(name).split())
    if not NAME_RE.match(name):
        raise refuse(
            "invalid_name", "name must be 1-40 letters, digits, spaces, apostrophes or dashes"
        )
    return name


def _score(ability: str, value: Any) -> int:
    """One chosen score: a whole number the creation rules allow (8-15 for both methods)."""
    if isinstance(value, bool) or not isinstance(value, int) or not SCORE_MIN <= value <= SCORE_MAX:
        raise refuse(
            "ability_score",
            f"{ability} must be a whole number from {SCORE_MIN} to {SCORE_MAX}; got {value!r}",
            ability=ability,
            score=value,
            min=SCORE_MIN,
            max=SCORE_MAX,
        )
    return value


def point_buy_cost(scores: Mapping[str, int]) -> int:
    """What these scores (each 8-15) cost in point-buy points."""
    return sum(POINT_BUY_COSTS[v] for v in scores.values())


def chosen_abilities(method: Any, abilities: Any) -> dict[str, int]:
    """The six scores a player chose by ``method``; raises RuleError naming the broken rule.

    ``standard_array``: the values 15, 14, 13, 12, 10 and 8, one each. ``point_buy``: each
    score 8-15, costing at most :data:`POINT_BUY_BUDGET` points by :data:`POINT_BUY_COSTS`.
    """
    if method not in CREATION_METHODS:
        raise refuse(
            "unknown_method",
            f"method must be one of: {', '.join(CREATION_METHODS)}; got {method!r}",
            method=method,
            known=list(CREATION_METHODS),
        )
    if not isinstance(abilities, Mapping):
        abilities = {}
    for key in abilities:
        if key not in ABILITIES:
            raise refuse(
                "unknown_ability",
                f"unknown ability {key!r}; the abilities are: {', '.join(ABILITIES)}",
                ability=str(key),
                known=list(ABILITIES),
            )
    missing = [a for a in ABILITIES if a not in abilities]
    if missing:
        raise refuse(
            "missing_ability",
            f"{method.replace('_', ' ')} needs a score for every ability; missing: "
            f"{', '.join(missing)}",
            missing=missing,
        )
    scores = {a: _score(a, abilities[a]) for a in ABILITIES}
    if method == "standard_array":
        _check_standard_array(scores)
    else:
        cost = point_buy_cost(scores)
        if cost > POINT_BUY_BUDGET:
            raise refuse(
                "point_buy_budget",
                f"point-buy costs {cost} points; the budget is {POINT_BUY_BUDGET}",
                cost=cost,
                budget=POINT_BUY_BUDGET,
            )
    return scores


def _check_standard_array(scores: dict[str, int]) -> None:
    """Refuse scores that are not the standard array, each value once."""
    counts = Counter(scores.values())
    for value, uses in sorted(counts.items(), reverse=True):
        if value not in STANDARD_ARRAY or uses > 1:
            problem = (
                "is not in the array"
                if value not in STANDARD_ARRAY
                else ("is used twice" if uses == 2 else f"is used {uses} times")
            )
            raise refuse(
                "standard_array",
                f"standard array needs {', '.join(map(str, STANDARD_ARRAY))} once each; "
                f"{value} {problem}",
                array=list(STANDARD_ARRAY),
                value=value,
                uses=uses,
            )


def validate_backstory(text: Any) -> str:
    """A trimmed one-line backstory of at most :data:`MAX_BACKSTORY` characters (may be
    empty); raises RuleError for newlines, control characters or too long a line."""
    if not isinstance(text, str):
        raise refuse(
            "invalid_backstory", "backstory must be a string", reason="not_text", max=MAX_BACKSTORY
        )
    text = text.strip()
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text):
        raise refuse(
            "invalid_backstory",
            "backstory must be one line, without line breaks or control characters",
            reason="control_characters",
            max=MAX_BACKSTORY,
        )
    if len(text) > MAX_BACKSTORY:
        raise refuse(
            "invalid_backstory",
            f"backstory must be at most {MAX_BACKSTORY} characters; it has {len(text)}",
            reason="too_long",
            max=MAX_BACKSTORY,
        )
    return text


def creation_rules() -> dict[str, Any]:
    """The character-creation rules as data, for a page that helps the player follow them."""
    return {
        "abilities": list(ABILITIES),
        "methods": list(CREATION_METHODS),
        "standard_array": list(STANDARD_ARRAY),
        "point_buy": {
            "costs": {str(k): v for k, v in POINT_BUY_COSTS.items()},
            "budget": POINT_BUY_BUDGET,
            "min": SCORE_MIN,
            "max": SCORE_MAX,
        },
        "classes": {k: dict(c.abilities) for k, c in CLASSES.items()},
        "max_backstory": MAX_BACKSTORY,
    }
