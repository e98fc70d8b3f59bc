"""The rules engine on its own: every refusal with its code and facts, every limit, the ending."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from game_master import rules
from game_master.rules import RuleError
from game_master.rules.rest import short_rest

SCENARIO = rules.load_scenario()


@pytest.fixture
def state() -> rules.GameState:
    """A fighter at the start of the Drowned Bell."""
    return rules.new_game_state("Ada", "fighter", SCENARIO, seed=7)


def refusal(fn: object, *args: object) -> RuleError:
    """The RuleError a rule raises (failing when it does not refuse)."""
    with pytest.raises(RuleError) as info:
        fn(*args)  # type: ignore[operator]
    return info.value


def test_every_refusal_code_the_rules_raise_is_listed_with_its_facts() -> None:
    """A code used in the rules or tools but missing from CODES would reach the narrator unnamed."""
    root = Path(rules.__file__).parent.parent
    used = set()
    for path in [*root.joinpath("rules").glob("*.py"), *root.joinpath("tools").glob("*.py")]:
        used |= set(re.findall(r'refuse\(\s*"([a-z_]+)"', path.read_text()))
    assert used, "no refusals found: the pattern is stale"
    assert used <= set(rules.CODES), used - set(rules.CODES)


def test_refuse_insists_on_the_codes_facts() -> None:
    """A refusal with the wrong facts is a programming error, caught at once."""
    with pytest.raises(TypeError):
        rules.refuse("no_exit", "nope", direction="up")


# ------------------------------------------------------------------ dice


# The rule's numbers, stated here literally (README: at most 20 dice of at most 100 sides,
# a modifier of at most ±50): a test that built its boundary from rules.MAX_DICE would
# pass whatever the constant said.
@pytest.mark.parametrize(
    ("notation", "code", "facts"),
    [
        ("banana", "dice_notation", {"notation": "banana"}),
        ("1d20+" + "1" * 30, "dice_notation", {}),
        ("0d6", "dice_count", {"count": 0, "max": 20}),
        ("21d6", "dice_count", {"count": 21, "max": 20}),
        ("1000d1000", "dice_count", {"count": 1000}),
        ("1d1", "dice_sides", {"sides": 1, "max": 100}),
        ("1d101", "dice_sides", {"sides": 101, "max": 100}),
        ("1d6+51", "dice_modifier", {"modifier": 51}),
        ("1d6-51", "dice_modifier", {"modifier": -51}),
    ],
)
def test_dice_outside_the_limits_are_refused(
    state: rules.GameState, notation: str, code: str, facts: dict[str, object]
) -> None:
    """Nonsense or oversized dice never roll; the refusal names the limit broken."""
    err = refusal(rules.roll_dice, state, notation)
    assert err.code == code
    assert facts.items() <= err.to_dict().items()


def test_dice_at_the_limits_roll(state: rules.GameState) -> None:
    """The largest allowed roll, 20d100+50, works and stays within its bounds (70-2050)."""
    result = rules.roll_dice(state, "20d100+50")
    assert len(result["kept"]) == 20
    assert 70 <= result["total"] <= 2050
    assert len(rules.roll_dice(state, "1d6-50")["kept"]) == 1


def test_advantage_keeps_the_better_roll_and_bad_advantage_is_refused(
    state: rules.GameState,
) -> None:
    """Advantage rolls twice and keeps the higher sum; an unknown keyword is refused."""
    result = rules.roll_dice(state, "1d20", "advantage")
    assert result["kept"] == max(result["rolls"], key=sum)
    assert refusal(rules.roll_dice, state, "1d20", "twice").code == "bad_advantage"


def test_checks_refuse_unknown_skills_and_dcs_out_of_range(state: rules.GameState) -> None:
    """A check names a real skill or ability and a DC from 1 to 30."""
    err = refusal(rules.ability_check, state, "juggling", 10)
    assert (err.code, err.facts["skill"]) == ("unknown_skill", "juggling")
    for dc in (0, 31):
        err = refusal(rules.ability_check, state, "athletics", dc)
        assert err.code == "dc_range" and err.facts == {"dc": dc, "min": 1, "max": 30}
    for dc in (1, 30):
        assert rules.ability_check(state, "athletics", dc)["dc"] == dc


def test_a_trained_skill_adds_proficiency(state: rules.GameState) -> None:
    """Athletics is a fighter's skill: STR modifier plus the proficiency bonus."""
    result = rules.ability_check(state, "athletics", 10)
    assert result["proficient"] and result["modifier"] == 3 + rules.PROFICIENCY_BONUS
    assert result["total"] == result["natural"] + result["modifier"]


