"""Fights by the rules: weapons set the numbers, initiative orders the turns, foes act on
their turns, a defeated foe frees what it guarded, the fallen make death saves, fleeing
costs a free attack. Dice are scripted, so every number below is the rule's own."""

from __future__ import annotations

import pytest

from game_master import rules
from game_master.rules import RuleError

from .keep import keep, script

KEEP = keep()


def hero(cls: str = "fighter", *carry: str, at: str = "yard") -> rules.GameState:
    """A character of ``cls`` in the Keep's yard with the troll, carrying ``carry``."""
    state = rules.new_game_state("Ada", cls, KEEP, seed=1)
    for item in carry:
        state.location_items["gate"].remove(item)
        state.inventory.append(item)
    state.location = at
    state.visited.append(at)
    state.came_from = "gate"
    return state


def refused(code: str, fn: object, *args: object) -> RuleError:
    """The refusal a rule raises, checked for its code."""
    with pytest.raises(RuleError) as info:
        fn(*args)  # type: ignore[operator]
    assert info.value.code == code, info.value.to_dict()
    return info.value


def test_a_finesse_weapon_uses_dex_and_an_unarmed_strike_deals_one_plus_str() -> None:
    """A rogue (STR 10, DEX 16) with a dagger attacks at +5 (DEX +3, proficiency +2) for
    1d4+3; with a mace (not finesse) at +2 for 1d6; a fighter (STR 16) unarmed hits for 4."""
    rogue = hero("rogue", "dagger", "mace")
    script(rogue, 1, 1, 12, 2, 1)  # initiative: Ada 1 + 3, troll 1 + 2; her d20 12; dagger 2;
    # then the troll's turn: a natural 1 misses
    first = rules.attack(rogue, KEEP, "troll", "dagger")
    assert (first["modifier"], first["total"], first["dc"]) == (5, 17, 13)
    assert first["damage"] == {"notation": "1d4+3", "rolls": [2], "total": 5}
    assert first["foe"]["hp"] == 10 - 5

    rogue = hero("rogue", "dagger", "mace")
    script(rogue, 1, 1, 12, 6, 1)
    blow = rules.attack(rogue, KEEP, "troll", "the mace")
    assert (blow["modifier"], blow["total"]) == (2, 14)
    assert blow["damage"]["notation"] == "1d6" and blow["damage"]["total"] == 6

    fighter = hero("fighter")
    script(fighter, 20, 1, 15, 1)  # Ada first; d20 15 hits; fists need no dice; troll misses
    punch = rules.attack(fighter, KEEP, "the troll")
    assert punch["weapon"] == "unarmed strike"
    assert punch["damage"]["total"] == 1 + 3
    assert fighter.foes["troll"] == 10 - 4


def test_without_a_choice_the_best_weapon_carried_is_used() -> None:
    """A fighter with a dagger and a mace swings the mace (1d6+3 beats 1d4+3); a wizard
    with nothing casts fire bolt (1d10 + INT 3) rather than punch."""
    fighter = hero("fighter", "dagger", "mace")
    script(fighter, 20, 1, 15, 4, 1)
    assert rules.attack(fighter, KEEP)["weapon"] == "Mace"
    wizard = hero("wizard")
    script(wizard, 20, 1, 15, 7, 1)
    blast = rules.attack(wizard, KEEP)
    assert blast["weapon"] == "fire bolt" and blast["damage"]["total"] == 7 + 3


def test_initiative_orders_the_fight_and_the_foe_acts_on_its_turns() -> None:
    """The troll (d20 18 + 2) beats Ada (d20 5 + DEX 1): it strikes before her first blow;
    after her blow the round ends and the next begins with the troll again."""
    state = hero("fighter", "mace")
    ac = state.character.armour_class
    assert ac == 16  # chain mail: the fighter's armour
    script(state, 5, 18, 17, 3, 9, 2, 2)  # init Ada 5, troll 18; troll hits 17 (+4)
    # for 3+2; Ada rolls 9 (+5 = 14 vs AC 13: a hit) for 1d6 2 + 3; troll's next d20 2: miss
    result = rules.attack(state, KEEP, "troll")
    assert [e["name"] for e in result["initiative"]] == ["The troll", "Ada"]
    assert [e["initiative"] for e in result["initiative"]] == [18 + 2, 5 + 1]
    before, after = result["foe_turns"]
    assert before["hit"] and before["total"] == 17 + 4 and before["damage"] == 3 + 2
    assert result["success"] and result["damage"]["total"] == 2 + 3
    assert not after["hit"] and after["total"] == 2 + 4
    assert state.fight is not None and state.fight["round"] == 2
    assert result["hp"] == state.character.max_hp - 5
    assert result["fight"]["foes"][0]["hp"] == 10 - 5


