"""The narrator's English: one reply from what the tools did, ending on what the player
faces. Places and routes are worded in ``scenes``, fights in ``fights``, people in
``voices``, refusals in ``refusals``; the grammar helpers live in ``text``.

A reply never ends on a stock line, never quotes dice (the dice log has them), and a line
the narrator cannot act on gets an answer in the story that says what the player can do.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from . import fights, scenes, voices
from .conversation import Step, blocks_of
from .intent import Intent
from .notebook import Notebook
from .refusals import refusal_text
from .text import (
    Voice,
    an_item,
    cap,
    listing,
    mid,
    names_of,
    quoted,
    sentence,
    the_item,
    where_in,
)

ASIDES = [
    "The narrator only knows this tale, and that lies outside it.",
    "That belongs to another world than this one.",
    "No answer comes from beyond the story.",
]
UNKNOWN = [
    "Nothing comes of that here.",
    "That changes nothing here.",
    "The moment passes without consequence.",
]
LEADS = {
    "look_around": ["You look around...", "You take in your surroundings..."],
    "move": ["You get your bearings...", "You look for the way..."],
    "take_item": ["You reach for the {t}...", "You go for the {t}..."],
    "drop_item": ["You feel for the {t}...", "You set about putting down the {t}..."],
    "use_item": ["You ready the {t}...", "You reach for your {t}..."],
    "unlock": ["You try the lock...", "You set to the lock..."],
    "attack": ["You close in...", "You ready yourself..."],
    "flee": ["You look for a way out...", "You back away..."],
    "get_character": ["You take stock of yourself...", "You check your gear..."],
    "search_lore": ["You turn it over in your mind...", "You think about what you know..."],
    "ability_check": ["You steady yourself...", "You make your move..."],
    "recall": ["You think back...", "You cast your mind back..."],
    "short_rest": ["You find a quiet corner to rest...", "You sit down to catch your breath..."],
    "ask": ["You speak up...", "You turn to ask..."],
    "find_way": ["You think about the way...", "You picture the way..."],
    "death_save": ["Darkness...", "Far away, your heart stumbles..."],
}  # fmt: skip


def lead(voice: Voice, name: str, args: dict[str, Any], intent: Intent | None = None) -> str:
    """The short lead-in said before this turn's first tool call."""
    item = str(args.get("item") or "")
    return voice.pick(LEADS.get(name, ["You act..."]), t=the_item(item) if item else "it")


def check_sentence(voice: Voice, r: dict[str, Any], attempt: str) -> str:
    """An ability check in words (the numbers are in the dice log)."""
    if r.get("success"):
        return voice.pick(["You {a}, and it works.", "You {a}, and it goes your way.",
                           "You {a}: it goes your way."], a=attempt)  # fmt: skip
    return voice.pick(["You try to {a}, but it does not go your way.",
                       "You {a} as best you can; it is not enough."], a=attempt)  # fmt: skip


def _inventory(voice: Voice, r: dict[str, Any]) -> list[str]:
    """The sheet: pack, health (numbers are asked for here), conditions, goal."""
    pack = listing([an_item(n) for n in names_of(r.get("inventory"))] or ["nothing at all"])
    out = [
        voice.pick(["You carry {i}.", "In your pack: {i}."], i=pack),
        voice.pick(["You have {hp} of {m} hit points.", "Your hit points stand at {hp} of {m}."],
                   hp=r.get("hp", 0), m=r.get("max_hp", 0)),
    ]  # fmt: skip
    if r.get("conditions"):
        out.append(f"You are {listing([str(c) for c in r['conditions']])}.")
    if r.get("goal"):
        out.append(sentence(f"Your goal: {r['goal']}"))
    return out


def _lore(voice: Voice, step: Step) -> list[str]:
    """What the lore search found."""
    query = str(step.result.get("query") or step.input.get("query") or "that")
    results = [x for x in step.result.get("results") or [] if isinstance(x, dict)]
    if not results:
        return [voice.pick(["You know nothing more of {q}.", "Nothing else about {q} comes to "
                            "mind."], q=quoted(query))]  # fmt: skip
    top = results[0]
    title = str(top.get("title") or "it")
    title = "the " + the_item(title) if top.get("kind") == "item" else mid(title)
    return [voice.pick(["Of {t}, this much is told: {x}", "You recall what is said of {t}. {x}"],
                       t=title, x=sentence(str(top.get("text", ""))))]  # fmt: skip