# ------------------------------------------------------------------ hit points and conditions


def test_hp_changes_are_bounded(state: rules.GameState) -> None:
    """HP never rises above max nor falls below 0; amounts are limited and non-zero."""
    char = state.character
    assert rules.change_hp(state, 50, "heal")["hp"] == char.max_hp
    for amount in (0, 101, -101):  # the rule: at most ±100 in one change
        err = refusal(rules.change_hp, state, amount)
        assert err.code == "hp_amount" and err.facts["max"] == 100
    result = rules.change_hp(state, -3)
    assert (result["hp"], result["change"]) == (char.max_hp - 3, -3)


def test_massive_damage_kills_and_ends_the_game(state: rules.GameState) -> None:
    """100 damage to a 14 HP fighter leaves 86 over their maximum: dead (5e's massive
    damage, not a fall to death saves), and every later change is refused as game_over."""
    result = rules.change_hp(state, -100)
    assert result["hp"] == 0 and result["dead"] and state.outcome == "dead"
    err = refusal(rules.move, state, SCENARIO, "north")
    assert (err.code, err.facts) == ("game_over", {"outcome": "dead"})


def test_conditions_come_from_the_list(state: rules.GameState) -> None:
    """Known conditions toggle; an unknown one is refused with the list of known ones."""
    assert rules.set_condition(state, "Poisoned", True)["conditions"] == ["poisoned"]
    assert rules.set_condition(state, "poisoned", False)["conditions"] == []
    err = refusal(rules.set_condition, state, "sparkly", True)
    assert err.code == "unknown_condition" and "poisoned" in err.facts["known"]


# ------------------------------------------------------------------ the world


def path_to_locked_gate(state: rules.GameState) -> tuple[str, str, str]:
    """Stand where a locked exit is; returns (direction, key id, destination id)."""
    loc = next(loc for loc in SCENARIO.locations.values() if loc.locked)
    state.location = loc.id
    direction, key = next(iter(loc.locked.items()))
    return direction, key, loc.exits[direction]


def test_a_locked_exit_needs_its_key(state: rules.GameState) -> None:
    """Without the key the way is refused (naming the key); with it the character passes."""
    direction, key, destination = path_to_locked_gate(state)
    here = state.location
    err = refusal(rules.move, state, SCENARIO, direction)
    assert err.code == "exit_locked"
    assert err.facts == {
        "direction": direction,
        "destination": SCENARIO.locations[destination].name,
        "key": key,
        "key_name": SCENARIO.items[key].name,
    }
    assert state.location == here
    state.inventory.append(key)
    result = rules.move(state, SCENARIO, direction)
    assert state.location == destination and result["unlocked_with"] == key


def test_moving_by_direction_or_place_name_and_unknown_exits(state: rules.GameState) -> None:
    """Exits are found by direction or destination name; a wrong one lists the real exits."""
    start = SCENARIO.locations[state.location]
    direction, target = next(iter(start.exits.items()))
    rules.move(state, SCENARIO, SCENARIO.locations[target].name.upper())
    assert state.location == target
    state.location = start.id
    err = refusal(rules.move, state, SCENARIO, "sideways")
    assert err.code == "no_exit"
    assert err.facts["location"] == start.name
    assert err.facts["exits"][direction] == SCENARIO.locations[target].name


def test_taking_dropping_and_using_items(state: rules.GameState) -> None:
    """Items move between the place and the pack; refusals say what is here or carried."""
    here = SCENARIO.locations[state.location]
    assert here.items, "the start has an item to take"
    item = SCENARIO.items[here.items[0]]
    err = refusal(rules.take_item, state, SCENARIO, "golden crown")
    assert err.code == "item_not_here" and err.facts["here"] == [item.name]
    assert rules.take_item(state, SCENARIO, item.name)["taken"] == item.id
    err = refusal(rules.take_item, state, SCENARIO, item.name)
    assert (err.code, err.facts["name"]) == ("already_carried", item.name)
    err = refusal(rules.drop_item, state, SCENARIO, "golden crown")
    assert err.code == "not_carried" and err.facts["inventory"] == [item.name]
    rules.drop_item(state, SCENARIO, item.id)
    assert item.id in state.location_items[state.location] and item.id not in state.inventory
    err = refusal(rules.use_item, state, SCENARIO, item.name)
    assert err.code == "not_carried" and err.facts["inventory"] == []


