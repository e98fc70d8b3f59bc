"""Pure game rules: dice, checks, characters, movement, inventory.

Nothing here does I/O. Every change the model asks for goes through a function in this
module, which either returns a JSON-safe result or raises :class:`RuleError` with a
message the model can read and act on.
"""

from __future__ import annotations

import dataclasses
import json
import random
import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Literal

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

# Dice limits: anything outside is nonsense for a tabletop roll, and a huge count would let
# a model burn CPU or flood a result.
MAX_DICE = 20
MAX_SIDES = 100
MAX_MODIFIER = 50
DC_RANGE = (1, 30)
MAX_HP_CHANGE = 100

Advantage = Literal["none", "advantage", "disadvantage"]


class RuleError(ValueError):
    """A change the rules refuse; the message is shown to the model as a tool error."""


@dataclass(frozen=True)
class CharacterClass:
    """A playable class: base HP, ability scores and trained skills."""

    name: str
    hit_points: int
    abilities: dict[str, int]
    skills: tuple[str, ...]
    starting_items: tuple[str, ...] = ()


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
    ),
}

NAME_RE = re.compile(r"^[\w][\w '\-.]{0,39}$", re.UNICODE)


def ability_modifier(score: int) -> int:
    """The tabletop modifier of an ability score: (score - 10) // 2."""
    return (score - 10) // 2


# --------------------------------------------------------------------------- scenario


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

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Scenario:
        """Build and validate a scenario; raises ValueError naming the broken reference."""
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
        scenario = cls(
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
        )
        scenario._validate()
        return scenario

    def _validate(self) -> None:
        """Check every cross-reference so a typo in data fails at load, not mid-game."""
        problems = []
        if self.start not in self.locations:
            problems.append(f"start {self.start!r} is not a location")
        for loc in self.locations.values():
            problems += [
                f"{loc.id}: exit {d!r} leads to unknown {t!r}"
                for d, t in loc.exits.items()
                if t not in self.locations
            ]
            problems += [
                f"{loc.id}: locked exit {d!r} is not an exit or key {k!r} unknown"
                for d, k in loc.locked.items()
                if d not in loc.exits or k not in self.items
            ]
            problems += [f"{loc.id}: unknown item {i!r}" for i in loc.items if i not in self.items]
            problems += [f"{loc.id}: unknown npc {n!r}" for n in loc.npcs if n not in self.npcs]
        if self.ending.get("item") not in self.items:
            problems.append("ending item unknown")
        if self.ending.get("location") not in self.locations:
            problems.append("ending location unknown")
        if problems:
            raise ValueError(f"scenario {self.id}: " + "; ".join(problems))


_SCENARIOS: dict[str, Scenario] = {}


def load_scenario(scenario_id: str = "drowned_bell") -> Scenario:
    """Load a bundled scenario by id (cached); raises KeyError for an unknown id."""
    if scenario_id not in _SCENARIOS:
        if not re.fullmatch(r"[a-z0-9_]{1,40}", scenario_id):
            raise KeyError(scenario_id)
        path = resources.files("game_master.scenarios").joinpath(f"{scenario_id}.json")
        if not path.is_file():
            raise KeyError(scenario_id)
        _SCENARIOS[scenario_id] = Scenario.from_dict(json.loads(path.read_text("utf-8")))
    return _SCENARIOS[scenario_id]


def available_scenarios() -> list[str]:
    """Ids of the bundled scenarios."""
    files = resources.files("game_master.scenarios").iterdir()
    return sorted(f.name[:-5] for f in files if f.name.endswith(".json"))


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
        raise RuleError("name must be 1-40 letters, digits, spaces, apostrophes or dashes")
    return name


def new_game_state(name: str, cls: str, scenario: Scenario, seed: int | None = None) -> GameState:
    """A fresh game at the scenario's start; raises RuleError for a bad name or class."""
    name = validate_character_name(name)
    cls_key = str(cls).strip().lower()
    if cls_key not in CLASSES:
        raise RuleError(f"class must be one of: {', '.join(CLASSES)}")
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
        ),
        location=scenario.start,
        inventory=list(spec.starting_items),
        location_items={k: list(v.items) for k, v in scenario.locations.items()},
        seed=random.SystemRandom().randrange(2**31) if seed is None else seed,
        visited=[scenario.start],
    )


def _require_playing(state: GameState) -> None:
    """Refuse changes once the game has ended."""
    if state.outcome == "won":
        raise RuleError("the adventure is over: the player has won")
    if state.outcome == "dead":
        raise RuleError("the character is dead; the adventure is over")


