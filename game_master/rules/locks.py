"""Locks as actions: unlocking a way with its key changes the state at once, for good.

A lock opened stays open (both sides of the door, when the way back is locked by the same
key). Going through a locked way with its key in the pack unlocks it first, as its own
effect; without the key the refusal names the key that would open it.
"""

from __future__ import annotations

from typing import Any

from .naming import best
from .places import exit_named, locked_now, thing_name
from .refusals import refuse
from .scenario import Scenario
from .state import GameState, require_able


def refuse_locked(state: GameState, scenario: Scenario, direction: str) -> Exception:
    """The refusal for a locked way: which way, where it leads, and the key that opens it."""
    loc = scenario.locations[state.location]
    key = loc.locked[direction]
    return refuse(
        "exit_locked",
        f"the way {direction} is locked; the {scenario.items[key].name} would open it",
        direction=direction,
        destination=scenario.locations[loc.exits[direction]].name,
        key=key,
        key_name=scenario.items[key].name,
    )


def open_lock(state: GameState, scenario: Scenario, direction: str) -> dict[str, Any]:
    """Unlock an exit here (and its other side, locked by the same key): what was opened."""
    here = scenario.locations[state.location]
    key = here.locked[direction]
    state.unlocked.append(f"{here.id}:{direction}")
    there = scenario.locations[here.exits[direction]]
    for back, target in there.exits.items():
        if target == here.id and there.locked.get(back) == key:
            state.unlocked.append(f"{there.id}:{back}")
    return {
        "unlocked": direction,
        "way": thing_name(scenario, here.id, direction),
        "destination": there.name,
        "key": key,
        "key_name": scenario.items[key].name,
    }


def lock_for_key(state: GameState, scenario: Scenario, item: str) -> str | None:
    """The locked exit here that ``item`` opens, if it is a key to one."""
    return next(
        (d for d, k in locked_now(state, scenario, state.location).items() if k == item), None
    )


def unlock(state: GameState, scenario: Scenario, way: str = "", key: str = "") -> dict[str, Any]:
    """Unlock a way here with its key: by direction, destination or the way's own words;
    with no way named, the lock ``key`` opens here, or the only lock here."""
    require_able(state)
    loc = scenario.locations[state.location]
    locked = locked_now(state, scenario, loc.id)
    key_id = _carried_key(state, scenario, key) if key else None
    if way:
        direction = exit_named(scenario, loc.id, way)
        if direction is None:
            exits = {d: scenario.locations[t].name for d, t in loc.exits.items()}
            raise refuse(
                "no_exit",
                f"there is no way {way!r} here; the ways lead: {exits}",
                direction=way,
                location=loc.name,
                exits=exits,
            )
    elif key_id is not None and key_id in locked.values():
        direction = next(d for d, k in locked.items() if k == key_id)
    elif len(locked) == 1:
        direction = next(iter(locked))
    else:
        direction = ""
    if direction not in locked:
        target = loc.exits.get(direction)
        raise refuse(
            "not_locked",
            f"the way {direction or '(none named)'} is not locked"
            if direction
            else "there is no locked way here",  # fmt: skip
            direction=direction,
            destination=scenario.locations[target].name if target else "",
        )
    if key_id is not None and key_id != locked[direction]:
        raise refuse(
            "wrong_key",
            f"the {scenario.items[key_id].name} does not fit; the "
            f"{scenario.items[locked[direction]].name} would",
            key_name=scenario.items[key_id].name,
            direction=direction,
            needs=scenario.items[locked[direction]].name,
        )
    if locked[direction] not in state.inventory:
        raise refuse_locked(state, scenario, direction)
    return open_lock(state, scenario, direction)


def _carried_key(state: GameState, scenario: Scenario, key: str) -> str:
    """The carried item ``key`` names; refused when the character carries no such thing."""
    found = best(
        key, {i: [scenario.items[i].name, *scenario.items[i].words] for i in state.inventory}
    )
    if found is None:
        held = [scenario.items[i].name for i in state.inventory]
        raise refuse(
            "not_carried",
            f"the character does not carry {key!r}; inventory: {', '.join(held) or 'nothing'}",
            item=key,
            inventory=held,
        )
    return found