def test_a_consumable_heals_and_is_used_up(state: rules.GameState) -> None:
    """Eating the bread heals (never above max) and removes it from the pack."""
    healing = next(i for i in SCENARIO.items.values() if i.consumable and i.heal)
    state.inventory.append(healing.id)
    rules.change_hp(state, -5)
    result = rules.use_item(state, SCENARIO, healing.name)
    assert result["consumed"] and result["healed"] == min(5, healing.heal)
    assert healing.id not in state.inventory


def test_bringing_the_goal_item_to_the_goal_place_wins(state: rules.GameState) -> None:
    """The win fires on arrival with the item, and only then; afterwards nothing changes."""
    ending = SCENARIO.ending
    goal_place = SCENARIO.locations[ending["location"]]
    # Arrive without the item: no win.
    neighbour, direction = next(
        (loc.id, d)
        for loc in SCENARIO.locations.values()
        for d, t in loc.exits.items()
        if t == goal_place.id and d not in loc.locked
    )
    state.location = neighbour
    rules.move(state, SCENARIO, direction)
    assert state.outcome is None
    # Arrive with it: won, and the result says so.
    state.location = neighbour
    state.inventory.append(ending["item"])
    result = rules.move(state, SCENARIO, direction)
    assert state.outcome == "won" and result["game_over"]["outcome"] == "won"
    err = refusal(rules.take_item, state, SCENARIO, "anything")
    assert (err.code, err.facts) == ("game_over", {"outcome": "won"})


# ------------------------------------------------------------------ characters and rests


@pytest.mark.parametrize("name", ["", " ", "x" * 41, "<script>", "'Ada"])
def test_bad_names_are_refused(name: str) -> None:
    """Names are 1-40 ordinary characters."""
    assert refusal(rules.new_game_state, name, "fighter", SCENARIO).code == "invalid_name"


def test_unknown_classes_are_refused() -> None:
    """The class is one of the four."""
    err = refusal(rules.new_game_state, "Ada", "bard", SCENARIO)
    assert err.code == "unknown_class" and err.facts["known"] == list(rules.CLASSES)


def test_a_short_rest_spends_a_hit_die_to_heal(state: rules.GameState) -> None:
    """1dHD + CON, at most max HP, one die a level; refused at full HP or with no dice."""
    char = state.character
    err = refusal(short_rest, state, SCENARIO)
    assert (err.code, err.facts) == ("full_hp", {"hp": char.max_hp, "max_hp": char.max_hp})
    rules.change_hp(state, -10)
    result = short_rest(state, SCENARIO)
    con = rules.ability_modifier(char.abilities["constitution"])
    assert 1 <= result["rolled"] <= char.hit_die == 10
    assert result["healed"] == min(10, max(1, result["rolled"] + con))
    assert result["hit_dice_left"] == char.hit_dice == 0
    assert refusal(short_rest, state, SCENARIO).code == "no_hit_dice"


def test_no_rest_with_a_foe_in_the_room(state: rules.GameState) -> None:
    """A hostile NPC where the character stands makes a rest impossible."""
    lair = next(
        loc
        for loc in SCENARIO.locations.values()
        if any(SCENARIO.npcs[n].hostile for n in loc.npcs)
    )
    state.location = lair.id
    rules.change_hp(state, -5)
    err = refusal(short_rest, state, SCENARIO)
    assert err.code == "in_combat" and err.facts["foes"] == ["The Warden"]


def test_games_stored_before_hit_dice_load_with_a_full_pool(state: rules.GameState) -> None:
    """Old stored state has no hit_dice: it loads with one die per level."""
    raw = state.to_dict()
    del raw["character"]["hit_dice"], raw["character"]["hit_die"]
    loaded = rules.GameState.from_dict(raw)
    assert loaded.character.hit_dice == loaded.character.level == 1