# --------------------------------------------------------------------------- dice

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
        raise RuleError("dice notation must be a short string like '2d6+1'")
    m = DICE_RE.match(notation)
    if not m:
        raise RuleError(f"cannot read dice notation {notation!r}; use NdM+K, e.g. '1d20+3'")
    count = int(m.group(1) or 1)
    sides = int(m.group(2))
    modifier = int(m.group(4) or 0) * (-1 if m.group(3) == "-" else 1)
    if not 1 <= count <= MAX_DICE:
        raise RuleError(f"dice count must be 1-{MAX_DICE}, got {count}")
    if not 2 <= sides <= MAX_SIDES:
        raise RuleError(f"dice must have 2-{MAX_SIDES} sides, got {sides}")
    if abs(modifier) > MAX_MODIFIER:
        raise RuleError(f"modifier must be within ±{MAX_MODIFIER}")
    return DiceSpec(count, sides, modifier)


def _check_advantage(advantage: str) -> Advantage:
    """Validate an advantage keyword."""
    if advantage not in ("none", "advantage", "disadvantage"):
        raise RuleError("advantage must be 'none', 'advantage' or 'disadvantage'")
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
    _require_playing(state)
    key = str(skill_or_ability).strip().lower().replace(" ", "_")
    key = ABILITY_ALIASES.get(key, key)
    if key in ABILITIES:
        ability, skill = key, None
    elif key in SKILLS:
        ability, skill = SKILLS[key], key
    else:
        raise RuleError(
            f"unknown ability or skill {skill_or_ability!r}; abilities: {', '.join(ABILITIES)}; "
            f"skills: {', '.join(SKILLS)}"
        )
    if not isinstance(dc, int) or isinstance(dc, bool) or not DC_RANGE[0] <= dc <= DC_RANGE[1]:
        raise RuleError(f"dc must be a whole number from {DC_RANGE[0]} to {DC_RANGE[1]}")
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


# --------------------------------------------------------------------------- character


def change_hp(state: GameState, amount: int, reason: str = "") -> dict[str, Any]:
    """Damage (negative) or heal (positive); HP stays within 0..max_hp."""
    _require_playing(state)
    if not isinstance(amount, int) or isinstance(amount, bool) or amount == 0:
        raise RuleError("amount must be a non-zero whole number (negative for damage)")
    if abs(amount) > MAX_HP_CHANGE:
        raise RuleError(f"amount must be within ±{MAX_HP_CHANGE}")
    char = state.character
    before = char.hp
    char.hp = max(0, min(char.max_hp, char.hp + amount))
    if char.hp == 0:
        state.outcome = "dead"
    return {
        "hp": char.hp,
        "max_hp": char.max_hp,
        "change": char.hp - before,
        "requested": amount,
        "reason": reason[:200],
        "dead": char.hp == 0,
    }


def set_condition(state: GameState, condition: str, active: bool) -> dict[str, Any]:
    """Add or remove a condition from the fixed list."""
    _require_playing(state)
    cond = str(condition).strip().lower()
    if cond not in CONDITIONS:
        raise RuleError(f"unknown condition {condition!r}; known: {', '.join(CONDITIONS)}")
    conds = state.character.conditions
    if active and cond not in conds:
        conds.append(cond)
    elif not active and cond in conds:
        conds.remove(cond)
    return {"conditions": list(conds), "changed": cond, "active": bool(active)}


# --------------------------------------------------------------------------- world


def _norm(text: str) -> str:
    """Lower-case words joined by underscores, for forgiving name matching."""
    return "_".join(re.findall(r"[a-z0-9]+", str(text).lower()))


def resolve_item(scenario: Scenario, name: str, candidates: list[str]) -> str | None:
    """Find the item among ``candidates`` that ``name`` means (id, name or one word of it)."""
    want = _norm(name)
    if not want:
        return None
    for item_id in candidates:
        if want in (item_id, _norm(scenario.items[item_id].name)):
            return item_id
    for item_id in candidates:
        words = set(item_id.split("_")) | set(_norm(scenario.items[item_id].name).split("_"))
        if set(want.split("_")) <= words:
            return item_id
    return None


def describe_location(state: GameState, scenario: Scenario) -> dict[str, Any]:
    """What the character can see where they stand."""
    loc = scenario.locations[state.location]
    return {
        "location": loc.id,
        "name": loc.name,
        "description": loc.description,
        "exits": {d: scenario.locations[t].name for d, t in loc.exits.items()},
        "locked_exits": sorted(loc.locked),
        "items": [
            {"id": i, "name": scenario.items[i].name} for i in state.location_items.get(loc.id, [])
        ],
        "npcs": [{"id": n, "name": scenario.npcs[n].name} for n in loc.npcs],
    }


