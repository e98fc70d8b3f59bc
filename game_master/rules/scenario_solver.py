"""The solver: proves an adventure whole by playing its map, or names what stops it.

It walks the map as a player could: through open ways, through a locked way once its key
is carried, past a guard by defeating it (every foe can be fought), taking the keys and
the goal item where they lie. Items are never used up, so what can be reached only grows;
a fixpoint says which places and keys can ever be reached, and a walk from key to key
gives the path that proves the ending can be reached.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

Raw = dict[str, Any]


@dataclass(frozen=True)
class Proof:
    """A way to win: the steps a player takes, in words ("take iron key", "down")."""

    steps: tuple[str, ...]

    def __str__(self) -> str:
        """The steps joined: ``take iron key, east (iron key), up, ...``."""
        return ", ".join(self.steps)


@dataclass(frozen=True)
class Gap:
    """Why an adventure cannot be proved whole: where (a path in the file) and what."""

    path: str
    message: str


def _guards(raw: Raw) -> dict[tuple[str, str], str]:
    """(location, item id or exit direction) -> the name of the foe guarding it."""
    out: dict[tuple[str, str], str] = {}
    for loc_id, loc in raw["locations"].items():
        for npc_id in loc.get("npcs", []):
            npc = raw["npcs"].get(npc_id, {})
            for thing in npc.get("guards", []):
                out[(loc_id, thing)] = str(npc.get("name", npc_id))
    return out


def _open(raw: Raw, loc_id: str, direction: str, keys: frozenset[str]) -> bool:
    """Whether the exit can be passed holding ``keys``."""
    key = raw["locations"][loc_id].get("locked", {}).get(direction)
    return key is None or key in keys


def _reach(raw: Raw, start: str, keys: frozenset[str]) -> dict[str, list[tuple[str, str]]]:
    """Every place reachable from ``start`` holding ``keys``, with the (direction, from)
    steps of a shortest walk there."""
    seen: dict[str, list[tuple[str, str]]] = {start: []}
    queue = deque([start])
    while queue:
        here = queue.popleft()
        for direction, target in raw["locations"][here].get("exits", {}).items():
            if target not in seen and _open(raw, here, direction, keys):
                seen[target] = [*seen[here], (direction, here)]
                queue.append(target)
    return seen


def _lying(raw: Raw) -> dict[str, str]:
    """Item id -> the location it lies in at the start."""
    return {i: k for k, loc in raw["locations"].items() for i in loc.get("items", [])}


def reachable(raw: Raw) -> tuple[set[str], frozenset[str]]:
    """The places and keys a player can ever reach (the fixpoint of taking keys)."""
    lying = _lying(raw)
    locks = {key for loc in raw["locations"].values() for key in loc.get("locked", {}).values()}
    keys: frozenset[str] = frozenset()
    while True:
        places = set(_reach(raw, raw["start"], keys))
        found = frozenset(k for k in locks if lying.get(k) in places)
        if found == keys:
            return places, keys
        keys = found


def gaps(raw: Raw) -> list[Gap]:
    """What keeps the adventure from being whole: places never reached, keys out of reach,
    an ending that cannot be reached."""
    places, keys = reachable(raw)
    lying = _lying(raw)
    found: list[Gap] = []
    for loc_id in raw["locations"]:
        if loc_id not in places:
            found.append(Gap(f"locations.{loc_id}", "no way from the start reaches this place"))
    for loc_id, loc in raw["locations"].items():
        for direction, key in loc.get("locked", {}).items():
            if key in keys:
                continue
            at = f"locations.{loc_id}.locked.{direction}"
            if key not in lying:
                found.append(Gap(at, f"its key {key!r} lies nowhere, so the way never opens"))
            elif loc_id in places:
                found.append(
                    Gap(
                        at,
                        f"its key {key!r} lies in {lying[key]!r}, which is reached only "
                        "through this lock or others like it",
                    )  # fmt: skip
                )
    ending = raw["ending"]
    if lying.get(ending["item"]) not in places:
        found.append(Gap("ending.item", f"no player can reach {ending['item']!r}"))
    elif ending["location"] not in places:
        found.append(Gap("ending.location", f"no player can reach {ending['location']!r}"))
    return found


def prove(raw: Raw) -> Proof | None:
    """A walk from the start that wins: fetch reachable keys until the goal item can be
    taken and carried to the ending's place (None when no walk wins)."""
    lying, guards = _lying(raw), _guards(raw)
    names = {k: str(v["name"]).lower() for k, v in raw["items"].items()}
    ending = raw["ending"]
    locks = {key for loc in raw["locations"].values() for key in loc.get("locked", {}).values()}
    here, keys, carrying, steps = raw["start"], frozenset[str](), False, []
    beaten: set[str] = set()

    def walk(route: list[tuple[str, str]]) -> None:
        """Add the moves of a walk, with the keys and fights they need."""
        for direction, origin in route:
            key = raw["locations"][origin].get("locked", {}).get(direction)
            foe = guards.get((origin, direction))
            if foe and foe not in beaten:
                steps.append(f"defeat {foe}")
                beaten.add(foe)
            steps.append(f"{direction} ({names[key]})" if key else direction)

    def take(item: str) -> None:
        """Add taking an item, and the fight for it if it is guarded."""
        foe = guards.get((lying[item], item))
        if foe and foe not in beaten:
            steps.append(f"defeat {foe}")
            beaten.add(foe)
        steps.append(f"take {names[item]}")

    for _ in range(len(locks) + 2):
        routes = _reach(raw, here, keys)
        if carrying and ending["location"] in routes:
            walk(routes[ending["location"]])
            return Proof(tuple(steps))
        target = None if carrying or lying.get(ending["item"]) not in routes else ending["item"]
        if target is None:
            wanted = [k for k in locks - keys if lying.get(k) in routes]
            if not wanted:
                return None
            target = min(wanted, key=lambda k: (len(routes[lying[k]]), k))
        walk(routes[lying[target]])
        here = lying[target]
        take(target)
        if target == ending["item"]:
            carrying = True
            if here == ending["location"]:
                return Proof(tuple(steps))
        else:
            keys = keys | {target}
    return None
