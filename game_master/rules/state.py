"""The game state: everything that changes during a game, stored as JSON, and its guards.

Fields added after games were first stored default on load, so every saved game still opens
(a game saved before fights has no wounded foes and no fight; before locks, none unlocked).
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass, field
from typing import Any

from .character import (
    CLASSES,
    Character,
    ability_modifier,
    chosen_abilities,
    validate_backstory,
    validate_character_name,
)
from .refusals import refuse
from .scenario import Scenario

PC = "pc"  # the player character's place in a fight's order (the state's own character)
COMPANION = "pc:"  # + a companion's name: a party's other characters in a fight's order


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
    foes: dict[str, int] = field(default_factory=dict)  # foe id -> HP left (unhurt: absent)
    fight: dict[str, Any] | None = None  # {"round", "order": [{"id", "initiative"}]}
    unlocked: list[str] = field(default_factory=list)  # "location:direction" of opened locks
    came_from: str | None = None  # the place the character last came from
    # Party play: the other seated characters' sheets (``character`` is the host's); a tool
    # that names one acts on it (rules/party.py). A solo game has none.
    companions: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form for the store."""
        data = dataclasses.asdict(self)
        data["character"] = self.character.to_dict()
        return data

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> GameState:
        """Inverse of :meth:`to_dict` (fields a stored game lacks take their defaults)."""
        known = {f.name for f in dataclasses.fields(cls)}
        data = {k: v for k, v in raw.items() if k in known}
        data["character"] = Character.from_dict(raw["character"])
        return cls(**data)

    def rng(self) -> random.Random:
        """A fresh RNG for the next roll: deterministic per game seed and roll count."""
        self.rolls += 1
        return random.Random(f"{self.seed}:{self.rolls}")

    def is_unlocked(self, location: str, direction: str) -> bool:
        """Whether the lock on that exit has been opened."""
        return f"{location}:{direction}" in self.unlocked

    def foe_hp(self, scenario: Scenario, foe: str) -> int:
        """A foe's hit points left."""
        return self.foes.get(foe, scenario.npcs[foe].stats.hp)

    def defeated(self, foe: str) -> bool:
        """Whether a foe has been brought to 0 HP."""
        return self.foes.get(foe, 1) <= 0


def new_game_state(
    name: str,
    cls: str,
    scenario: Scenario,
    seed: int | None = None,
    *,
    method: Any = None,
    abilities: Any = None,
    backstory: Any = "",
) -> GameState:
    """A fresh game at the scenario's start; raises RuleError for a bad name, class, ability
    scores or backstory. Without ``method`` and ``abilities`` the class's own scores apply."""
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
    scores = (
        dict(spec.abilities)
        if method is None and abilities is None
        else chosen_abilities(method, abilities)
    )
    story = validate_backstory(backstory)
    # A class's hit points assume its own constitution; other scores move them by the
    # difference in modifier (never below 1).
    con_shift = ability_modifier(scores["constitution"]) - ability_modifier(
        spec.abilities["constitution"]
    )
    hp = max(1, spec.hit_points + con_shift)
    return GameState(
        scenario_id=scenario.id,
        character=Character(
            name=name,
            cls=cls_key,
            level=1,
            hp=hp,
            max_hp=hp,
            abilities=scores,
            skills=list(spec.skills),
            hit_die=spec.hit_die,
            hit_dice=1,
            backstory=story,
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


def require_able(state: GameState) -> None:
    """Refuse actions once the game has ended, or while the character is down at 0 HP."""
    require_playing(state)
    char = state.character
    if char.down:
        raise refuse(
            "character_down",
            "the character is down at 0 HP and can only make death saving throws "
            "(death_save) until healed or stable",
            successes=char.death_successes,
            failures=char.death_failures,
        )