def test_a_defeated_foe_frees_what_it_guarded_and_rest_is_allowed_again() -> None:
    """The key cannot be taken while the troll stands; at 0 HP the troll is defeated, the
    fight is won and the key is free; a short rest is refused before and allowed after."""
    state = hero("fighter", "mace")
    assert refused("guarded", rules.take_item, state, KEEP, "iron key").facts == {
        "thing": "Iron key",
        "foe": "The troll",
    }
    state.character.hp -= 5
    from game_master.rules.rest import short_rest

    refused("in_combat", short_rest, state, KEEP)
    state.foes["troll"] = 3
    script(state, 20, 1, 15, 6)
    result = rules.attack(state, KEEP, "troll")
    assert result["defeated"] and result["freed"] == ["Iron key"]
    assert result["fight_over"] == "won" and result["foe_turns"] == []
    assert state.fight is None and state.defeated("troll")
    assert rules.take_item(state, KEEP, "iron key")["taken"] == "iron_key"
    script(state, 4)
    assert short_rest(state, KEEP)["rested"]
    assert refused("foe_defeated", rules.attack, state, KEEP, "troll").facts == {
        "name": "The troll"
    }


def test_at_zero_hp_the_character_is_down_and_three_failed_saves_lose_the_game() -> None:
    """A blow to 0 HP: down, not dead; the foes stand guard (the fight ends); actions are
    refused; death saves: a 9 fails, a natural 1 fails twice: dead, the game is lost."""
    state = hero("fighter", "mace")
    state.character.hp = 3
    script(state, 1, 20, 18, 6)  # the troll first: 18 hits for 1d6 6 + 2 = 8
    result = rules.attack(state, KEEP, "troll")
    assert result["down"] and not result["dead"] and result["hp"] == 0
    assert "success" not in result  # Ada never swung
    assert state.fight is None and state.outcome is None
    refused("character_down", rules.attack, state, KEEP, "troll")
    refused("character_down", rules.move, state, KEEP, "south")
    script(state, 9)
    assert rules.death_save(state, KEEP)["failures"] == 1
    script(state, 1)
    last = rules.death_save(state, KEEP)
    assert last["failures"] == 3 and last["dead"]
    assert last["game_over"] == {"outcome": "dead", "text": "The keep keeps you."}
    assert state.outcome == "dead"
    refused("game_over", rules.death_save, state, KEEP)


def test_three_successes_or_a_natural_20_bring_the_character_back() -> None:
    """10 or more succeeds; three successes: up with 1 HP; a natural 20: up at once."""
    state = hero()
    state.character.hp = 0
    script(state, 10, 15, 12)
    results = [rules.death_save(state, KEEP) for _ in range(3)]
    assert [r["successes"] for r in results] == [1, 2, 3]
    assert results[-1]["stable"] and state.character.hp == 1 and not state.character.down
    refused("not_down", rules.death_save, state, KEEP)
    state.character.hp = 0
    script(state, 20)
    assert rules.death_save(state, KEEP)["revived"] and state.character.hp == 1


def test_damage_while_down_is_a_failed_save_and_massive_damage_kills() -> None:
    """Each hit on the fallen is a failure; damage that leaves at least max HP over kills."""
    state = hero()
    state.character.hp = 0
    for _ in range(3):
        rules.change_hp(state, -1, "a falling stone", KEEP)
    assert state.outcome == "dead"
    state = hero()
    max_hp = state.character.max_hp
    result = rules.change_hp(state, -(state.character.hp + max_hp), "a falling tower", KEEP)
    assert result["dead"] and state.outcome == "dead"
    state = hero()
    down = rules.change_hp(state, -(state.character.hp + max_hp - 1), "almost", KEEP)
    assert down["down"] and not down["dead"] and state.outcome is None


