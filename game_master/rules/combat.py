"""Fights, as in 5e for one hero: initiative, attacks, foes' turns, going down, death saves.

A fight starts when the character attacks a foe: everyone standing at the place rolls
initiative (d20 + DEX, a foe d20 + its initiative), and whoever beat the character acts
first. After each of the character's actions in a fight (an attack, taking or using an
item, unlocking) every foe acts in its turn, by the rules: it attacks the character (d20 +
its attack bonus against the character's armour class; a natural 20 doubles its dice).

At 0 HP the character is down: the foes stand guard (the fight ends) and the character
makes a death saving throw each turn (d20: 10 or more succeeds, a natural 1 fails twice, a
natural 20 brings them back with 1 HP); three successes and they come to with 1 HP, three
failures and they die: the game is lost. Damage taken while down is a failure. A foe at 0 HP
is defeated; what it guarded is free. Fleeing leaves the fight through an exit, but every
foe first gets a free attack.
"""

from __future__ import annotations

from typing import Any

from .character import ability_modifier
from .locks import refuse_locked
from .naming import best
from .places import exit_named, foes_at, guard_of, refuse_guarded, step, thing_name
from .refusals import refuse
from .scenario import Scenario
from .state import COMPANION, PC, GameState, require_able, require_playing
from .weapons import attack_bonus, choose, roll_damage

DEATH_SAVE_DC = 10
DEATH_SAVES = 3  # successes to stabilise, failures to die


# --------------------------------------------------------------------------- hit points


def wound(state: GameState, damage: int, critical: bool = False) -> None:
    """Damage the character: at 0 HP they go down, or die when the damage left over is at
    least their maximum (5e's massive damage); a hit while down is a failed death save."""
    char = state.character
    if char.down:
        char.death_failures += 2 if critical else 1
        if char.death_failures >= DEATH_SAVES:
            die(state)
        return
    left = char.hp - damage
    char.hp = max(0, left)
    if char.hp == 0:
        state.fight = None  # the foes stand over the fallen and guard what they guard
        char.death_successes = char.death_failures = 0
        if -left >= char.max_hp:
            die(state)


def die(state: GameState) -> None:
    """The character dies: the game is lost."""
    state.character.hp = 0
    state.outcome = "dead"
    state.fight = None


def over(state: GameState, scenario: Scenario) -> dict[str, Any] | None:
    """The end of the game for a result, when it has just been lost."""
    if state.outcome != "dead":
        return None
    return {"outcome": "dead", "text": scenario.ending.get("defeat", "")}


def tally(result: dict[str, Any], hp_before: int) -> dict[str, Any]:
    """The totals of a fight's action at the top of its result, for scorers and the model:
    damage dealt, damage taken, and the change in the character's HP."""
    result["dealt"] = int((result.get("damage") or {}).get("total") or 0)
    result["taken"] = sum(int(t.get("damage") or 0) for t in result.get("foe_turns") or [])
    result["change"] = int(result.get("hp", hp_before)) - hp_before
    return result


def vitals(state: GameState) -> dict[str, Any]:
    """The character's health after an action (what the sheet shows)."""
    char = state.character
    out: dict[str, Any] = {"hp": char.hp, "max_hp": char.max_hp, "down": char.down}
    if char.down:
        out["death_saves"] = {"successes": char.death_successes, "failures": char.death_failures}
    out["dead"] = state.outcome == "dead"
    return out


# --------------------------------------------------------------------------- the fight