def _recall(voice: Voice, step: Step) -> list[str]:
    """What the story memory holds: the best one or two, or nothing."""
    query = str(step.result.get("query") or step.input.get("query") or "that")
    results = [x for x in step.result.get("results") or [] if isinstance(x, dict)]
    if not results:
        return [
            voice.pick(
                [
                    "You think back, but nothing about {q} comes to mind.",
                    "You search your memory for {q}, and find nothing.",
                ],
                q=query,
            )
        ]
    out = []
    for found in results[:2]:
        turn, text = found.get("turn", "?"), str(found.get("excerpt", "")).strip()
        if found.get("from") == "player":
            out.append(f"You remember, from turn {turn}, your own words: “{text}”")
        elif found.get("from") == "chapter":
            out.append(f"You remember chapter {found.get('chapter', '?')}: {sentence(text)}")
        else:
            out.append(f"You remember, from turn {turn}: {sentence(text)}")
    return out


def _item_step(voice: Voice, step: Step, book: Notebook) -> list[str]:
    """Taking, dropping, using an item (a key used at its lock unlocks it)."""
    r, name = step.result, the_item(str(step.result.get("name") or "item"))
    if step.name == "take_item":
        took = voice.pick(["You take the {i}.", "You pick up the {i} and stow it away.",
                           "The {i} is yours now."], i=name)  # fmt: skip
        return [took, sentence(str(r["description"]))] if r.get("description") else [took]
    if step.name == "drop_item":
        return [voice.pick(["You set the {i} down.", "You leave the {i} here."], i=name)]
    if r.get("unlocked"):
        return _unlocked(voice, r, book)
    out = [voice.pick(["You use the {i}.", "You put the {i} to use."], i=name)]
    if r.get("description") and not r.get("consumed"):
        out = [voice.pick(["You look over the {i}.", "You turn the {i} over."], i=name),
               sentence(str(r["description"]))]  # fmt: skip
    if r.get("healed") == 0:
        out.append("It does you no good: you are unhurt.")
    elif r.get("healed"):
        out.append(voice.pick(["Warmth floods through you; your wounds close.",
                               "Strength returns to your limbs."]))  # fmt: skip
    elif r.get("consumed"):
        out.append("It is used up.")
    return out


def _unlocked(voice: Voice, r: dict[str, Any], book: Notebook) -> list[str]:
    """A lock opened: which way, with which key; it stays open."""
    way = "the " + str(r.get("way") or "lock").removeprefix("the ")
    return [voice.pick(["You turn the {k} in {w}; the lock gives, and the way {d} to {p} "
                        "stands open.", "The {k} fits {w}. With a clack the lock opens: the "
                        "way {d} to {p} is open now."], k=the_item(str(r.get("key_name"))),
                       w=way, d=r.get("unlocked"), p=mid(str(r.get("destination"))))]  # fmt: skip


def _rest(voice: Voice, r: dict[str, Any]) -> list[str]:
    """A short rest that healed."""
    left = int(r.get("hit_dice_left") or 0)
    dice = "no hit dice" if left == 0 else "one hit die" if left == 1 else f"{left} hit dice"
    return [voice.pick(["You rest a while and tend your wounds.",
                        "You catch your breath and bind your cuts."]),
            f"You feel {fights.health(r.get('hp'), r.get('max_hp'))}, with {dice} left to "
            "spend."]  # fmt: skip


def step_sentences(
    voice: Voice, step: Step, intent: Intent, before: Notebook, after: Notebook
) -> list[str]:
    """Sentences for one tool step."""
    if step.is_error:
        lying = {str(i.get("name")) for i in before.items_here()}
        if step.name == "drop_item" and step.refusal.facts.get("item") in lying:
            return [f"The {the_item(str(step.refusal.facts['item']))} already lies here."]
        return [refusal_text(voice.rng, step.refusal, before)]
    r, name = step.result, step.name
    if name in ("look_around", "move"):
        out = _unlocked(voice, r["unlocked"], before) if r.get("unlocked") else []
        return out + scenes.describe(voice, r, name == "move", before.here)
    if name in ("take_item", "drop_item", "use_item"):
        return _item_step(voice, step, before) + fights.after_turns(voice, r, after)
    if name == "unlock":
        return _unlocked(voice, r, before) + fights.after_turns(voice, r, after)
    if name == "attack":
        return fights.attack(voice, r, after)
    if name == "flee":
        out = fights.flee(voice, r)
        return out + (scenes.describe(voice, r, True, before.here) if r.get("fled") else [])
    if name == "death_save":
        return fights.death_save(voice, r, after)
    if name == "ask":
        return voices.answer(voice, r)
    if name == "find_way":
        return scenes.route(voice, r, after)
    if name == "get_character":
        return _inventory(voice, r)
    if name == "search_lore":
        return _lore(voice, step)
    if name == "recall":
        return _recall(voice, step)
    if name == "ability_check":
        return [check_sentence(voice, r, intent.attempt or "take a careful look")]
    if name == "change_hp":
        return [f"You are {fights.health(r.get('hp'), r.get('max_hp'))}."]
    if name == "set_condition":
        state = "now" if step.input.get("active") else "no longer"
        return [f"You are {state} {step.input.get('condition', 'affected')}."]
    if name == "short_rest" and r.get("rested"):
        return _rest(voice, r)
    return []


