"""People who answer, and the way to what the character knows of.

``ask``: a person standing here answers in their own words: about a thing, a place or
another person when one of their topics names it, with their voice line when just greeted,
and with what they would talk about when asked something they do not know.

``find_way``: the way to a place (any place: the map is common knowledge), or to a person
or an item where the character saw them; what they have not seen stays unseen.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from .naming import best, words
from .places import topic_names
from .refusals import refuse
from .scenario import Scenario
from .state import GameState, require_able


def _people(scenario: Scenario, ids: list[str]) -> dict[str, list[str]]:
    """Person id -> the names they answer to."""
    return {n: [scenario.npcs[n].name, *scenario.npcs[n].words] for n in ids}


def topic_words(scenario: Scenario, key: str) -> list[str]:
    """The names a topic answers to: the thing its key names (and that thing's words), or
    the key's own words."""
    thing = scenario.items.get(key) or scenario.locations.get(key) or scenario.npcs.get(key)
    if thing is None:
        return [key.replace("_", " ")]
    return [thing.name, key.replace("_", " "), *thing.words]


def ask(state: GameState, scenario: Scenario, person: str = "", about: str = "") -> dict[str, Any]:
    """A person here answers: about ``about`` from their topics, or greets the character."""
    require_able(state)
    loc = scenario.locations[state.location]
    here = [n for n in loc.npcs if not state.defeated(n)]
    who = _addressed(state, scenario, here, person, about)
    npc = scenario.npcs[who]
    result: dict[str, Any] = {"person": who, "name": npc.name, "voice": npc.voice, "about": about}
    topics = {k: topic_words(scenario, k) for k in npc.topics}
    key = best(about, topics) if about.strip() else None
    if key is None and about.strip() and set(words(about)) & {"yourself", "you"}:
        key = next((k for k in npc.topics if k == who), None)
    result["topic"] = key
    result["says"] = npc.topics[key] if key else None
    result["topics"] = topic_names(scenario, who)
    if not npc.voice and not npc.topics:
        result["lore"] = npc.lore  # an adventure written before people had voices
    return result


def _addressed(
    state: GameState, scenario: Scenario, here: list[str], person: str, about: str
) -> str:
    """The person here the character speaks to; refused when they are elsewhere or unknown."""
    if person.strip():
        found = best(person, _people(scenario, here))
        if found is not None:
            return found
        elsewhere = best(person, _people(scenario, list(scenario.npcs)))
        if elsewhere is not None:
            at = scenario.where_is(elsewhere)
            seen = scenario.locations[at].name if at in state.visited else ""
            raise refuse(
                "not_here",
                f"{scenario.npcs[elsewhere].name} is not here",
                person=scenario.npcs[elsewhere].name,
                seen_at=seen,
            )
    if not here:
        raise refuse("nobody_here", "there is no one here to talk to", person=person)
    if person.strip():
        raise refuse(
            "no_such_person",
            f"no one called {person!r} is here",
            person=person,
            here=[scenario.npcs[n].name for n in here],
        )
    if len(here) == 1:
        return here[0]
    knowing = [
        n
        for n in here
        if best(about, {k: topic_words(scenario, k) for k in scenario.npcs[n].topics})
    ]
    if about.strip() and len(knowing) >= 1:
        return knowing[0]
    talkers = [n for n in here if not scenario.npcs[n].hostile]
    if len(talkers) == 1:
        return talkers[0]
    raise refuse(
        "which_person",
        "several people are here; name one",
        here=[scenario.npcs[n].name for n in here],
    )


# --------------------------------------------------------------------------- the way


def _things(state: GameState, scenario: Scenario) -> dict[str, list[str]]:
    """Everything a name may mean: ``place:<id>``, ``person:<id>``, ``item:<id>``."""
    out: dict[str, list[str]] = {}
    for k, loc in scenario.locations.items():
        out[f"place:{k}"] = [loc.name, *loc.words]
    for k, npc in scenario.npcs.items():
        out[f"person:{k}"] = [npc.name, *npc.words]
    for k, item in scenario.items.items():
        out[f"item:{k}"] = [item.name, *item.words]
    return out


def _where(state: GameState, scenario: Scenario, kind: str, ident: str) -> str | None:
    """Where a thing is now, as far as the character knows (None: not seen). Places are
    common knowledge (the way to the strongroom is no secret); people and items are known
    where the character has seen them."""
    if kind == "place":
        return ident
    if kind == "person":
        at = scenario.where_is(ident)
        return at if at in state.visited else None
    lying = [k for k, items in state.location_items.items() if ident in items]
    return lying[0] if lying and lying[0] in state.visited else None


def path_to(state: GameState, scenario: Scenario, target: str) -> list[dict[str, Any]] | None:
    """The exits to take from here to ``target`` (each marked when it is still locked)."""
    seen: dict[str, list[dict[str, Any]]] = {state.location: []}
    queue = deque([state.location])
    while queue:
        here = queue.popleft()
        if here == target:
            return seen[here]
        loc = scenario.locations[here]
        for direction, dest in loc.exits.items():
            if dest not in seen:
                locked = direction in loc.locked and not state.is_unlocked(here, direction)
                stage = {"direction": direction, "from": loc.name,
                         "to": scenario.locations[dest].name, "locked": locked}  # fmt: skip
                seen[dest] = [*seen[here], stage]
                queue.append(dest)
    return None


def find_way(state: GameState, scenario: Scenario, to: str) -> dict[str, Any]:
    """Where a place, person or item the character knows of lies, and the way there."""
    require_able(state)
    things = _things(state, scenario)
    found = best(to, things) if to.strip() else None
    if found is None:
        raise refuse("not_known", f"nothing called {to!r} is known in this world", what=to)
    kind, ident = found.split(":", 1)
    result: dict[str, Any] = {"to": things[found][0], "kind": kind}
    if kind == "item" and ident in state.inventory:
        return {**result, "status": "carried"}
    at = _where(state, scenario, kind, ident)
    path = path_to(state, scenario, at) if at is not None else None
    if at is None or path is None:
        return {**result, "status": "unseen"}
    place = scenario.locations[at]
    result.update(at=place.name, preposition=place.preposition, path=path)
    result["status"] = "here" if at == state.location else "known"
    return result