def start_fight(state: GameState, scenario: Scenario) -> list[dict[str, Any]]:
    """Everyone standing here rolls initiative; the order is stored, highest first."""
    char = state.character
    rolls = [
        (PC, char.name, state.rng().randint(1, 20) + ability_modifier(char.abilities["dexterity"]))
    ]
    # Party play: every other seated character standing rolls too (the party shares a
    # place); the foes still act on the rules' turns against the state's own character.
    for sheet in state.companions:
        if int(sheet.get("hp") or 0) > 0:
            dex = ability_modifier(int(sheet.get("abilities", {}).get("dexterity", 10)))
            rolls.append(
                (COMPANION + sheet["name"], sheet["name"], state.rng().randint(1, 20) + dex)
            )
    for foe in foes_at(state, scenario, state.location):
        npc = scenario.npcs[foe]
        rolls.append((foe, npc.name, state.rng().randint(1, 20) + npc.stats.initiative))
    # Highest first; the characters win a tie (the state's own first).
    order = sorted(rolls, key=lambda r: (-r[2], r[0] != PC, not r[0].startswith(COMPANION)))
    state.fight = {"round": 1, "order": [{"id": i, "initiative": n} for i, _, n in order]}
    return [{"id": i, "name": name, "initiative": n} for i, name, n in order]


def foe_turns(state: GameState, scenario: Scenario, *, before_pc: bool) -> list[dict[str, Any]]:
    """The foes' turns: those after the character this round (then a new round begins and
    those before the character act), or, at the start of a fight, those before them."""
    fight = state.fight
    if fight is None:
        return []
    ids = [entry["id"] for entry in fight["order"]]
    mine = ids.index(PC)
    if before_pc:
        acting = ids[:mine]
    else:
        acting = ids[mine + 1 :]
        fight["round"] += 1
        acting += ids[:mine]
    turns = []
    for foe in acting:
        if state.fight is None or state.character.down or state.outcome:
            break
        if foe.startswith(COMPANION):
            continue  # a companion acts on their player's turn, through the tools
        if not state.defeated(foe):
            turns.append(foe_attack(state, scenario, foe))
    return turns


def foe_attack(state: GameState, scenario: Scenario, foe: str) -> dict[str, Any]:
    """One foe's attack on the character, by its numbers."""
    npc, char = scenario.npcs[foe], state.character
    stats, rng = npc.stats, state.rng()
    natural = rng.randint(1, 20)
    total = natural + stats.attack
    hit = natural == 20 or (natural != 1 and total >= char.armour_class)
    turn: dict[str, Any] = {
        "foe": foe, "name": npc.name, "natural": natural, "total": total,
        "ac": char.armour_class, "hit": hit, "critical": natural == 20,
    }  # fmt: skip
    if hit:
        dice = _foe_dice(stats.damage, natural == 20)
        rolls = [rng.randint(1, dice[1]) for _ in range(dice[0])]
        turn["damage"] = max(1, sum(rolls) + dice[2])
        wound(state, turn["damage"], critical=natural == 20)
    turn.update(hp=char.hp, down=char.down)
    return turn


def _foe_dice(damage: str, critical: bool) -> tuple[int, int, int]:
    """(count, sides, modifier) of a foe's damage, the dice doubled on a critical."""
    count, rest = damage.split("d")
    sides, _, mod = rest.replace("-", "+-").partition("+")
    return int(count) * (2 if critical else 1), int(sides), int(mod or 0)


def after_action(state: GameState, scenario: Scenario, result: dict[str, Any]) -> dict[str, Any]:
    """In a fight, an action gives the foes their turns: add them (and the character's
    health) to the action's result."""
    if state.fight is None or state.outcome:
        return result
    hp_before = state.character.hp - int(result.get("healed") or 0)
    turns = foe_turns(state, scenario, before_pc=False)
    result["foe_turns"] = turns
    result.update(vitals(state))
    result["fight"] = fight_view(state, scenario)
    tally(result, hp_before)
    ended = over(state, scenario)
    if ended:
        result["game_over"] = ended
    return result


# --------------------------------------------------------------------------- actions