def _answer_without_tools(voice: Voice, text: str, intent: Intent, book: Notebook) -> list[str]:
    """Replies that need no tool result: asides, help, hints, questions with no call."""
    kind = intent.kind
    if kind == "aside":
        return [voice.pick(ASIDES), scenes.options(voice, book)]
    if kind == "help":
        return ["You take stock of what you could do.", scenes.options(voice, book)]
    if kind == "recall":
        return ["You think back, but nothing in particular comes to mind."]
    if kind == "go" and intent.place and book.here and intent.place == book.here.get("name"):
        return [f"You are already {where_in(book.here)}."]
    if kind == "where" and intent.way and book.here:
        return [voices.way_here(voice, book.here, intent.way)]
    if kind in ("take", "drop", "use") and not intent.target:
        return [f"{cap(kind)} what?", scenes.options(voice, book)]
    return [voice.pick(UNKNOWN), scenes.options(voice, book)]


def narration(
    voice: Voice, text: str, intent: Intent, steps: list[Step], before: Notebook, after: Notebook
) -> str:
    """The closing narration of a turn: what the tools did, then what the player faces."""
    looked = [s for s in steps if s.name == "look_around" and not s.is_error]
    if intent.kind in ("unknown", "help", "hint") or not steps:
        out = []
        if intent.kind == "hint":
            sheet = next((s for s in steps if s.name == "get_character" and not s.is_error), None)
            goal = str(sheet.result.get("goal") or "") if sheet else ""
            out.append(sentence(f"Your goal: {goal}") if goal else "You think about your task.")
            out.append(scenes.options(voice, after))
        elif intent.kind == "unknown" and looked:
            out += [voice.pick(UNKNOWN), scenes.options(voice, after)]
        else:
            out += _answer_without_tools(voice, text, intent, after)
        return " ".join(s for s in out if s)
    sentences: list[str] = []
    found_way = any(s.name == "find_way" and not s.is_error for s in steps)
    for step in steps:
        if found_way and step.is_error and step.refusal.code == "no_exit":
            continue  # the name was a place elsewhere: the way there says it
        if step.is_error and step.refusal.code == "not_down":
            continue  # the narrator thought the character was dying; they are not
        if step.is_error and step.refusal.code == "not_known" and intent.kind == "go":
            continue  # the move's refusal already said there is no such way
        sentences.extend(s for s in step_sentences(voice, step, intent, before, after) if s)
    for step in steps:
        over = step.result.get("game_over")
        if isinstance(over, dict) and over.get("text"):
            sentences.append(sentence(str(over["text"])))
            break
    if intent.kind == "talk" and _nobody_answered(steps):
        sentences.append(scenes.options(voice, after))
    return " ".join(sentences)


def _nobody_answered(steps: list[Step]) -> bool:
    """Whether talking found nobody (the player hears who they could talk to instead)."""
    return any(s.is_error and s.refusal.code in ("no_such_person",) for s in steps)


def brief(system: Any, text: str) -> str:
    """A short answer for requests that are not a game turn (titles, summaries, probes)."""
    if isinstance(system, str):
        prompt = system.lower()
    else:
        prompt = " ".join(str(b.get("text", "")) for b in blocks_of(system)).lower()
    if "title" in prompt and text:
        title = " ".join(text.split()[:6]).capitalize() or "An adventure"
        return json.dumps({"title": title}) if "json" in prompt else title
    if not text:
        return "The narrator nods and waits."
    options = [
        "The narrator listens. The tale goes on.",
        "Noted; the story continues.",
        "The narrator nods. The adventure awaits.",
    ]
    return options[int(hashlib.sha256(text.encode()).hexdigest(), 16) % 3]
