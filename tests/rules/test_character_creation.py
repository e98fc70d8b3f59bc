"""Character creation: the standard array, point-buy, backstories and the sheet they make."""

from __future__ import annotations

from typing import Any

import pytest

from game_master import rules
from game_master.rules import RuleError

SCENARIO = rules.load_scenario()

STANDARD = {
    "strength": 8,
    "dexterity": 15,
    "constitution": 14,
    "intelligence": 12,
    "wisdom": 10,
    "charisma": 13,
}
# 9 + 9 + 5 + 2 + 2 + 0 = 27: the whole budget.
POINT_BUY = {
    "strength": 15,
    "dexterity": 15,
    "constitution": 13,
    "intelligence": 10,
    "wisdom": 10,
    "charisma": 8,
}


def create(cls: str = "rogue", **kw: Any) -> rules.GameState:
    """A new game for Ada with these creation choices."""
    return rules.new_game_state("Ada", cls, SCENARIO, seed=1, **kw)


def refused(**kw: Any) -> RuleError:
    """The RuleError creating Ada with these choices raises."""
    with pytest.raises(RuleError) as info:
        create(**kw)
    return info.value


def with_(base: dict[str, int], **changes: Any) -> dict[str, Any]:
    """``base`` with some scores changed."""
    return {**base, **changes}


def test_without_choices_a_class_keeps_its_own_scores_and_hp() -> None:
    """The old body (name and class only) still makes the class's default character."""
    for key, spec in rules.CLASSES.items():
        char = create(key).character
        assert char.abilities == spec.abilities
        assert char.hp == char.max_hp == spec.hit_points
        assert char.backstory == ""


def test_a_standard_array_character_gets_exactly_those_scores() -> None:
    """Each value once, assigned as the player chose."""
    char = create(method="standard_array", abilities=STANDARD).character
    assert char.abilities == STANDARD
    assert char.to_dict()["modifiers"]["dexterity"] == 2


def test_a_point_buy_of_the_whole_budget_gets_exactly_those_scores() -> None:
    """27 points spent; cheaper buys are allowed too (5e: at most 27)."""
    assert rules.point_buy_cost(POINT_BUY) == rules.POINT_BUY_BUDGET == 27
    assert create(method="point_buy", abilities=POINT_BUY).character.abilities == POINT_BUY
    all_eights = dict.fromkeys(rules.ABILITIES, 8)
    assert create(method="point_buy", abilities=all_eights).character.abilities == all_eights


def test_point_buy_over_budget_is_refused_with_its_cost() -> None:
    """Two points too many: the refusal says what it cost and what the budget is."""
    err = refused(method="point_buy", abilities=with_(POINT_BUY, wisdom=12))
    assert (err.code, err.facts) == ("point_buy_budget", {"cost": 29, "budget": 27})
    assert "point-buy costs 29 points; the budget is 27" in err.message


def test_point_buy_one_point_over_is_refused() -> None:
    """28 points, the first cost past the budget, is refused too (only 29 was tried, so a
    rule that let 28 through passed): 9 + 9 + 5 + 2 + 2 + 1 = 28."""
    over_by_one = with_(POINT_BUY, charisma=9)
    assert rules.point_buy_cost(over_by_one) == 28
    err = refused(method="point_buy", abilities=over_by_one)
    assert (err.code, err.facts) == ("point_buy_budget", {"cost": 28, "budget": 27})


@pytest.mark.parametrize("score", [7, 16, 15.5, "12", True, None])
def test_point_buy_scores_are_whole_numbers_from_8_to_15(score: Any) -> None:
    """Out of range or not an integer: named by ability."""
    err = refused(method="point_buy", abilities=with_(POINT_BUY, charisma=score))
    assert err.code == "ability_score"
    assert err.facts == {"ability": "charisma", "score": score, "min": 8, "max": 15}


def test_standard_array_refuses_a_value_used_twice() -> None:
    """15 twice (and no 14): the message names the repeated value."""
    err = refused(method="standard_array", abilities=with_(STANDARD, constitution=15))
    assert err.code == "standard_array" and err.facts["value"] == 15 and err.facts["uses"] == 2
    assert "needs 15, 14, 13, 12, 10, 8 once each; 15 is used twice" in err.message


def test_standard_array_refuses_a_value_not_in_it() -> None:
    """9 is a legal score, but not one of the array's."""
    err = refused(method="standard_array", abilities=with_(STANDARD, strength=9))
    assert err.code == "standard_array" and err.facts["value"] == 9
    assert "9 is not in the array" in err.message


def test_unknown_and_missing_abilities_are_named() -> None:
    """An extra ability is named; a missing one is listed."""
    err = refused(method="point_buy", abilities=with_(POINT_BUY, luck=10))
    assert (err.code, err.facts["ability"]) == ("unknown_ability", "luck")
    assert "unknown ability 'luck'" in err.message
    partial = {k: v for k, v in POINT_BUY.items() if k != "wisdom"}
    err = refused(method="point_buy", abilities=partial)
    assert (err.code, err.facts) == ("missing_ability", {"missing": ["wisdom"]})


def test_abilities_need_a_known_method() -> None:
    """Scores without a method, or a made-up method, are refused; so is a method alone."""
    for method in (None, "roll_4d6"):
        err = refused(method=method, abilities=STANDARD)
        assert (err.code, err.facts["method"]) == ("unknown_method", method)
    err = refused(method="standard_array")
    assert err.code == "missing_ability" and err.facts["missing"] == list(rules.ABILITIES)


def test_max_hp_moves_with_the_constitution_modifier() -> None:
    """A wizard's 9 HP assume CON 12 (+1); CON 8 (-1) makes 7, CON 14 (+2) makes 10."""
    low = create("wizard", method="point_buy", abilities=with_(POINT_BUY, constitution=8))
    assert low.character.max_hp == low.character.hp == 7
    high = create("wizard", method="standard_array", abilities=STANDARD)
    assert high.character.max_hp == 10


def test_the_backstory_is_trimmed_kept_and_stored() -> None:
    """Stored on the sheet, round-trips through the store's JSON; old games load without."""
    state = create(backstory="  Raised by smugglers under the Drowned Bell.  ")
    assert state.character.backstory == "Raised by smugglers under the Drowned Bell."
    again = rules.GameState.from_dict(state.to_dict())
    assert again.character.backstory == state.character.backstory
    old = state.to_dict()
    del old["character"]["backstory"]
    assert rules.GameState.from_dict(old).character.backstory == ""


@pytest.mark.parametrize(
    ("backstory", "reason"),
    [
        ("x" * 201, "too_long"),
        ("line one\nline two", "control_characters"),
        ("bell\x07", "control_characters"),
        ("tab\there", "control_characters"),
        ("nul\x00", "control_characters"),
        ("lone \ud800 surrogate", "control_characters"),
        (42, "not_text"),
    ],
)
def test_bad_backstories_are_refused(backstory: Any, reason: str) -> None:
    """One line of at most 200 characters, no control characters."""
    err = refused(backstory=backstory)
    assert (err.code, err.facts) == ("invalid_backstory", {"reason": reason, "max": 200})


def test_a_backstory_of_exactly_200_characters_after_trimming_is_fine() -> None:
    """The limit counts the trimmed line."""
    assert len(create(backstory=" " + "y" * 200 + "\n").character.backstory) == 200
