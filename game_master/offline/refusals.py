"""In-world wording of rule refusals, chosen by the refusal's code and filled from its facts.

A refusal arrives as ``{"error": {"code", "message", ...facts}}`` (see the rules package).
Nothing here reads the English message except to quote it when the code is unknown.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from ..rules.naming import COMPASS, STOP, words
from .conversation import Refusal
from .notebook import Notebook
from .text import an_item, cap, listing, mid, quoted, the_item, way_name, ways, where_in

# Variants per code (a suffix after ':' picks a variant set for a shape of the facts).
TEMPLATES: dict[str, list[str]] = {
    "game_over:won": [
        "The tale has ended in triumph; nothing more can change it.",
        "Your adventure has ended in victory. The story is over.",
        "The story has reached its end, and a happy one.",
    ],
    "game_over:dead": [
        "You are dead; nothing more can be done in this tale.",
        "Your story ended with your last breath. Nothing can change it now.",
        "The dead do not act. Your adventure is over.",
    ],
    "dice_notation": [
        "The dice will not fall as '{notation}'.",
        "No one can roll '{notation}'; the dice stay still.",
    ],
    "dice_count": [
        "No hand can throw {count} dice at once; {max} is the most.",
        "Rolling {count} dice is beyond anyone; at most {max}.",
    ],
    "dice_sides": [
        "There is no die with {sides} sides; {max} is the most.",
        "A {sides}-sided die exists only in dreams; dice have at most {max} sides.",
    ],
    "dice_modifier": [
        "A bonus of {modifier} is beyond all reason; it must stay within {max} either way.",
        "No roll bends by {modifier}; {max} either way is the limit.",
    ],
    "bad_advantage": [
        "Fortune cannot be '{value}': it favours you, frowns on you, or neither.",
        "The dice know no luck called '{value}'.",
    ],
    "unknown_character": [
        "No one in the party answers to {character}.",
        "There is nobody called {character} in the party.",
    ],
    "unknown_skill": [
        "No one knows a skill called {skill}.",
        "There is no skill called {skill} in this world.",
    ],
    "dc_range": [
        "A difficulty of {dc} is beyond measure; it must lie between {min} and {max}.",
        "No task is set at {dc}; difficulties run from {min} to {max}.",
    ],
    "hp_amount": [
        "No single blow or balm changes {amount} HP; at most {max} at once.",
        "A change of {amount} HP is more than any wound or cure; the limit is {max}.",
    ],
    "unknown_condition": [
        "The world knows no condition called '{condition}'; it knows {known}.",
        "No one can be {condition} here; the known conditions are {known}.",
    ],
    "no_exit": [
        "No path leads {direction} from {location}. The paths here lead {exits}.",
        "You look for a way {direction}, but {location} offers none. You could go {exits}.",
        "No path runs {direction} from {location}; the exits lead {exits}.",
    ],
    "no_exit:place": [
        "No path leads from {location} to {place}. From here you could go {exits}.",
        "You know of no way to {place} from {location}; the paths here lead {exits}.",
        "You find no road to {place} from {location}. The exits lead {exits}.",
    ],
    "no_exit:here": [
        "You are already in {location}.",
        "You stand in {location} already; the paths from here lead {exits}.",
    ],
    "exit_locked": [
        "{way} is locked. The {key_name} would open it.",
        "You try {way_mid}, but it is locked fast; only the {key_name} will open it.",
        "{way} to {destination} is locked; you will need the {key_name}.",
    ],
    "item_not_here": [
        "You look for the {item}, but find none here. What lies here: {here}.",
        "You find no {item} to take here; you see {here}.",
        "You search in vain for the {item}. Here you see {here}.",
    ],
    "item_not_here:empty": [
        "You look for the {item}, but find none here, nor anything else worth taking.",
        "You find no {item} to take here; the place is bare.",
    ],
    "already_carried": [
        "You already carry the {name}.",
        "The {name} is already in your pack.",
        "You pat your pack: the {name} is already there.",
    ],
    "not_carried": [
        "You have no {item} with you. You carry {inventory}.",
        "You rummage for the {item} but find none; you have {inventory}.",
        "Your pack holds no {item}, only {inventory}.",
    ],
    "not_carried:here": [
        "The {item} lies here, not in your pack: take it first.",
        "You would have to pick up the {item} first; it lies right here.",
    ],
    "not_carried:empty": [
        "You have no {item} with you; your pack is empty.",
        "You rummage for the {item}, but your pack holds nothing at all.",
        "You carry nothing, and certainly no {item}.",
    ],
    "bad_argument": [
        "That cannot be done as asked: the {argument} {reason}.",
        "The world cannot follow you there: the {argument} {reason}.",
    ],
    "unknown_tool": [
        "The world does not answer that; nothing happens.",
        "Nothing in this world works that way.",
    ],
    "tool_failed": [
        "The world shudders for a moment, and nothing comes of it.",
        "Something falters in the weave of the world; nothing happens.",
    ],
    "in_combat": [
        "You cannot rest with {foes} so close.",
        "There is no time to catch your breath while {foes} threatens you.",
        "Rest now, with {foes} at hand? You would not live to wake.",
    ],
    "full_hp": [
        "You are already hale; resting would gain you nothing.",
        "Your wounds are all healed; there is nothing to rest off.",
    ],
    "no_hit_dice": [
        "You rest a while, but you have no strength left to draw on; no hit dice remain.",
        "You catch your breath, but your reserves are spent: no hit dice left.",
    ],
    "character_down": [
        "You lie where you fell, too far gone to do anything but fight for breath.",
        "You are down and dying; nothing you do can reach the world now.",
    ],
    "not_down": [
        "You are on your feet; there is no death to fight off.",
        "You are standing; nothing is dying here but time.",
    ],
    "guarded": [
        "{foe} stands guard over {thing}; you will have to beat it first.",
        "Not while {foe_mid} stands over {thing}: defeat it first, or keep your distance.",
    ],
    "in_fight": [
        "{foe} will not let you simply walk away. Flee, and it gets a free blow at you as you "
        "go; or stand and fight.",
        "You are in a fight with {foe_mid}. To break away is to flee, and it will strike as "
        "you go; or fight on.",
    ],
    "not_in_fight": [
        "Nothing here is fighting you; you can simply go where you like.",
        "There is no fight to run from.",
    ],
    "no_foe": [
        "There is nothing like {target} here to fight.",
        "You see nothing like {target} here to fight.",
    ],
    "no_foe:none": [
        "There is no one here to fight.",
        "You ready yourself, but nobody here means you harm.",
    ],
    "which_foe": ["Which of them? {foes} all stand against you.", "{foes} face you: name one."],
    "not_a_foe": [
        "{name} is no enemy of yours; you let your hand fall.",
        "You will not raise a hand against {name_mid}: they mean you no harm.",
    ],
    "foe_defeated": ["{name} is already beaten.", "{name} lies beaten already."],
    "not_a_weapon": [
        "The {item} is no weapon. You could fight with {weapons}.",
        "You cannot fight with the {item}; you have {weapons}.",
    ],
    "not_locked": [
        "{way} is not locked; you can go through.",
        "{way} stands open already: just go {direction}.",
    ],
    "not_locked:none": ["Nothing here is locked.", "There is no locked way here."],
    "wrong_key": [
        "The {key_name} does not fit. The {needs} would.",
        "You try the {key_name}, but it will not turn; it needs the {needs}.",
    ],
    "not_here": [
        "{person} is not here.",
        "You look about for {person_mid}, but they are not here.",
    ],
    "not_here:seen": [
        "{person} is not here; you last saw them {seen}.",
        "You look about for {person_mid}, but they are not here. You last saw them {seen}.",
    ],
    "nobody_here": [
        "There is no one here to talk to.",
        "You speak, but nobody is here to answer.",
    ],
    "nobody_here:named": [
        "You look for {person}, but there is no one here at all.",
        "No one is here, {person} or anyone else.",
    ],
    "no_such_person": [
        "No one called {person} is here; there is {here}.",
        "You call for {person}, but only {here} can hear you.",
    ],
    "which_person": ["Whom do you mean? Here are {here}.", "{here} are here; name one."],
    "not_known": [
        "You know of nothing called {what}.",
        "Nothing called {what} is known to you.",
    ],
    "": [
        "The world resists you: {message}.",
        "It cannot be done: {message}.",
        "Fate says no: {message}.",
    ],
}


def _no_exit(facts: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A compass direction and a place name asked as a direction read differently."""
    direction = str(facts["direction"]).strip()
    values = dict(facts, location=mid(str(facts["location"])), exits=ways(facts["exits"]))
    if direction.lower() in COMPASS:
        return "no_exit", dict(values, direction=direction.lower())
    if _same_place(direction, str(facts["location"])):
        return "no_exit:here", values
    return "no_exit:place", dict(values, place=quoted(direction))