def test_fleeing_costs_a_free_attack_and_walking_away_is_refused() -> None:
    """In a fight a move is refused (flee or fight); fleeing lets the troll strike once,
    then the character goes back the way they came and the fight is over."""
    state = hero("fighter", "mace")
    script(state, 20, 1, 2, 3)  # Ada first, misses (2); the troll misses (3)
    rules.attack(state, KEEP, "troll")
    assert refused("in_fight", rules.move, state, KEEP, "south").facts == {
        "foes": ["The troll"],
        "direction": "south",
    }
    hp = state.character.hp
    script(state, 19, 4)  # the troll's free attack: 19 + 4 hits for 4 + 2
    result = rules.flee(state, KEEP)
    assert result["fled"] == "south" and result["name"] == "The Gate"
    assert result["foe_turns"][0]["hit"] and state.character.hp == hp - 6
    assert state.fight is None and state.location == "gate"
    refused("not_in_fight", rules.flee, state, KEEP)


def test_an_action_in_a_fight_gives_the_foes_their_turn() -> None:
    """Drinking a potion mid-fight heals, then the troll strikes."""
    state = hero("fighter", "mace", "potion")
    state.character.hp = 4
    script(state, 20, 1, 2, 3)
    rules.attack(state, KEEP, "troll")
    script(state, 15, 1)  # the troll: 15 + 4 hits for 1 + 2
    result = rules.use_item(state, KEEP, "the healing potion")
    assert result["healed"] == 5
    assert result["foe_turns"][0]["damage"] == 3 and result["hp"] == 4 + 5 - 3


@pytest.mark.parametrize(
    ("target", "weapon", "code", "facts"),
    [
        ("ann", "", "not_a_foe", {"name": "Ann the warden"}),
        ("dragon", "", "no_foe", None),
        ("troll", "rope", "not_a_weapon", {"item": "Coil of rope"}),
        ("troll", "sword", "not_carried", {"item": "sword"}),
    ],
)
def test_attacks_that_cannot_be_made_are_refused(
    target: str, weapon: str, code: str, facts: dict[str, object] | None
) -> None:
    """A friend is no foe; a foe must be here; a weapon must be carried and be a weapon."""
    state = hero("fighter", "rope")
    state.location = "gate" if target in ("ann", "dragon") else "yard"
    if target == "dragon":
        state.location = "cellar"
    err = refused(code, rules.attack, state, KEEP, target, weapon)
    assert facts is None or facts.items() <= err.facts.items()
    assert state.fight is None and state.rolls == 0


def test_a_party_fights_together_every_character_in_the_initiative_order() -> None:
    """Ada's companion Odo (DEX 16) rolls initiative too: the order is troll 20, Odo 15 + 3,
    Ada 5 + 1; the troll attacks on its turn and Odo, who acts through his player's own
    tool calls, is never taken for a foe; the fight's view names all three in order and
    lists only the troll as a foe."""
    from game_master.rules.party import add_companion

    state = hero("fighter", "mace")
    odo = rules.new_game_state("Odo", "rogue", KEEP, seed=2).character.to_dict()
    odo["abilities"]["dexterity"] = 16
    add_companion(state, odo)
    script(state, 5, 15, 18, 2, 9, 2, 2)  # init Ada 5, Odo 15, troll 18; troll misses (2);
    # Ada hits (9 + 5) for 2 + 3; the troll's next d20 2 misses
    result = rules.attack(state, KEEP, "troll")
    assert [e["name"] for e in result["initiative"]] == ["The troll", "Odo", "Ada"]
    assert [e["initiative"] for e in result["initiative"]] == [18 + 2, 15 + 3, 5 + 1]
    assert len(result["foe_turns"]) == 2 and all(t["foe"] == "troll" for t in result["foe_turns"])
    view = result["fight"]
    assert view["order"] == ["The troll", "Odo", "Ada"]
    assert [f["id"] for f in view["foes"]] == ["troll"]
