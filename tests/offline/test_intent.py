"""The intent finder: the known things in a sentence, never a span of words as a name."""

from __future__ import annotations

import pytest

from game_master.offline.intent import parse_intent
from game_master.offline.notebook import Notebook

STEPS = {
    "location": "canal_steps",
    "name": "The Canal Steps",
    "preposition": "on",
    "description": "Slick steps.",
    "exits": {"south": "Tallow Lane", "east": "The Wine Cellar"},
    "ways": {"east": ["watergate", "gate"], "south": ["alley"]},
    "locked_exits": ["east"],
    "items": [{"id": "watergate_key", "name": "Watergate key", "words": ["key"]}],
    "npcs": [{"id": "nell", "name": "Nell the boatwoman", "words": ["boatwoman"],
              "topics": [{"name": "The Strongroom", "kind": "place"}]}],
}  # fmt: skip
VAULT = {
    "location": "strongroom",
    "name": "The Strongroom",
    "description": "An iron box.",
    "exits": {"down": "The Chief Clerk's Study"},
    "ways": {"down": ["stair", "stairs"]},
    "items": [{"id": "velvet_ledger", "name": "Velvet ledger", "words": ["ledger", "book"]}],
    "npcs": [{"id": "mastiff", "name": "The brass mastiff", "hostile": True,
              "words": ["hound", "dog"], "guards": ["Velvet ledger"]}],
}  # fmt: skip


def seen(*places: dict[str, object], carried: tuple[str, ...] = ()) -> Notebook:
    """A notebook that has seen these places (the last is where the character stands)."""
    book = Notebook()
    for place in places:
        book.learn("look_around", dict(place))
    for name in carried:
        book.learn("take_item", {"taken": name, "name": name})
    return book


@pytest.mark.parametrize(
    ("text", "kind", "fields"),
    [
        ("quietly take the ledger while the hound isn't looking", "take",
         {"target": "Velvet ledger", "known": True}),
        ("drink some of the brandy for courage", "use", {"target": "Bottle of old brandy"}),
        ("grab the oatcakes too", "take", {"target": "oatcakes", "known": False}),
        ("attack the hound", "attack", {"who": "The brass mastiff"}),
        ("fight the clockwork dog with the boathook", "attack",
         {"who": "The brass mastiff", "item": "boathook"}),
        ("climb the stairs", "go", {"way": "down"}),
        ("go down the stair", "go", {"way": "down"}),
        ("run away", "flee", {}),
        ("where is the strongroom?", "where", {"target": "The Strongroom", "known": True}),
        ("what should I do next?", "hint", {}),
        ("sing a song", "unknown", {}),
        ("buy a drink", "unknown", {}),
    ],
)  # fmt: skip
def test_in_the_strongroom_with_the_brandy(text: str, kind: str, fields: dict[str, object]) -> None:
    """Known things are found by their words; clauses, adverbs, 'too' and 'some' are not
    part of any name; an unknown word is cut to its object words."""
    book = seen(STEPS, VAULT, carried=("Bottle of old brandy",))
    book.items["Bottle of old brandy"] = {"name": "Bottle of old brandy", "words": ["brandy"]}
    intent = parse_intent(text, book)
    assert intent.kind == kind, intent
    for key, value in fields.items():
        assert getattr(intent, key) == value, (key, intent)


@pytest.mark.parametrize(
    ("text", "kind", "fields"),
    [
        ("Nell, what do you know about the strongroom?", "talk",
         {"who": "Nell the boatwoman", "topic": "strongroom"}),
        ("talk to Nell", "talk", {"who": "Nell the boatwoman", "topic": ""}),
        ("ask the boatwoman about the gold", "talk",
         {"who": "Nell the boatwoman", "topic": "gold"}),
        ("use the key on the watergate", "unlock", {"way": "east", "item": "Watergate key"}),
        ("open the gate", "unlock", {"way": "east"}),
        ("try the locked gate", "go", {"way": "east"}),
        ("go through the alley", "go", {"way": "south"}),
        ("go to the wine cellar", "go", {"way": "east"}),
        ("go to the strongroom", "go", {"place": "The Strongroom"}),
        ("go back", "go", {"way": "back"}),
        ("what about tobin?", "talk", {"topic": "tobin"}),
        ("grab the key and the boathook", "take", {"items": ["Watergate key", "boathook"]}),
    ],
)  # fmt: skip
def test_on_the_canal_steps(text: str, kind: str, fields: dict[str, object]) -> None:
    """People, ways and places are found in what the player says to them or about them."""
    book = seen(VAULT, STEPS, carried=("Watergate key",))
    intent = parse_intent(text, book)
    assert intent.kind == kind, intent
    for key, value in fields.items():
        assert getattr(intent, key) == value, (key, intent)


def test_a_first_line_names_people_the_narrator_has_not_seen() -> None:
    """Before any look, "Nell, ...?" and "talk to Nell" still address Nell (the rules know
    who she is); "go to the strongroom" still names a place."""
    empty = Notebook()
    assert (parse_intent("Nell, what do you know about the strongroom?", empty).who) == "nell"
    assert parse_intent("talk to Nell", empty).who == "nell"
    assert parse_intent("go to the strongroom", empty).place == "strongroom"
    assert parse_intent("North, then east", empty).kind != "talk"


def test_a_dying_character_only_saves() -> None:
    """Whatever the player says while down, the turn is a death save."""
    book = seen(STEPS)
    book.learn("attack", {"down": True, "dead": False})
    assert parse_intent("attack the hound", book).down
    book.learn("death_save", {"down": False, "stable": True})
    assert not parse_intent("attack the hound", book).down