def _same_place(asked: str, location: str) -> bool:
    """Whether the player asked to go where they already are ("old mill" in The Old Mill)."""
    said = set(words(asked)) - STOP
    return bool(said) and said <= set(words(location))


def _listed(code: str, key: str) -> Callable[[dict[str, Any]], tuple[str, dict[str, Any]]]:
    """Prepare a code whose fact ``key`` is a list of item names (empty: ':empty')."""

    def prepare(facts: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        names = [an_item(str(n)) for n in facts[key] or []]
        facts = dict(facts, item=the_item(str(facts["item"])))
        return (code, dict(facts, **{key: listing(names)})) if names else (code + ":empty", facts)

    return prepare


PREPARE: dict[str, Callable[[dict[str, Any]], tuple[str, dict[str, Any]]]] = {
    "game_over": lambda f: ("game_over:" + ("won" if f.get("outcome") == "won" else "dead"), f),
    "no_exit": _no_exit,
    "already_carried": lambda f: ("already_carried", dict(f, name=the_item(str(f["name"])))),
    "item_not_here": _listed("item_not_here", "here"),
    "not_carried": _listed("not_carried", "inventory"),
    "unknown_condition": lambda f: (
        "unknown_condition",
        dict(f, known=listing([str(k) for k in f["known"]])),
    ),
    "in_combat": lambda f: ("in_combat", dict(f, foes=listing([mid(str(n)) for n in f["foes"]]))),
    "guarded": lambda f: (
        "guarded",
        dict(
            f,
            foe=cap(mid(str(f["foe"]))),
            foe_mid=mid(str(f["foe"])),
            foe_obj="it",
            thing="the " + the_item(str(f["thing"])),
        ),
    ),  # fmt: skip
    "in_fight": lambda f: (
        "in_fight",
        dict(
            f,
            foe=cap(listing([mid(str(n)) for n in f["foes"]])),
            foe_mid=listing([mid(str(n)) for n in f["foes"]]),
        ),
    ),  # fmt: skip
    "bad_argument": lambda f: ("bad_argument", dict(f, argument=str(f["argument"]))),
    "no_foe": lambda f: (
        ("no_foe", dict(f, target=quoted(str(f["target"]))))
        if str(f["target"]).strip()
        else ("no_foe:none", f)
    ),  # fmt: skip
    "which_foe": lambda f: (
        "which_foe",
        dict(f, foes=cap(listing([mid(str(n)) for n in f["foes"]]))),
    ),
    "not_a_foe": lambda f: (
        "not_a_foe",
        dict(f, name=cap(mid(str(f["name"]))), name_mid=mid(str(f["name"]))),
    ),  # fmt: skip
    "foe_defeated": lambda f: ("foe_defeated", dict(f, name=cap(mid(str(f["name"]))))),
    "not_a_weapon": lambda f: (
        "not_a_weapon",
        dict(
            f,
            item=the_item(str(f["item"])),
            weapons=listing([w if w.islower() else "the " + the_item(w) for w in f["weapons"]]),
        ),
    ),
    "wrong_key": lambda f: (
        "wrong_key",
        dict(f, key_name=the_item(str(f["key_name"])), needs=the_item(str(f["needs"]))),
    ),  # fmt: skip
    "nobody_here": lambda f: (
        ("nobody_here:named", dict(f, person=quoted(str(f["person"]))))
        if str(f["person"]).strip()
        else ("nobody_here", f)
    ),  # fmt: skip
    "no_such_person": lambda f: (
        "no_such_person",
        dict(f, person=quoted(str(f["person"])), here=listing([mid(str(n)) for n in f["here"]])),
    ),
    "which_person": lambda f: (
        "which_person",
        dict(f, here=cap(listing([mid(str(n)) for n in f["here"]]))),
    ),
    "not_known": lambda f: ("not_known", dict(f, what=quoted(str(f["what"])))),
}


def _seen(place: str, book: Notebook | None) -> str:
    """Where someone was seen, with the place's own preposition when the narrator knows it."""
    known = (book.places.get(place) if book is not None else None) or {"name": place}
    return where_in(known)


def _refusal_facts(
    code: str, facts: dict[str, Any], book: Notebook | None
) -> tuple[str, dict[str, Any]] | None:
    """The template key and values of the codes worded with the narrator's notebook."""
    here = book.here if book is not None else None
    if code == "exit_locked":
        way = way_name(here, str(facts["direction"]))
        return "exit_locked", dict(facts, destination=mid(str(facts["destination"])),
                                   key_name=the_item(str(facts["key_name"])),
                                   way=cap(way), way_mid=way)  # fmt: skip
    if code == "not_locked":
        if not facts.get("direction"):
            return "not_locked:none", facts
        return "not_locked", dict(facts, way=cap(way_name(here, str(facts["direction"]))))
    if code == "not_carried" and book is not None:
        lying = [str(i.get("name")) for i in book.items_here()]
        if str(facts["item"]) in lying:
            return "not_carried:here", dict(facts, item=the_item(str(facts["item"])))
    if code == "not_here":
        person = mid(str(facts["person"]))
        values = dict(facts, person=cap(person), person_mid=person)
        if facts.get("seen_at"):
            return "not_here:seen", dict(values, seen=_seen(str(facts["seen_at"]), book))
        return "not_here", values
    return None


def refusal_text(rng: random.Random, refusal: Refusal, book: Notebook | None = None) -> str:
    """In-world wording for a refused tool call, from its code and facts.

    An unknown code, missing or malformed facts, or the old text-only shape fall back to a
    generic sentence quoting the message.
    """
    message = refusal.message.strip().rstrip(".") or "it cannot be done"
    try:
        special = _refusal_facts(refusal.code, dict(refusal.facts), book)
        prepare = PREPARE.get(refusal.code, lambda f: (refusal.code, f))
        key, values = special or prepare(dict(refusal.facts))
        if key and key in TEMPLATES:
            return cap(rng.choice(TEMPLATES[key]).format_map(dict(values, message=message)))
    except (KeyError, TypeError, AttributeError, ValueError, IndexError):
        pass  # facts not as documented: say it generically rather than fail the turn
    return cap(rng.choice(TEMPLATES[""]).format(message=message))
