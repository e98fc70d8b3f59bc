"""Scenarios: the adventure data (places, items, people, foes, lore, goal) loaded from JSON.

The format is documented in docs/scenarios.md and published as scenario.schema.json; this
module turns a checked file into frozen dataclasses. Every optional field gets its default
here, once: a foe's fight numbers fall back to its tier's (:data:`TIERS`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .scenario_checks import ScenarioError, check_scenario

DEFAULT_SCENARIO = "drowned_bell"
PREPOSITIONS = ("in", "on", "at")


@dataclass(frozen=True)
class FoeStats:
    """What a foe fights with: hit points, armour class, attack bonus, damage, initiative."""

    hp: int
    ac: int
    attack: int
    damage: str
    initiative: int


# A foe's numbers by tier, for a level-1 hero fighting alone (5e challenge ratings 1/8 to 1).
# A scenario may set any of them per foe; the rest come from here.
TIERS: dict[str, FoeStats] = {
    "minion": FoeStats(hp=5, ac=11, attack=2, damage="1d4", initiative=1),
    "standard": FoeStats(hp=11, ac=12, attack=3, damage="1d6+1", initiative=1),
    "elite": FoeStats(hp=16, ac=13, attack=4, damage="1d6+2", initiative=2),
    "boss": FoeStats(hp=24, ac=14, attack=5, damage="1d8+2", initiative=2),
}
DEFAULT_TIER = "standard"


@dataclass(frozen=True)
class Weapon:
    """How an item fights: its damage dice and whether it is finesse (DEX may be used)."""

    damage: str
    finesse: bool = False


@dataclass(frozen=True)
class Location:
    """A place in the scenario."""

    id: str
    name: str
    description: str
    exits: dict[str, str]
    locked: dict[str, str]
    items: tuple[str, ...]
    npcs: tuple[str, ...]
    preposition: str = "in"  # "on the Canal Steps", "at the Night Market", "in the Cellar"
    ways: dict[str, tuple[str, ...]] = field(default_factory=dict)  # exit -> words for it
    one_way: tuple[str, ...] = ()  # exits that need no way back
    words: tuple[str, ...] = ()  # other words players use for the place


@dataclass(frozen=True)
class Item:
    """An item definition; ``heal`` > 0 makes a consumable restore HP."""

    id: str
    name: str
    description: str
    consumable: bool = False
    heal: int = 0
    weapon: Weapon | None = None
    words: tuple[str, ...] = ()


@dataclass(frozen=True)
class Npc:
    """A person (or creature) in the scenario: what they know, how they speak, how they fight."""

    id: str
    name: str
    description: str
    lore: str
    hostile: bool = False
    voice: str = ""  # a line in their own words: how they speak
    topics: dict[str, str] = field(default_factory=dict)  # thing or word -> what they say
    words: tuple[str, ...] = ()
    tier: str = DEFAULT_TIER
    guards: tuple[str, ...] = ()  # item ids or exit directions at their place
    overrides: dict[str, Any] = field(default_factory=dict)  # hp, ac, attack, damage, initiative

    @property
    def stats(self) -> FoeStats:
        """The foe's fight numbers: its own where the scenario sets them, else its tier's."""
        base = TIERS[self.tier]
        return FoeStats(**{k: self.overrides.get(k, getattr(base, k)) for k in FOE_NUMBERS})


FOE_NUMBERS = ("hp", "ac", "attack", "damage", "initiative")


@dataclass(frozen=True)
class Scenario:
    """A whole adventure, loaded from a JSON data file."""

    id: str
    title: str
    intro: str
    goal: str
    start: str
    ending: dict[str, str]
    locations: dict[str, Location]
    items: dict[str, Item]
    npcs: dict[str, Npc]
    lore: tuple[dict[str, str], ...]

    tagline: str = ""
    tone: str = ""

    @property
    def keys(self) -> dict[str, list[tuple[str, str]]]:
        """Key item id -> the (location id, direction) locks it opens."""
        found: dict[str, list[tuple[str, str]]] = {}
        for loc in self.locations.values():
            for direction, key in loc.locked.items():
                found.setdefault(key, []).append((loc.id, direction))
        return found

    def where_is(self, npc_id: str) -> str | None:
        """The location a person stands in (people do not move), or None."""
        return next((k for k, v in self.locations.items() if npc_id in v.npcs), None)

    @classmethod
    def from_dict(cls, raw: Any, file: str = "<scenario>") -> Scenario:
        """Check (schema, references, the solver) and build a scenario; raises ScenarioError."""
        problems = check_scenario(raw, file)
        if problems:
            raise ScenarioError(problems)
        return cls(
            id=raw["id"],
            title=raw["title"],
            intro=raw["intro"],
            goal=raw["goal"],
            start=raw["start"],
            ending=dict(raw["ending"]),
            locations={k: _location(k, v) for k, v in raw["locations"].items()},
            items={k: _item(k, v) for k, v in raw["items"].items()},
            npcs={k: _npc(k, v) for k, v in raw["npcs"].items()},
            lore=tuple(raw.get("lore", ())),
            tagline=raw.get("tagline", ""),
            tone=raw.get("tone", ""),
        )


def _location(key: str, v: dict[str, Any]) -> Location:
    """A location from its JSON object."""
    return Location(
        id=key,
        name=v["name"],
        description=v["description"],
        exits=dict(v.get("exits", {})),
        locked=dict(v.get("locked", {})),
        items=tuple(v.get("items", ())),
        npcs=tuple(v.get("npcs", ())),
        preposition=v.get("preposition", "in"),
        ways={d: tuple(w) for d, w in v.get("ways", {}).items()},
        one_way=tuple(v.get("one_way", ())),
        words=tuple(v.get("words", ())),
    )


def _item(key: str, v: dict[str, Any]) -> Item:
    """An item from its JSON object."""
    weapon = v.get("weapon")
    return Item(
        id=key,
        name=v["name"],
        description=v["description"],
        consumable=v.get("consumable", False),
        heal=v.get("heal", 0),
        weapon=Weapon(weapon["damage"], weapon.get("finesse", False)) if weapon else None,
        words=tuple(v.get("words", ())),
    )


def _npc(key: str, v: dict[str, Any]) -> Npc:
    """A person from its JSON object."""
    return Npc(
        id=key,
        name=v["name"],
        description=v["description"],
        lore=v["lore"],
        hostile=v.get("hostile", False),
        voice=v.get("voice", ""),
        topics=dict(v.get("topics", {})),
        words=tuple(v.get("words", ())),
        tier=v.get("tier", DEFAULT_TIER),
        guards=tuple(v.get("guards", ())),
        overrides={k: v[k] for k in FOE_NUMBERS if k in v},
    )