def _target(state: GameState, scenario: Scenario, target: str) -> str:
    """The foe here that ``target`` names (the only one when none is named)."""
    loc = scenario.locations[state.location]
    here = {n: [scenario.npcs[n].name, *scenario.npcs[n].words] for n in loc.npcs}
    standing = foes_at(state, scenario, loc.id)
    named = best(target, here) if target.strip() else None
    elsewhere = best(target, {n: [v.name, *v.words] for n, v in scenario.npcs.items()})
    if named is None and target.strip() and elsewhere is not None:
        at = scenario.where_is(elsewhere)
        raise refuse(
            "not_here",
            f"{scenario.npcs[elsewhere].name} is not here",
            person=scenario.npcs[elsewhere].name,
            seen_at=scenario.locations[at].name if at in state.visited else "",
        )
    if named is None and target.strip():
        raise refuse("no_foe", f"no {target!r} here to fight", target=target,
                     here=[scenario.npcs[n].name for n in loc.npcs])  # fmt: skip
    if named is None:
        if len(standing) == 1:
            return standing[0]
        if not standing:
            raise refuse("no_foe", "there is no foe here to fight", target=target,
                         here=[scenario.npcs[n].name for n in loc.npcs])  # fmt: skip
        raise refuse("which_foe", "several foes are here; name one",
                     foes=[scenario.npcs[n].name for n in standing])  # fmt: skip
    npc = scenario.npcs[named]
    if not npc.hostile:
        raise refuse("not_a_foe", f"{npc.name} is no foe", name=npc.name)
    if state.defeated(named):
        raise refuse("foe_defeated", f"{npc.name} is already defeated", name=npc.name)
    return named


def attack(
    state: GameState, scenario: Scenario, target: str = "", weapon: str = ""
) -> dict[str, Any]:
    """The character attacks a foe here (starting a fight if none is on), then the foes
    take their turns."""
    require_able(state)
    foe = _target(state, scenario, target)
    how = choose(state, scenario, weapon)
    npc, char = scenario.npcs[foe], state.character
    hp_before = char.hp
    result: dict[str, Any] = {"target": foe, "name": npc.name, "weapon": how.name}
    turns: list[dict[str, Any]] = []
    if state.fight is None:
        result["initiative"] = start_fight(state, scenario)
        turns += [dict(t, first=True) for t in foe_turns(state, scenario, before_pc=True)]
    if not char.down and not state.outcome:
        result.update(_strike(state, scenario, foe, how))
        if not foes_at(state, scenario, state.location):
            state.fight = None
            result["fight_over"] = "won"
        else:
            turns += foe_turns(state, scenario, before_pc=False)
    result["foe_turns"] = turns
    result.update(vitals(state))
    result["fight"] = fight_view(state, scenario)
    result["reason"] = _log_line(result)
    tally(result, hp_before)
    ended = over(state, scenario)
    if ended:
        result["game_over"] = ended
    return result


def _strike(state: GameState, scenario: Scenario, foe: str, how: Any) -> dict[str, Any]:
    """The character's attack roll and damage against one foe."""
    char, stats = state.character, scenario.npcs[foe].stats
    rng = state.rng()
    natural = rng.randint(1, 20)
    bonus = attack_bonus(char, how)
    hit = natural == 20 or (natural != 1 and natural + bonus >= stats.ac)
    out: dict[str, Any] = {
        "check": "attack", "d20": [natural], "natural": natural, "modifier": bonus,
        "total": natural + bonus, "dc": stats.ac, "margin": natural + bonus - stats.ac,
        "success": hit, "critical": natural == 20,
    }  # fmt: skip
    if hit:
        notation, rolls, damage = roll_damage(rng, char, how, natural == 20)
        hp = max(0, state.foe_hp(scenario, foe) - damage)
        state.foes[foe] = hp
        out["damage"] = {"notation": notation, "rolls": rolls, "total": damage}
        if hp == 0:
            out["defeated"] = True
            out["freed"] = [
                thing_name(scenario, state.location, g) for g in scenario.npcs[foe].guards
            ]
    out["foe"] = {"id": foe, "name": scenario.npcs[foe].name, "hp": state.foe_hp(scenario, foe),
                  "max_hp": stats.hp}  # fmt: skip
    return out


def _log_line(result: dict[str, Any]) -> str:
    """One line for the dice log: the blow and each foe's answer."""
    parts = [str(result.get("weapon"))]
    if "damage" in result:
        parts[0] += f": {result['damage']['total']} damage"
    elif "success" in result:
        parts[0] += ": miss"
    for turn in result.get("foe_turns", []):
        parts.append(f"{turn['name']}: " + (f"{turn['damage']} damage" if turn["hit"] else "miss"))
    return " · ".join(parts)


