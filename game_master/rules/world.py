"""What the model may change in the world: HP, conditions, movement and inventory."""

from __future__ import annotations

import re
from typing import Any

from .character import CONDITIONS, GameState, require_playing
from .refusals import refuse
from .scenario import Scenario

MAX_HP_CHANGE = 100


def change_hp(state: GameState, amount: int, reason: str = "") -> dict[str, Any]:
    """Damage (negative) or heal (positive); HP stays within 0..max_hp."""
    require_playing(state)
    if not isinstance(amount, int) or isinstance(amount, bool) or amount == 0:
        raise refuse(
            "hp_amount",
            "amount must be a non-zero whole number (negative for damage)",
            amount=amount if isinstance(amount, int) else None,
            max=MAX_HP_CHANGE,
        )
    if abs(amount) > MAX_HP_CHANGE:
        raise refuse(
            "hp_amount", f"amount must be within ±{MAX_HP_CHANGE}", amount=amount, max=MAX_HP_CHANGE
        )
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
    require_playing(state)
    cond = str(condition).strip().lower()
    if cond not in CONDITIONS:
        raise refuse(
            "unknown_condition",
            f"unknown condition {condition!r}; known: {', '.join(CONDITIONS)}",
            condition=str(condition)[:40],
            known=list(CONDITIONS),
        )
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
        "npcs": [
            {"id": n, "name": scenario.npcs[n].name, "hostile": scenario.npcs[n].hostile}
            for n in loc.npcs
        ],
    }


def move(state: GameState, scenario: Scenario, direction: str) -> dict[str, Any]:
    """Go through an exit (by direction or destination name); locked exits need their key."""
    require_playing(state)
    loc = scenario.locations[state.location]
    want = _norm(direction)
    target_dir = None
    for d, t in loc.exits.items():
        if want in (d, t, _norm(scenario.locations[t].name)):
            target_dir = d
            break
    if target_dir is None:
        exits = {d: scenario.locations[t].name for d, t in loc.exits.items()}
        listed = ", ".join(f"{d} ({name})" for d, name in exits.items())
        raise refuse(
            "no_exit",
            f"there is no exit {direction!r} from {loc.name}; exits: {listed}",
            direction=direction,
            location=loc.name,
            exits=exits,
        )
    key = loc.locked.get(target_dir)
    if key and key not in state.inventory:
        raise refuse(
            "exit_locked",
            f"the way {target_dir} is locked; it needs the {scenario.items[key].name}",
            direction=target_dir,
            destination=scenario.locations[loc.exits[target_dir]].name,
            key=key,
            key_name=scenario.items[key].name,
        )
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
    require_playing(state)
    here = state.location_items.setdefault(state.location, [])
    item_id = resolve_item(scenario, item, here)
    if item_id is None:
        held = resolve_item(scenario, item, state.inventory)
        if held:
            name = scenario.items[held].name
            raise refuse(
                "already_carried",
                f"the character already carries the {name}",
                item=item,
                name=name,
            )
        seen = [scenario.items[i].name for i in here]
        raise refuse(
            "item_not_here",
            f"there is no {item!r} here; items here: {', '.join(seen) or 'nothing'}",
            item=item,
            here=seen,
        )
    here.remove(item_id)
    state.inventory.append(item_id)
    result = {"taken": item_id, "name": scenario.items[item_id].name, "inventory": state.inventory}
    _check_ending(state, scenario, result)
    return result


def _held(state: GameState, scenario: Scenario, item: str) -> str:
    """The id of a carried item ``item`` names; RuleError when it is not carried."""
    item_id = resolve_item(scenario, item, state.inventory)
    if item_id is None:
        held = [scenario.items[i].name for i in state.inventory]
        raise refuse(
            "not_carried",
            f"the character does not carry {item!r}; inventory: {', '.join(held) or 'nothing'}",
            item=item,
            inventory=held,
        )
    return item_id


def drop_item(state: GameState, scenario: Scenario, item: str) -> dict[str, Any]:
    """Put a carried item down at the current location."""
    require_playing(state)
    item_id = _held(state, scenario, item)
    state.inventory.remove(item_id)
    state.location_items.setdefault(state.location, []).append(item_id)
    return {"dropped": item_id, "name": scenario.items[item_id].name, "inventory": state.inventory}


def use_item(state: GameState, scenario: Scenario, item: str) -> dict[str, Any]:
    """Use a carried item: consumables are used up (and may heal); others stay carried."""
    require_playing(state)
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