def move(state: GameState, scenario: Scenario, direction: str) -> dict[str, Any]:
    """Go through an exit (by direction or destination name); locked exits need their key."""
    _require_playing(state)
    loc = scenario.locations[state.location]
    want = _norm(direction)
    target_dir = None
    for d, t in loc.exits.items():
        if want in (d, t, _norm(scenario.locations[t].name)):
            target_dir = d
            break
    if target_dir is None:
        exits = ", ".join(f"{d} ({scenario.locations[t].name})" for d, t in loc.exits.items())
        raise RuleError(f"there is no exit {direction!r} from {loc.name}; exits: {exits}")
    key = loc.locked.get(target_dir)
    if key and key not in state.inventory:
        raise RuleError(f"the way {target_dir} is locked; it needs the {scenario.items[key].name}")
    state.location = loc.exits[target_dir]
    first_visit = state.location not in state.visited
    if first_visit:
        state.visited.append(state.location)
    result = describe_location(state, scenario)
    result.update({"moved": target_dir, "first_visit": first_visit})
    if key:
        result["unlocked_with"] = key
    _check_ending(state, scenario, result)
    return result


def take_item(state: GameState, scenario: Scenario, item: str) -> dict[str, Any]:
    """Pick up an item that lies at the character's location."""
    _require_playing(state)
    here = state.location_items.setdefault(state.location, [])
    item_id = resolve_item(scenario, item, here)
    if item_id is None:
        held = resolve_item(scenario, item, state.inventory)
        if held:
            raise RuleError(f"the character already carries the {scenario.items[held].name}")
        seen = ", ".join(scenario.items[i].name for i in here) or "nothing"
        raise RuleError(f"there is no {item!r} here; items here: {seen}")
    here.remove(item_id)
    state.inventory.append(item_id)
    result = {"taken": item_id, "name": scenario.items[item_id].name, "inventory": state.inventory}
    _check_ending(state, scenario, result)
    return result


def _held(state: GameState, scenario: Scenario, item: str) -> str:
    """The id of a carried item ``item`` names; RuleError when it is not carried."""
    item_id = resolve_item(scenario, item, state.inventory)
    if item_id is None:
        held = ", ".join(scenario.items[i].name for i in state.inventory) or "nothing"
        raise RuleError(f"the character does not carry {item!r}; inventory: {held}")
    return item_id


def drop_item(state: GameState, scenario: Scenario, item: str) -> dict[str, Any]:
    """Put a carried item down at the current location."""
    _require_playing(state)
    item_id = _held(state, scenario, item)
    state.inventory.remove(item_id)
    state.location_items.setdefault(state.location, []).append(item_id)
    return {"dropped": item_id, "name": scenario.items[item_id].name, "inventory": state.inventory}


def use_item(state: GameState, scenario: Scenario, item: str) -> dict[str, Any]:
    """Use a carried item: consumables are used up (and may heal); others stay carried."""
    _require_playing(state)
    item_id = _held(state, scenario, item)
    spec = scenario.items[item_id]
    result: dict[str, Any] = {"used": item_id, "name": spec.name, "consumed": spec.consumable}
    if spec.consumable:
        state.inventory.remove(item_id)
        if spec.heal:
            char = state.character
            before = char.hp
            char.hp = min(char.max_hp, char.hp + spec.heal)
            result.update(hp=char.hp, max_hp=char.max_hp, healed=char.hp - before)
    result["inventory"] = state.inventory
    return result


def _check_ending(state: GameState, scenario: Scenario, result: dict[str, Any]) -> None:
    """Mark the game won when the goal item reaches the goal location."""
    ending = scenario.ending
    if state.location == ending["location"] and ending["item"] in state.inventory:
        state.outcome = "won"
        result["game_over"] = {"outcome": "won", "text": ending["text"]}


def public_state(state: GameState, scenario: Scenario) -> dict[str, Any]:
    """The state the page shows: character, location, inventory, outcome."""
    return {
        "character": state.character.to_dict(),
        "location": describe_location(state, scenario),
        "inventory": [
            {"id": i, "name": scenario.items[i].name, "description": scenario.items[i].description}
            for i in state.inventory
        ],
        "outcome": state.outcome,
        "scenario": {"id": scenario.id, "title": scenario.title, "goal": scenario.goal},
    }