def fight_view(state: GameState, scenario: Scenario) -> dict[str, Any] | None:
    """The fight as the page and the model see it: round, and each foe's health."""
    if state.fight is None:
        return None
    ids = [e["id"] for e in state.fight["order"]]
    foes = [i for i in ids if i != PC and not i.startswith(COMPANION)]
    return {
        "round": state.fight["round"],
        "order": [
            state.character.name
            if i == PC
            else i[len(COMPANION) :]
            if i.startswith(COMPANION)
            else scenario.npcs[i].name
            for i in ids
        ],  # fmt: skip
        "foes": [
            {
                "id": f,
                "name": scenario.npcs[f].name,
                "hp": state.foe_hp(scenario, f),
                "max_hp": scenario.npcs[f].stats.hp,
                "defeated": state.defeated(f),
            }
            for f in foes
        ],  # fmt: skip
    }


def flee(state: GameState, scenario: Scenario, direction: str = "") -> dict[str, Any]:
    """Break away from a fight through an exit (by default the way the character came);
    every foe first gets a free attack."""
    require_able(state)
    if state.fight is None:
        raise refuse("not_in_fight", "there is no fight to flee; move instead")
    loc = scenario.locations[state.location]
    way = exit_named(scenario, loc.id, direction) if direction.strip() else None
    if way is None:
        back = [d for d, t in loc.exits.items() if t == state.came_from]
        way = back[0] if back else next(iter(loc.exits), None)
    if way is None:
        raise refuse("no_exit", "there is no way out", direction=direction, location=loc.name,
                     exits={})  # fmt: skip
    if loc.locked.get(way) and not state.is_unlocked(loc.id, way):
        raise refuse_locked(state, scenario, way)
    guard = guard_of(state, scenario, way)
    if guard:
        raise refuse_guarded(scenario, loc.id, way, guard)
    hp_before = state.character.hp
    turns = [foe_attack(state, scenario, f) for f in foes_at(state, scenario, loc.id)
             if not state.character.down and not state.outcome]  # fmt: skip
    state.fight = None
    result: dict[str, Any] = {"fled": False, "foe_turns": turns}
    if not state.character.down and not state.outcome:
        result = {**step(state, scenario, way), "fled": way, "foe_turns": turns}
    result.update(vitals(state))
    tally(result, hp_before)
    ended = over(state, scenario)
    if ended:
        result["game_over"] = ended
    return result


def death_save(state: GameState, scenario: Scenario) -> dict[str, Any]:
    """The down character's death saving throw for this turn."""
    require_playing(state)
    char = state.character
    if not char.down:
        raise refuse("not_down", "the character is not down; no death save is needed",
                     hp=char.hp)  # fmt: skip
    natural = state.rng().randint(1, 20)
    result: dict[str, Any] = {
        "check": "death save", "d20": [natural], "natural": natural, "modifier": 0,
        "total": natural, "dc": DEATH_SAVE_DC, "margin": natural - DEATH_SAVE_DC,
        "success": natural >= DEATH_SAVE_DC,
        "critical": natural in (1, 20),
    }  # fmt: skip
    if natural == 20:
        char.hp, result["revived"] = 1, True
    elif natural >= DEATH_SAVE_DC:
        char.death_successes += 1
    else:
        char.death_failures += 2 if natural == 1 else 1
    if char.death_successes >= DEATH_SAVES:
        char.hp, result["stable"] = 1, True
    elif char.death_failures >= DEATH_SAVES:
        die(state)
    result["successes"] = min(char.death_successes, DEATH_SAVES)
    result["failures"] = min(char.death_failures, DEATH_SAVES)
    if char.hp > 0:
        char.death_successes = char.death_failures = 0
    result.update(vitals(state))
    ended = over(state, scenario)
    if ended:
        result["game_over"] = ended
    return result
