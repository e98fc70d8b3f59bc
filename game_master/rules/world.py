"""What the model may change in the world: HP, conditions, movement and inventory."""

from __future__ import annotations

from typing import Any

from .character import CONDITIONS
from .combat import after_action, fight_view, over, vitals, wound
from .locks import lock_for_key, open_lock, refuse_locked
from .naming import best, norm
from .places import (
    check_ending,
    describe_location,
    exit_named,
    foes_at,
    guard_of,
    locked_now,
    refuse_guarded,
    step,
)
from .refusals import refuse
from .scenario import Scenario
from .state import GameState, require_able, require_playing

MAX_HP_CHANGE = 100


def change_hp(
    state: GameState, amount: int, reason: str = "", scenario: Scenario | None = None
) -> dict[str, Any]:
    """Damage (negative) or heal (positive); HP stays within 0..max_hp. At 0 the character
    is down (death saves), or dead from damage left over of at least their maximum."""
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
    if amount > 0:
        char.hp = min(char.max_hp, char.hp + amount)
        char.death_successes = char.death_failures = 0
    else:
        wound(state, -amount)
    result = {
        "hp": char.hp,
        "max_hp": char.max_hp,
        "change": char.hp - before,
        "requested": amount,
        "reason": reason[:200],
        **{k: v for k, v in vitals(state).items() if k not in ("hp", "max_hp")},
    }
    ended = over(state, scenario) if scenario is not None else None
    if ended:
        result["game_over"] = ended
    return result


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


def resolve_item(scenario: Scenario, name: str, candidates: list[str]) -> str | None:
    """The item among ``candidates`` that ``name`` means: its id, its name, or the words
    of a phrase ("some of the brandy for courage" means the brandy)."""
    if not norm(name):
        return None
    return best(name, {i: [scenario.items[i].name, *scenario.items[i].words] for i in candidates})


def move(state: GameState, scenario: Scenario, direction: str) -> dict[str, Any]:
    """Go through an exit (by direction, destination name or the way's words). A locked way
    opens first if its key is carried; a fight must be fled, a guarded way won."""
    require_able(state)
    loc = scenario.locations[state.location]
    target_dir = exit_named(scenario, loc.id, direction, state.came_from)
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
    foes = [scenario.npcs[f].name for f in foes_at(state, scenario, loc.id)]
    if state.fight is not None and not foes:
        state.fight = None  # nobody left standing here to fight (a state set by hand)
    if state.fight is not None:
        raise refuse(
            "in_fight",
            f"a fight is on with {', '.join(foes)}: flee (each foe gets a free attack) or fight",
            foes=foes,
            direction=target_dir,
        )
    guard = guard_of(state, scenario, target_dir)
    if guard:
        raise refuse_guarded(scenario, loc.id, target_dir, guard)
    unlocked = None
    if target_dir in locked_now(state, scenario, loc.id):
        if loc.locked[target_dir] not in state.inventory:
            raise refuse_locked(state, scenario, target_dir)
        unlocked = open_lock(state, scenario, target_dir)
    result = step(state, scenario, target_dir)
    if unlocked:
        result["unlocked"] = unlocked
        result["unlocked_with"] = unlocked["key"]
    return result


def take_item(state: GameState, scenario: Scenario, item: str) -> dict[str, Any]:
    """Pick up an item that lies at the character's location (not one a foe guards)."""
    require_able(state)
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
    guard = guard_of(state, scenario, item_id)
    if guard:
        raise refuse_guarded(scenario, state.location, item_id, guard)
    here.remove(item_id)
    state.inventory.append(item_id)
    spec = scenario.items[item_id]
    result = {
        "taken": item_id,
        "name": spec.name,
        "description": spec.description,  # what the character now holds, to tell of it
        "inventory": state.inventory,
    }
    check_ending(state, scenario, result)
    return after_action(state, scenario, result)


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
    require_able(state)
    item_id = _held(state, scenario, item)
    state.inventory.remove(item_id)
    state.location_items.setdefault(state.location, []).append(item_id)
    return {"dropped": item_id, "name": scenario.items[item_id].name, "inventory": state.inventory}


def use_item(state: GameState, scenario: Scenario, item: str) -> dict[str, Any]:
    """Use a carried item: a key unlocks its lock here; consumables are used up (and may
    heal); others stay carried."""
    require_able(state)
    item_id = _held(state, scenario, item)
    spec = scenario.items[item_id]
    result: dict[str, Any] = {"used": item_id, "name": spec.name, "consumed": spec.consumable}
    lock = lock_for_key(state, scenario, item_id)
    if lock is not None:
        result.update(open_lock(state, scenario, lock))
    elif not spec.consumable:
        result["description"] = spec.description  # what using it shows: a map, a diary
    else:
        state.inventory.remove(item_id)
        if spec.heal:
            char = state.character
            before = char.hp
            char.hp = min(char.max_hp, char.hp + spec.heal)
            result.update(hp=char.hp, max_hp=char.max_hp, healed=char.hp - before)
    result["inventory"] = state.inventory
    return after_action(state, scenario, result)


def public_state(state: GameState, scenario: Scenario) -> dict[str, Any]:
    """The state the page shows: character, the other seated characters' sheets (party
    play), location, inventory, a fight, outcome."""
    return {
        "character": state.character.to_dict(),
        "companions": [dict(sheet) for sheet in state.companions],
        "location": describe_location(state, scenario),
        "inventory": [
            {"id": i, "name": scenario.items[i].name, "description": scenario.items[i].description}
            for i in state.inventory
        ],
        "fight": fight_view(state, scenario),
        "outcome": state.outcome,
        "scenario": {"id": scenario.id, "title": scenario.title, "goal": scenario.goal},
    }
