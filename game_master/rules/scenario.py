"""Scenarios: the adventure data (places, items, people, lore, goal) loaded from JSON."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .scenario_checks import ScenarioError, check_scenario

DEFAULT_SCENARIO = "drowned_bell"


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


@dataclass(frozen=True)
class Item:
    """An item definition; ``heal`` > 0 makes a consumable restore HP."""

    id: str
    name: str
    description: str
    consumable: bool = False
    heal: int = 0


@dataclass(frozen=True)
class Npc:
    """A non-player character and what they know."""

    id: str
    name: str
    description: str
    lore: str
    hostile: bool = False


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

    @classmethod
    def from_dict(cls, raw: Any, file: str = "<scenario>") -> Scenario:
        """Check (schema and references) and build a scenario; raises ScenarioError."""
        problems = check_scenario(raw, file)
        if problems:
            raise ScenarioError(problems)
        items = {k: Item(id=k, **v) for k, v in raw["items"].items()}
        npcs = {k: Npc(id=k, **v) for k, v in raw["npcs"].items()}
        locations = {
            k: Location(
                id=k,
                name=v["name"],
                description=v["description"],
                exits=dict(v.get("exits", {})),
                locked=dict(v.get("locked", {})),
                items=tuple(v.get("items", ())),
                npcs=tuple(v.get("npcs", ())),
            )
            for k, v in raw["locations"].items()
        }
        return cls(
            id=raw["id"],
            title=raw["title"],
            intro=raw["intro"],
            goal=raw["goal"],
            start=raw["start"],
            ending=dict(raw["ending"]),
            locations=locations,
            items=items,
            npcs=npcs,
            lore=tuple(raw.get("lore", ())),
            tagline=raw.get("tagline", ""),
            tone=raw.get("tone", ""),
        )
