"""Locks as actions, people who answer in their own words, the true way to known things,
and games saved before any of these still loading."""

from __future__ import annotations

import json

import pytest

from game_master import rules
from game_master.rules import RuleError

from .keep import keep

KEEP = keep()


def at(place: str, *carry: str) -> rules.GameState:
    """A fighter at ``place`` who has walked there from the gate, carrying ``carry``; the
    troll is already defeated."""
    state = rules.new_game_state("Ada", "fighter", KEEP, seed=1)
    state.foes["troll"] = 0
    for item in carry:
        for items in state.location_items.values():
            if item in items:
                items.remove(item)
        state.inventory.append(item)
    for step in ("gate", "yard", place):
        if step not in state.visited:
            state.visited.append(step)
    state.location = place
    return state


def refused(code: str, fn: object, *args: object) -> RuleError:
    """The refusal a rule raises, checked for its code."""
    with pytest.raises(RuleError) as info:
        fn(*args)  # type: ignore[operator]
    assert info.value.code == code, info.value.to_dict()
    return info.value


# ------------------------------------------------------------------ locks


def test_unlocking_changes_the_state_at_once_and_the_way_stays_open() -> None:
    """Unlock the tower stair with the iron key: the look shows it open before anyone
    moves; both sides of the door open; dropping the key later changes nothing."""
    state = at("yard", "iron_key")
    assert rules.describe_location(state, KEEP)["locked_exits"] == ["up"]
    result = rules.unlock(state, KEEP, "the stairs")
    assert result == {
        "unlocked": "up",
        "way": "tower stair",
        "destination": "The Tower Top",
        "key": "iron_key",
        "key_name": "Iron key",
    }
    assert state.location == "yard"
    assert rules.describe_location(state, KEEP)["locked_exits"] == []
    rules.drop_item(state, KEEP, "iron key")
    assert rules.move(state, KEEP, "up")["name"] == "The Tower Top"
    assert "unlocked" not in rules.move(state, KEEP, "down")  # the tower side opened too
    assert rules.public_state(state, KEEP)["location"]["locked_exits"] == []


def test_a_locked_way_says_what_would_open_it() -> None:
    """Without the key: locked, and the iron key would open it; the wrong key does not fit;
    an open way is not locked; using the key at its own door unlocks it."""
    state = at("yard", "rope")
    facts = refused("exit_locked", rules.unlock, state, KEEP, "tower door").facts
    assert facts == {"direction": "up", "destination": "The Tower Top", "key": "iron_key",
                     "key_name": "Iron key"}  # fmt: skip
    assert refused("exit_locked", rules.move, state, KEEP, "climb the stairs").facts == facts
    refused("wrong_key", rules.unlock, state, KEEP, "up", "rope")
    refused("not_locked", rules.unlock, state, KEEP, "east")
    state = at("yard", "iron_key")
    used = rules.use_item(state, KEEP, "iron key")
    assert used["unlocked"] == "up" and state.is_unlocked("yard", "up")
    assert "iron_key" in state.inventory  # a key is not used up


def test_going_through_with_the_key_unlocks_first_and_says_so() -> None:
    """A move through a locked way with its key carried reports the unlocking with the arrival."""
    state = at("yard", "iron_key")
    result = rules.move(state, KEEP, "the tower stair")
    assert result["unlocked"]["key_name"] == "Iron key" and result["name"] == "The Tower Top"
    assert result["preposition"] == "on"
    assert state.is_unlocked("yard", "up") and state.came_from == "yard"


def test_a_guarded_way_and_item_are_refused_naming_the_guard() -> None:
    """What a standing foe guards cannot be taken."""
    state = at("yard")
    state.foes.clear()
    err = refused("guarded", rules.take_item, state, KEEP, "the key")
    assert err.facts == {"thing": "Iron key", "foe": "The troll"}
    look = rules.describe_location(state, KEEP)
    assert {"id": "troll", "name": "The troll", "hostile": True, "words": ["brute"],
            "guards": ["Iron key"]} in look["npcs"]  # fmt: skip


# ------------------------------------------------------------------ people


def test_a_person_here_answers_about_a_thing_in_her_own_words() -> None:
    """Asked about the troll (by a word of its name or its 'brute'), Ann says her line."""
    state = at("gate")
    for about in ("the troll", "what about that brute?", "Troll"):
        said = rules.ask(state, KEEP, "Ann", about)
        assert said["says"] == "He's slow, but he hits like a falling wall.", about
        assert said["voice"] == "Mind the mud, love. And the troll."
    key = rules.ask(state, KEEP, "the warden", "the tower key")
    assert key["topic"] == "iron_key" and "sits on the tower key" in key["says"]


