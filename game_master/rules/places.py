"""Where the character stands: what they see there, which way a few words name, what a foe
guards, and the one step through an exit every move and every flight takes."""

from __future__ import annotations

from typing import Any

from .naming import best, direction_in, words
from .refusals import refuse
from .scenario import Scenario
from .state import GameState


def locked_now(state: GameState, scenario: Scenario, location: str) -> dict[str, str]:
    """The exits of a place still locked: direction -> key item id."""
    loc = scenario.locations[location]
    return {d: k for d, k in loc.locked.items() if not state.is_unlocked(location, d)}


def foes_at(state: GameState, scenario: Scenario, location: str) -> list[str]:
    """Ids of the hostile people at a place who are still standing."""
    here = scenario.locations[location].npcs
    return [n for n in here if scenario.npcs[n].hostile and not state.defeated(n)]


def guard_of(state: GameState, scenario: Scenario, thing: str) -> str | None:
    """The standing foe here who guards ``thing`` (an item id or an exit direction), if any."""
    for foe in foes_at(state, scenario, state.location):
        if thing in scenario.npcs[foe].guards:
            return foe
    return None


def thing_name(scenario: Scenario, location: str, thing: str) -> str:
    """An item's name, or an exit's: its first word in ``ways`` or "the way <direction>"."""
    if thing in scenario.items:
        return scenario.items[thing].name
    ways = scenario.locations[location].ways.get(thing)
    return ways[0] if ways else f"the way {thing}"


def refuse_guarded(scenario: Scenario, location: str, thing: str, foe: str) -> Exception:
    """The refusal for touching what a standing foe guards."""
    name, foe_name = thing_name(scenario, location, thing), scenario.npcs[foe].name
    return refuse(
        "guarded",
        f"{foe_name} guards {name}; defeat it first (attack) or keep away",
        thing=name,
        foe=foe_name,
    )


def exit_named(
    scenario: Scenario, location: str, text: str, came_from: str | None = None
) -> str | None:
    """The exit of ``location`` that ``text`` names: a direction, the place it leads to, the
    words the scenario gives the way ("stairs", "watergate"), or "back" (the way the
    character came, when ``came_from`` is given); None when none."""
    loc = scenario.locations[location]
    direction = direction_in(text, loc.exits)
    if direction:
        return direction
    said = set(words(text))
    if said <= {"back", "go", "the", "way", "i", "came", "return"} and came_from:
        return next((d for d, t in loc.exits.items() if t == came_from), None)
    if said & {"out", "outside", "leave", "exit"} and len(loc.exits) == 1:
        return next(iter(loc.exits))  # the one way out of a place with one way out
    names = {
        d: [*loc.ways.get(d, ()), scenario.locations[t].name, t, *scenario.locations[t].words]
        for d, t in loc.exits.items()
    }
    return best(text, names)


def describe_location(state: GameState, scenario: Scenario) -> dict[str, Any]:
    """What the character can see where they stand."""
    loc = scenario.locations[state.location]
    result: dict[str, Any] = {
        "location": loc.id,
        "name": loc.name,
        "preposition": loc.preposition,
        "description": loc.description,
        "exits": {d: scenario.locations[t].name for d, t in loc.exits.items()},
        "locked_exits": sorted(locked_now(state, scenario, loc.id)),
        "items": [_item(scenario, i) for i in state.location_items.get(loc.id, [])],
        "npcs": [_person(state, scenario, loc.id, n) for n in loc.npcs],
    }
    if loc.ways:
        result["ways"] = {d: list(w) for d, w in loc.ways.items()}
    if loc.words:
        result["words"] = list(loc.words)
    return result


def _item(scenario: Scenario, item_id: str) -> dict[str, Any]:
    """An item as a look shows it."""
    spec = scenario.items[item_id]
    entry: dict[str, Any] = {"id": item_id, "name": spec.name}
    if spec.words:
        entry["words"] = list(spec.words)
    return entry


def _person(state: GameState, scenario: Scenario, location: str, npc_id: str) -> dict[str, Any]:
    """A person as a look shows them: a foe with what it guards, or that it is defeated."""
    npc = scenario.npcs[npc_id]
    entry: dict[str, Any] = {"id": npc_id, "name": npc.name, "hostile": npc.hostile}
    if npc.words:
        entry["words"] = list(npc.words)
    if npc.hostile and state.defeated(npc_id):
        entry["defeated"] = True
    elif npc.guards:
        entry["guards"] = [thing_name(scenario, location, g) for g in npc.guards]
    if npc.topics:
        entry["topics"] = topic_names(scenario, npc_id)
    return entry


def topic_names(scenario: Scenario, npc_id: str) -> list[dict[str, str]]:
    """What a person will talk about: each topic's name and kind (item, place, person, or a
    plain word)."""
    out = []
    for key in scenario.npcs[npc_id].topics:
        for kind, things in (("item", scenario.items), ("place", scenario.locations),
                             ("person", scenario.npcs)):  # fmt: skip
            if key in things:
                out.append({"name": things[key].name, "kind": kind})
                break
        else:
            out.append({"name": key.replace("_", " "), "kind": "word"})
    return out


def step(state: GameState, scenario: Scenario, direction: str) -> dict[str, Any]:
    """Go through an exit (already allowed): the new place as a look shows it."""
    origin = state.location
    state.location = scenario.locations[origin].exits[direction]
    state.came_from = origin
    first_visit = state.location not in state.visited
    if first_visit:
        state.visited.append(state.location)
    result = describe_location(state, scenario)
    result.update({"moved": direction, "first_visit": first_visit})
    check_ending(state, scenario, result)
    return result


def check_ending(state: GameState, scenario: Scenario, result: dict[str, Any]) -> None:
    """Mark the game won when the goal item reaches the goal location."""
    ending = scenario.ending
    if state.location == ending["location"] and ending["item"] in state.inventory:
        state.outcome = "won"
        result["game_over"] = {"outcome": "won", "text": ending["text"]}
