"""Characters and game state: classes, ability scores, the sheet, and what a game stores."""

from __future__ import annotations

import dataclasses
import random
import re
from dataclasses import dataclass, field
from typing import Any

from .refusals import refuse
from .scenario import Scenario

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
    ),
}

NAME_RE = re.compile(r"^[\w][\w '\-.]{0,39}$", re.UNICODE)


def ability_modifier(score: int) -> int:
    """The tabletop modifier of an ability score: (score - 10) // 2."""
    return (score - 10) // 2


# --------------------------------------------------------------------------- state


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
        )


@dataclass
class GameState:
    """Everything that changes during a game; the server's truth, stored as JSON."""

    scenario_id: str
    character: Character
    location: str
    inventory: list[str]
    location_items: dict[str, list[str]]
    seed: int
    rolls: int = 0
    visited: list[str] = field(default_factory=list)
    outcome: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form for the store."""
        data = dataclasses.asdict(self)
        data["character"] = self.character.to_dict()
        return data

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> GameState:
        """Inverse of :meth:`to_dict`."""
        data = dict(raw)
        data["character"] = Character.from_dict(raw["character"])
        return cls(**data)

    def rng(self) -> random.Random:
        """A fresh RNG for the next roll: deterministic per game seed and roll count."""
        self.rolls += 1
        return random.Random(f"{self.seed}:{self.rolls}")


def validate_character_name(name: str) -> str:
    """A trimmed character name; raises RuleError when empty, too long or odd."""
    name = " ".join(str(name).split())
    if not NAME_RE.match(name):
        raise refuse(
            "invalid_name", "name must be 1-40 letters, digits, spaces, apostrophes or dashes"
        )
    return name


def new_game_state(name: str, cls: str, scenario: Scenario, seed: int | None = None) -> GameState:
    """A fresh game at the scenario's start; raises RuleError for a bad name or class."""
    name = validate_character_name(name)
    cls_key = str(cls).strip().lower()
    if cls_key not in CLASSES:
        raise refuse(
            "unknown_class",
            f"class must be one of: {', '.join(CLASSES)}",
            cls=str(cls),
            known=list(CLASSES),
        )
    spec = CLASSES[cls_key]
    hp = spec.hit_points
    return GameState(
        scenario_id=scenario.id,
        character=Character(
            name=name,
            cls=cls_key,
            level=1,
            hp=hp,
            max_hp=hp,
            abilities=dict(spec.abilities),
            skills=list(spec.skills),
            hit_die=spec.hit_die,
            hit_dice=1,
        ),
        location=scenario.start,
        inventory=list(spec.starting_items),
        location_items={k: list(v.items) for k, v in scenario.locations.items()},
        seed=random.SystemRandom().randrange(2**31) if seed is None else seed,
        visited=[scenario.start],
    )


def require_playing(state: GameState) -> None:
    """Refuse changes once the game has ended."""
    if state.outcome == "won":
        raise refuse("game_over", "the adventure is over: the player has won", outcome="won")
    if state.outcome == "dead":
        raise refuse("game_over", "the character is dead; the adventure is over", outcome="dead")
