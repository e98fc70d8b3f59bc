"""What a player reads when the rules refuse something: one short sentence per refusal code.

The message of a :class:`~.refusals.RuleError` is written for the model ("there is no exit
'in' from The Canal Steps; exits: …"); the page never shows it. It shows these words, chosen
by the refusal's code and filled from its facts: ``{direction}`` is the refusal's
``direction`` fact. A test holds this table to :data:`~.refusals.CODES` (every code worded,
only its own facts used). The page reads it from a data block (templates/index.html).
"""

from __future__ import annotations

from string import Formatter

from .refusals import CODES

# Any refusal without words of its own (a code from a newer server, an older stored turn).
FALLBACK = "refused"

PLAYER_WORDS: dict[str, str] = {
    FALLBACK: "The rules did not allow that.",
    "game_over": "The adventure is over.",
    "dice_notation": "Those dice cannot be rolled.",
    "dice_count": "Too many dice at once: {max} at most.",
    "dice_sides": "No die has {sides} sides.",
    "dice_modifier": "That bonus is too large.",
    "bad_advantage": "No such kind of luck.",
    "unknown_skill": "No skill called {skill}.",
    "unknown_character": "No one in the party is called {character}.",
    "dc_range": "That difficulty is out of range.",
    "hp_amount": "Too much harm or healing at once.",
    "unknown_condition": "No condition called {condition}.",
    "no_exit": "No way {direction} from {location}.",
    "exit_locked": "The way {direction} is locked: it needs the {key_name}.",
    "item_not_here": "No {item} here.",
    "already_carried": "You already carry the {name}.",
    "not_carried": "You are not carrying {item}.",
    "in_combat": "Not while enemies are near.",
    "full_hp": "You are already unhurt.",
    "no_hit_dice": "No hit dice left to spend.",
    "character_down": "You are down: only a death save now.",
    "not_down": "You are not down.",
    "in_fight": "Not in the middle of a fight: flee, or fight on.",
    "not_in_fight": "There is no fight to flee.",
    "guarded": "Guarded: {foe} stands over the {thing}.",
    "no_foe": "No foe here to fight.",
    "which_foe": "Which foe? Name one.",
    "not_a_foe": "No foe: {name} means you no harm.",
    "foe_defeated": "Already beaten: {name}.",
    "not_a_weapon": "The {item} is no weapon.",
    "not_locked": "That way is not locked.",
    "wrong_key": "The {key_name} does not fit: it needs the {needs}.",
    "not_here": "Not here: {person}.",
    "nobody_here": "There is no one here to talk to.",
    "no_such_person": "No one by that name is here.",
    "which_person": "Whom do you mean? Name one.",
    "not_known": "Nothing by that name is known.",
    "invalid_name": "That name cannot be used.",
    "unknown_class": "No such class.",
    "unknown_method": "No such way to choose scores.",
    "unknown_ability": "No such ability.",
    "missing_ability": "An ability score is missing.",
    "ability_score": "That score is out of range.",
    "standard_array": "The standard array gives each score once.",
    "point_buy_budget": "Those scores cost more than the points there are.",
    "invalid_backstory": "That backstory cannot be used.",
    "bad_argument": "The game master asked for something the rules do not understand.",
    "unknown_tool": "The game master tried something the rules do not know.",
    "tool_failed": "The rules could not do that just now.",
}


def placeholders(words: str) -> set[str]:
    """The facts a sentence names (``{direction}`` → ``direction``)."""
    return {field for _, field, _, _ in Formatter().parse(words) if field}


def player_words() -> dict[str, str]:
    """Every refusal code's sentence, plus the fallback: the page's data block."""
    return {code: PLAYER_WORDS.get(code, PLAYER_WORDS[FALLBACK]) for code in (FALLBACK, *CODES)}
