"""In-world wording of rule refusals, chosen by the refusal's code and filled from its facts.

A refusal arrives as ``{"error": {"code", "message", ...facts}}`` (see the rules package).
Nothing here reads the English message except to quote it when the code is unknown.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from .conversation import Refusal
from .intent import COMPASS, FILLER, words_of
from .text import an_item, cap, listing, mid, quoted, the_item, ways

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
        "The way {direction} to {destination} is barred; you will need the {key_name}.",
        "You try the way {direction}, but it is locked fast. Only the {key_name} will open it.",
        "Cold metal blocks the way {direction} to {destination}. You need the {key_name}.",
    ],
    "item_not_here": [
        "You search, but find no {item} here. You see {here}.",
        "No {item} is to be found here; only {here}.",
        "You look in vain for the {item}. What lies here: {here}.",
    ],
    "item_not_here:empty": [
        "You search, but find no {item} here, nor anything else worth taking.",
        "No {item} is to be found here; the place is bare.",
        "You look in vain for the {item}. Nothing lies here.",
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
        "You are already hale, at {hp} of {max_hp} HP; resting would gain you nothing.",
        "Your wounds are all healed ({hp}/{max_hp} HP); there is nothing to rest off.",
    ],
    "no_hit_dice": [
        "You rest a while, but you have no strength left to draw on; no hit dice remain.",
        "You catch your breath, but your reserves are spent: no hit dice left.",
    ],
    "character_down": [
        "You lie where you fell, too far gone to do anything but fight for breath.",
        "You are down and dying; the world goes on without you for now.",
    ],
    "guarded": [
        "{foe} stands guard over {thing}; you will have to get past {foe_obj} first.",
        "Not while {foe_mid} stands over {thing}: defeat it first.",
    ],
    "in_fight": [
        "{foe} will not let you simply walk away. Flee, and it gets a free blow at you; or "
        "stand and fight.",
        "You are in a fight with {foe_mid}. To break away is to flee, and it will strike as "
        "you go; or fight on.",
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
    words = set(words_of(asked)) - FILLER
    return bool(words) and words <= set(words_of(location))


def _listed(code: str, key: str) -> Callable[[dict[str, Any]], tuple[str, dict[str, Any]]]:
    """Prepare a code whose fact ``key`` is a list of item names (empty: ':empty')."""

    def prepare(facts: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        names = [an_item(str(n)) for n in facts[key] or []]
        return (code, dict(facts, **{key: listing(names)})) if names else (code + ":empty", facts)

    return prepare


PREPARE: dict[str, Callable[[dict[str, Any]], tuple[str, dict[str, Any]]]] = {
    "game_over": lambda f: ("game_over:" + ("won" if f.get("outcome") == "won" else "dead"), f),
    "no_exit": _no_exit,
    "exit_locked": lambda f: (
        "exit_locked",
        dict(f, destination=mid(str(f["destination"])), key_name=the_item(str(f["key_name"]))),
    ),
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
}


def refusal_text(rng: random.Random, refusal: Refusal) -> str:
    """In-world wording for a refused tool call, from its code and facts.

    An unknown code, missing or malformed facts, or the old text-only shape fall back to a
    generic sentence quoting the message.
    """
    message = refusal.message.strip().rstrip(".") or "it cannot be done"
    try:
        prepare = PREPARE.get(refusal.code, lambda f: (refusal.code, f))
        key, values = prepare(dict(refusal.facts))
        if key and key in TEMPLATES:
            return cap(rng.choice(TEMPLATES[key]).format_map(dict(values, message=message)))
    except (KeyError, TypeError, AttributeError, ValueError, IndexError):
        pass  # facts not as documented: say it generically rather than fail the turn
    return cap(rng.choice(TEMPLATES[""]).format(message=message))
