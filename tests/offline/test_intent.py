"""The intent parser: what the player's words ask for."""

from __future__ import annotations

import pytest

from game_master.offline.intent import match_npc, parse_intent


@pytest.mark.parametrize(
    ("text", "kind", "target"),
    [
        ("go north", "go", "north"),
        ("n", "go", "north"),
        ("take the lantern", "take", "lantern"),
        ("pick up the rope", "take", "rope"),
        ("take a short rest", "rest", ""),
        ("rest", "rest", ""),
        ("catch my breath", "rest", ""),
        ("bandage my wounds", "rest", ""),
        ("light the way", "look", ""),
        ("attack the warden", "attack", "warden"),
        ("xyzzy", "unknown", "xyzzy"),
    ],
)
def test_kinds_and_targets(text: str, kind: str, target: str) -> None:
    intent = parse_intent(text)
    assert (intent.kind, intent.target) == (kind, target)


def test_talk_splits_who_and_topic() -> None:
    intent = parse_intent("ask Mara about the bell")
    assert (intent.kind, intent.who, intent.topic, intent.target) == (
        "talk",
        "mara",
        "bell",
        "mara bell",
    )
    assert parse_intent("tell me about the crypt").who == ""
    assert parse_intent("talk to the priest").who == "priest"


def test_place_names_resolve_through_exits() -> None:
    exits = {"north": "Chapel of the Lantern", "west": "The Old Mill"}
    assert parse_intent("go to the old mill", exits).target == "west"
    assert parse_intent("walk to the chapel", exits).target == "north"
    assert parse_intent("go to the tavern", exits).target == "tavern"


def test_match_npc_by_name_or_id() -> None:
    npcs = [{"id": "ghost", "name": "The miller's ghost"}, {"id": "mara", "name": "Mara"}]
    assert match_npc("miller", npcs) == npcs[0]
    assert match_npc("ghost", npcs) == npcs[0]
    assert match_npc("mara", npcs) == npcs[1]
    assert match_npc("shadow", npcs) is None
    assert match_npc("the", npcs) is None