def test_greeting_and_an_unknown_topic_give_the_voice_and_what_they_talk_about() -> None:
    """No topic: a greeting (her voice line); a topic she does not know: nothing said, and
    the topics she would answer."""
    state = at("gate")
    hello = rules.ask(state, KEEP)
    assert hello["name"] == "Ann the warden" and hello["says"] is None
    assert hello["topics"] == [
        {"name": "The troll", "kind": "person"},
        {"name": "Iron key", "kind": "item"},
        {"name": "bells", "kind": "word"},
    ]
    odd = rules.ask(state, KEEP, "ann", "the weather in Paris")
    assert odd["topic"] is None and odd["says"] is None and odd["topics"] == hello["topics"]


def test_someone_elsewhere_or_nobody_is_refused_with_where_they_were_seen() -> None:
    """Ann is at the gate: from the yard she is not here, seen at the gate; in the cellar
    nobody is here; a stranger is no one here."""
    state = at("cellar")
    assert refused("not_here", rules.ask, state, KEEP, "Ann", "troll").facts == {
        "person": "Ann the warden",
        "seen_at": "The Gate",
    }
    assert refused("nobody_here", rules.ask, state, KEEP, "", "troll").facts == {"person": ""}
    state = at("gate")
    assert refused("no_such_person", rules.ask, state, KEEP, "Bartholomew").facts == {
        "person": "Bartholomew",
        "here": ["Ann the warden"],
    }
    fresh = rules.new_game_state("Ada", "fighter", KEEP, seed=1)
    fresh.location = "cellar"
    fresh.visited = ["cellar"]
    assert refused("not_here", rules.ask, fresh, KEEP, "ann").facts["seen_at"] == ""


def test_a_person_without_voice_or_topics_still_tells_their_lore() -> None:
    """Adventures written before people had voices keep working through ``lore``."""
    old = keep(npcs__ann={"name": "Ann", "description": "Grey.", "lore": "Ann says hello."})
    state = rules.new_game_state("Ada", "fighter", old, seed=1)
    said = rules.ask(state, old, "ann", "troll")
    assert said["lore"] == "Ann says hello." and said["says"] is None


# ------------------------------------------------------------------ the way


def test_the_way_to_a_known_place_is_every_exit_on_it() -> None:
    """From the cellar the gate lies west, then south; the tower up from the yard, locked."""
    state = at("cellar")
    way = rules.find_way(state, KEEP, "the gate")
    assert way["status"] == "known" and way["at"] == "The Gate"
    assert [(s["direction"], s["from"]) for s in way["path"]] == [
        ("west", "The Cellar"),
        ("south", "The Yard"),
    ]
    tower = rules.find_way(state, KEEP, "tower")
    assert [s["direction"] for s in tower["path"]] == ["west", "up"]
    assert tower["path"][-1]["locked"] is True
    assert rules.find_way(state, KEEP, "Ann")["at"] == "The Gate"
    assert rules.find_way(state, KEEP, "the cellar")["status"] == "here"


def test_unseen_things_are_not_revealed_and_nothing_is_not_known() -> None:
    """A fresh character has seen the gate only: the crown is unseen; the way to any place
    is known (north, then up, locked); a dragon is nothing."""
    state = rules.new_game_state("Ada", "fighter", KEEP, seed=1)
    assert rules.find_way(state, KEEP, "the crown")["status"] == "unseen"
    tower = rules.find_way(state, KEEP, "the tower top")
    assert [(s["direction"], s["locked"]) for s in tower["path"]] == [
        ("north", False),
        ("up", True),
    ]
    assert rules.find_way(state, KEEP, "dagger")["status"] == "here"
    refused("not_known", rules.find_way, state, KEEP, "the dragon")


# ------------------------------------------------------------------ old games


def test_a_game_saved_before_fights_locks_and_voices_loads_and_plays() -> None:
    """A stored state without the new fields (no foes, fight, unlocked, came_from, death
    saves) loads with their defaults and plays on."""
    state = rules.new_game_state("Ada", "fighter", KEEP, seed=1)
    stored = json.loads(json.dumps(state.to_dict()))
    for key in ("foes", "fight", "unlocked", "came_from"):
        del stored[key]
    for key in ("death_saves", "ac", "down"):
        del stored["character"][key]
    loaded = rules.GameState.from_dict(stored)
    assert loaded.foes == {} and loaded.fight is None and loaded.unlocked == []
    assert loaded.character.death_failures == 0 and loaded.character.armour_class == 16
    assert rules.move(loaded, KEEP, "north")["name"] == "The Yard"
    assert rules.public_state(loaded, KEEP)["fight"] is None
