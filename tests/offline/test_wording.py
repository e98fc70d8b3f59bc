"""The offline narrator's English: refusals by code and facts, grammar, no broken fragments."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import pytest

from game_master.offline import Refusal, narrate, refusal_text
from game_master.offline.text import an_item, article, cap

from .helpers import only_tool, request, use

SCENARIO = json.loads(
    (Path(__file__).parents[2] / "game_master/scenarios/drowned_bell.json").read_text()
)
SEEDS = range(6)

# code -> (facts, words the wording must mention)
CODES: dict[str, tuple[dict[str, Any], list[str]]] = {
    "game_over": ({"outcome": "won"}, ["end"]),
    "dice_notation": ({"notation": "2q7"}, ["2q7"]),
    "dice_count": ({"count": 500, "max": 20}, ["500", "20"]),
    "dice_sides": ({"sides": 1000, "max": 100}, ["1000", "100"]),
    "dice_modifier": ({"modifier": 99, "max": 20}, ["99", "20"]),
    "bad_advantage": ({"value": "lucky"}, ["lucky"]),
    "unknown_skill": ({"skill": "juggling"}, ["juggling"]),
    "dc_range": ({"dc": 45, "min": 1, "max": 30}, ["45", "1", "30"]),
    "hp_amount": ({"amount": 900, "max": 100}, ["900", "100"]),
    "unknown_condition": (
        {"condition": "sparkly", "known": ["poisoned", "prone"]},
        ["sparkly", "poisoned", "prone"],
    ),
    "no_exit": (
        {
            "direction": "west",
            "location": "The Crooked Kettle",
            "exits": {"east": "Village Square"},
        },
        ["west", "the Crooked Kettle", "east to Village Square"],
    ),
    "exit_locked": (
        {
            "direction": "down",
            "destination": "Bell Chamber",
            "key": "iron_key",
            "key_name": "Iron key",
        },
        ["down", "iron key"],
    ),
    "item_not_here": (
        {"item": "sword", "here": ["Lantern", "Coil of rope"]},
        ["sword", "a lantern", "a coil of rope"],
    ),
    "already_carried": ({"item": "key", "name": "Iron key"}, ["iron key"]),
    "not_carried": ({"item": "potion", "inventory": ["Torn map"]}, ["potion", "a torn map"]),
    "bad_argument": ({"argument": "item", "reason": "must not be empty"}, ["item", "empty"]),
    "in_combat": ({"foes": ["The Warden"]}, ["the Warden"]),
    "full_hp": ({"hp": 12, "max_hp": 12}, []),  # no numbers: the sheet has them
    "guarded": (
        {"thing": "Velvet ledger", "foe": "The brass mastiff"},
        ["velvet ledger", "brass mastiff"],
    ),
    "in_fight": ({"foes": ["The brass mastiff"], "direction": "down"}, ["brass mastiff"]),
    "not_here": (
        {"person": "Nell the boatwoman", "seen_at": "The Canal Steps"},
        ["Nell the boatwoman", "Canal Steps"],
    ),
    "no_foe": ({"target": "dragon", "here": []}, ["dragon"]),
    "not_a_foe": ({"name": "Dunstan the night clerk"}, ["Dunstan"]),
    "not_locked": ({"direction": "south", "destination": "Tallow Lane"}, ["south"]),
    "wrong_key": (
        {"key_name": "Rope", "direction": "up", "needs": "Iron key"},
        ["rope", "iron key"],
    ),
    "nobody_here": ({"person": ""}, ["no"]),
    "no_such_person": ({"person": "Bob", "here": ["Mara"]}, ["Bob", "Mara"]),
    "not_known": ({"what": "the docks"}, ["the docks"]),
    "character_down": ({"successes": 0, "failures": 1}, []),
    "unknown_character": ({"character": "Zed", "party": ["Mara", "Odo"]}, ["Zed"]),
    "no_hit_dice": ({}, ["hit dice"]),
}


@pytest.mark.parametrize("code", sorted(CODES))
def test_each_code_is_worded_from_its_facts(code: str) -> None:
    facts, mentions = CODES[code]
    message = "RULES-TEXT-NOT-TO-BE-QUOTED"
    texts = {refusal_text(random.Random(s), Refusal(code, message, facts)) for s in SEEDS}
    assert len(texts) >= 2, "each code has variants"
    for text in texts:
        assert message not in text, "a known code is worded in-world, not quoted"
        assert text[0].isupper() and text.rstrip()[-1] in ".?!"
        for word in mentions:
            assert word in text, (word, text)


def test_no_exit_to_a_place_name_and_empty_lists() -> None:
    facts = {"direction": "old mill", "location": "The Crooked Kettle", "exits": {"west": "X"}}
    for s in SEEDS:
        text = refusal_text(random.Random(s), Refusal("no_exit", "", facts))
        # The player's words for a place the rules do not know are quoted, not guessed at.
        assert "“old mill”" in text and "no way old mill" not in text
    here = dict(facts, direction="the old mill", location="The Old Mill")
    assert "already" in refusal_text(random.Random(0), Refusal("no_exit", "", here))
    empty_here = Refusal("item_not_here", "", {"item": "sword", "here": []})
    assert "sword" in refusal_text(random.Random(0), empty_here)
    empty_pack = Refusal("not_carried", "", {"item": "way", "inventory": []})
    for s in SEEDS:
        assert "to be had" not in refusal_text(random.Random(s), empty_pack)
    dead = refusal_text(random.Random(1), Refusal("game_over", "", {"outcome": "dead"}))
    assert "dead" in dead.lower()


def test_unknown_code_and_bad_facts_fall_back_to_the_message() -> None:
    text = refusal_text(random.Random(0), Refusal("brand_new_rule", "the moon is not up", {}))
    assert "the moon is not up" in text
    broken = Refusal("no_exit", "no way west", {"direction": "west", "exits": ["not a dict"]})
    assert "no way west" in refusal_text(random.Random(0), broken)
    named = Refusal("invalid_name", "name must be 1-40 letters", {})
    assert "name must be 1-40 letters" in refusal_text(random.Random(0), named)


def test_new_and_old_error_shapes_through_narrate() -> None:
    new = {
        "error": {
            "code": "exit_locked",
            "message": "the way down is locked; it needs the Iron key",
            "direction": "down",
            "destination": "Bell Chamber",
            "key": "iron_key",
            "key_name": "Iron key",
        }
    }
    final = narrate(request("go down", (use("move", direction="down"), new, True)))
    assert final.stop_reason == "end_turn" and "the iron key" in final.text_content
    assert "it needs the" not in final.text_content
    for old in ({"error": "something odd happened"}, {"error": ""}, {"error": None}, {}):
        reply = narrate(request("go down", (use("move", direction="down"), old, True)))
        assert reply.stop_reason == "end_turn" and reply.text_content


def test_short_rest_is_planned_and_worded() -> None:
    for text in ("rest", "take a short rest", "catch my breath", "bandage my wounds"):
        assert only_tool(narrate(request(text)))["name"] == "mcp__game__short_rest", text
    rested = {"rested": True, "rolled": 6, "healed": 8, "hp": 11, "max_hp": 12, "hit_dice_left": 0}
    final = narrate(request("rest", (use("short_rest"), rested, False)))
    assert "no hit dice" in final.text_content
    assert not re.search(r"\d", final.text_content)  # no dice numbers: the dice log has them


def test_article_and_capitals() -> None:
    cases = {"athletics": "an", "stealth": "a", "investigation": "an", "unicorn": "a",
             "hour": "an", "Iron key": "an", "one-eyed cat": "a", "": "a"}  # fmt: skip
    assert {w: article(w) for w in cases} == cases
    assert cap("the Warden stirs.") == "The Warden stirs."
    assert [an_item(n) for n in ("Iron key", "Lantern", "Sword of Dawn")] == [
        "an iron key",
        "a lantern",
        "Sword of Dawn",
    ]
    assert cap("“quiet,” she says") == "“Quiet,” she says"
    miss = {"check": "athletics", "total": 2, "dc": 12, "success": False}
    for s in range(20):
        reply = narrate(request("climb the wall", (use("ability_check"), miss, False)), seed=s)
        assert "A athletics" not in reply.text_content
        assert "an athletics" not in reply.text_content.replace("An athletics", "")


# --------------------------------------------------------------------------- Drowned Bell names


def place(loc_id: str) -> dict[str, Any]:
    """A look_around result for a Drowned Bell location, as the rules describe it."""
    loc = SCENARIO["locations"][loc_id]
    return {
        "location": loc_id,
        "name": loc["name"],
        "description": loc["description"],
        "exits": {d: SCENARIO["locations"][t]["name"] for d, t in loc.get("exits", {}).items()},
        "locked_exits": sorted(loc.get("locked", {})),
        "items": [{"id": i, "name": SCENARIO["items"][i]["name"]} for i in loc.get("items", [])],
        "npcs": [{"id": n, "name": SCENARIO["npcs"][n]["name"]} for n in loc.get("npcs", [])],
    }


COMPASS = "north|south|east|west|up|down|in|out|northeast|northwest|southeast|southwest"
FRAGMENTS = [
    re.compile(rf"\bway (?!(?:{COMPASS})\b)[a-z]", re.IGNORECASE),  # "the way old mill"
    re.compile(rf"\b(?:head|set off) (?!(?:{COMPASS}|for|to|toward)\b)[a-z]"),  # "head tavern"
    re.compile(r"no way to be had|\bthe it\b|\bthe the\b", re.IGNORECASE),
    re.compile(r"\b[Aa] [aeiouAEIOU]\w"),  # "a athletics"
    re.compile(r"[.!?] [a-z]"),  # a sentence starting in lower case
]


def assert_clean(text: str) -> None:
    """No fragment the issue reported can appear in ``text``."""
    for pattern in FRAGMENTS:
        assert not pattern.search(text), (pattern.pattern, text)


def test_place_names_never_make_fragments() -> None:
    """'go to <place>' from every location, by name and by id, through lead and result."""
    names = {loc["name"] for loc in SCENARIO["locations"].values()}
    names |= {loc_id.replace("_", " ") for loc_id in SCENARIO["locations"]}
    for here_id in SCENARIO["locations"]:
        here = place(here_id)
        for name in sorted(names):
            for phrase in (f"go to the {name}", f"walk to {name}", f"head for {name.lower()}"):
                for s in SEEDS[:2]:
                    first = narrate(request(phrase, place=here), seed=s)
                    assert_clean(first.text_content)
                    if first.stop_reason != "tool_use":
                        continue
                    asked = only_tool(first)["input"]["direction"]
                    refused = {
                        "error": {
                            "code": "no_exit",
                            "message": "no exit",
                            "direction": asked,
                            "location": here["name"],
                            "exits": here["exits"],
                        }
                    }
                    turn = (use("move", direction=asked), refused, True)
                    final = narrate(request(phrase, turn, place=here), seed=s)
                    assert_clean(final.text_content)


def test_descriptions_read_cleanly_everywhere() -> None:
    for loc_id in SCENARIO["locations"]:
        for s in SEEDS:
            looked = narrate(request("look", (use("look_around"), place(loc_id), False)), seed=s)
            assert_clean(looked.text_content)
            moved = dict(place(loc_id), moved="north", first_visit=True)
            went = narrate(request("go north", (use("move", direction="north"), moved, False)))
            assert_clean(went.text_content)
            assert "in The " not in went.text_content and "at The " not in went.text_content


def test_light_the_way_reaches_for_no_item_called_way() -> None:
    for s in SEEDS:
        reply = narrate(request("light the way", place=place("crypt_entrance")), seed=s)
        assert_clean(reply.text_content)
        assert all(u["input"].get("item") != "way" for u in reply.tool_uses)
