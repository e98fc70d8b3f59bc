"""The narrator's English: places, checks, tool results, leads, help and asides.

Refusals are worded in ``refusals``, who is not here and the way to places in ``places``,
and the small grammar helpers live in ``text``; every sentence the offline narrator says
comes from these four modules.
"""

from __future__ import annotations

import hashlib
import json
import random
from typing import Any

from .conversation import Step, blocks_of
from .intent import Intent, Presence, Route, match_place, words_of
from .places import presence_sentence, route_sentences
from .refusals import refusal_text
from .text import (
    an_item,
    article,
    cap,
    is_direction,
    listing,
    mid,
    names_of,
    pick,
    sentence,
    the_item,
    ways,
)

HELP_TEXT = [
    (
        "You pause to consider your options. You could look around, go north or down, "
        "take or use an item, talk to someone, rest, check your inventory, or attack a foe."
    ),
    (
        "Many paths lie open: try 'look', 'go east', 'take the lantern', 'talk to the priest', "
        "'inventory', 'rest' or 'attack'. You might also sneak, listen or climb."
    ),
    (
        "Take stock: you can examine your surroundings, move through an exit, pick things up, "
        "use what you carry, ask people what they know, rest, or fight. What do you do?"
    ),
]
ASIDES = [
    "The narrator only knows this tale, and that lies outside it. The story waits on you.",
    "That belongs to another world than this one. What do you do here?",
    "No answer comes from beyond the story; the tale goes on. What do you do?",
]
CLOSERS = [
    "What do you do?",
    "What now?",
    "The choice is yours.",
    "What will you do next?",
    "The story waits on you.",
]
LEADS = {
    "look_around": ["You look around...", "You take in your surroundings...",
                    "You pause and look about..."],
    "move": ["You set off {t}...", "You head {t}...", "You make your way {t}..."],
    "move:place": ["You set off for {p}...", "You head for {p}...", "You make for {p}..."],
    "move:unknown": ["You get your bearings...", "You think about the way...",
                     "You look about for the way..."],
    "take_item": ["You reach for the {t}...", "You stoop to take the {t}...",
                  "You go for the {t}..."],
    "drop_item": ["You reach into your pack for the {t}...", "You feel for the {t}...",
                  "You look for the {t} in your pack..."],
    "use_item": ["You try the {t}...", "You ready the {t}...", "You reach for your {t}..."],
    "get_character": ["You check your gear...", "You take stock of yourself...",
                      "You look through your pack..."],
    "search_lore": ["You speak up...", "You strike up a conversation...",
                    "You lean in and ask..."],
    "ability_check": ["You steady yourself...", "You try your luck...", "You make your move..."],
    "recall": ["You think back...", "You cast your mind back...", "You try to remember..."],
    "short_rest": ["You find a quiet corner to rest...", "You sit down to catch your breath...",
                   "You tend to your wounds..."],
}  # fmt: skip


def lead(
    rng: random.Random,
    name: str,
    args: dict[str, Any],
    places: list[str] | None = None,
    intent: Intent | None = None,
) -> str:
    """The short lead-in said before this turn's first tool call.

    ``places`` are the place names seen so far; ``intent`` says whether the player named a
    place to go to (a move through an exit is then told as setting off for that place) or
    asked a question rather than talking to someone.
    """
    kind, wanted = (intent.kind, intent.place or intent.target) if intent else ("", "")
    target = str(args.get("item") or args.get("direction") or args.get("query") or "")
    if name == "search_lore" and kind in ("where", "lore"):
        return pick(rng, ["You think about what you know...", "You turn it over in your mind..."])
    if name == "move" and kind == "go" and wanted and not is_direction(wanted):
        known = match_place(wanted, places or [])
        if not known:
            return pick(rng, LEADS["move:unknown"])
        return pick(rng, LEADS["move:place"], p=mid(known))
    if name in ("take_item", "drop_item", "use_item") and not target:
        return pick(rng, ["You reach into your pack...", "You look for it..."])
    return pick(rng, LEADS.get(name, ["You act..."]), t=target or "it")


def describe_place(rng: random.Random, r: dict[str, Any], arrived: bool) -> list[str]:
    """Sentences describing a location result."""
    name = mid(str(r.get("name") or "somewhere"))
    out = []
    if arrived:
        out.append(pick(rng, [
            "You head {d} and arrive at {n}.",
            "You make your way {d} and find yourself in {n}.",
            "Going {d}, you step into {n}.",
            "The way {d} brings you to {n}.",
        ], d=r.get("moved", "onward"), n=name))  # fmt: skip
        if r.get("unlocked_with"):
            key = "key"
            out.append(pick(rng, [
                "The {k} turns in the lock with a groan of old iron.",
                "You fit the {k} to the lock and it gives way.",
                "With the {k}, the barrier swings open.",
            ], k=key))  # fmt: skip
    else:
        out.append(pick(rng, [
            "You stand in {n}.", "You take in {n} around you.", "You are in {n}.",
            "Around you lies {n}.",
        ], n=name))  # fmt: skip
    if r.get("description") and (not arrived or r.get("first_visit", True)):
        out.append(sentence(str(r["description"])))
    extras = []
    exits = r.get("exits") if isinstance(r.get("exits"), dict) else {}
    if exits:
        extras.append(pick(rng, [
            "Exits lead {w}.", "From here you could go {w}.", "Paths lead {w}.",
        ], w=ways(exits)))  # fmt: skip
    locked = r.get("locked_exits") or []
    if locked:
        extras.append(pick(rng, [
            "The way {d} is barred.", "The way {d} is locked fast.", "Something bars the way {d}.",
        ], d=listing([str(x) for x in locked])))  # fmt: skip
    items = [an_item(n) for n in names_of(r.get("items"))]
    npcs = [mid(n) for n in names_of(r.get("npcs"))]
    if items:
        extras.append(pick(rng, [
            "You notice {i} here.", "Lying nearby: {i}.", "Your eye falls on {i}.",
        ], i=listing(items)))  # fmt: skip
    if npcs:
        extras.append(pick(rng, [
            "{p} {v} here.", "You are not alone: {p} {v} nearby.", "{p} {v} watching you.",
        ], p=listing(npcs), v="are" if len(npcs) > 1 else "is"))  # fmt: skip
    out.append(" ".join(extras))
    return out


def check_sentence(rng: random.Random, r: dict[str, Any], attempt: str) -> str:
    """A sentence reporting an ability check."""
    total, dc = r.get("total", "?"), r.get("dc", "?")
    what = str(r.get("check") or "check").replace("_", " ")
    if r.get("success"):
        return pick(rng, [
            "You {a} — your {c} check comes to {t} against DC {dc}, and you succeed.",
            "Rolling {t} on {c} against DC {dc}, you {a} and it works.",
            "Your {c} roll of {t} beats DC {dc}: you {a} with confidence.",
        ], a=attempt, c=what, t=total, dc=dc)  # fmt: skip
    return pick(rng, [
        "You {a}, but your {c} check of {t} falls short of DC {dc}.",
        "{an} {c} roll of {t} against DC {dc} — not enough, though you {a} as best you can.",
        "You try to {a}; {t} on {c} misses DC {dc}.",
    ], a=attempt, an=article(what), c=what, t=total, dc=dc)  # fmt: skip


def _item(step: Step) -> str:
    """The item a take, drop or use step is about."""
    return the_item(str(step.result.get("name") or step.input.get("item") or "item"))


def _inventory(rng: random.Random, r: dict[str, Any]) -> list[str]:
    """Sentences for a character sheet."""
    out = [
        pick(rng, [
            "You check your pack: {i}.", "You carry {i}.",
            "Rummaging through your belongings, you find {i}.",
        ], i=listing([an_item(n) for n in names_of(r.get("inventory"))] or ["nothing at all"])),
        pick(rng, ["You have {hp} of {m} HP.", "Your health stands at {hp}/{m} HP.",
                   "HP: {hp} of {m}."], hp=r.get("hp", "?"), m=r.get("max_hp", "?")),
    ]  # fmt: skip
    if r.get("conditions"):
        out.append(f"You are {listing([str(c) for c in r['conditions']])}.")
    if r.get("goal"):
        out.append(sentence(f"Your goal: {r['goal']}"))
    return out


def _lore(rng: random.Random, step: Step) -> list[str]:
    """Sentences for what the lore search found."""
    r = step.result
    query = r.get("query") or step.input.get("query", "that")
    results = [x for x in r.get("results") or [] if isinstance(x, dict)]
    if not results:
        return [pick(rng, [
            "You ask around, but nobody has anything to say about {q}.",
            "Your questions about {q} meet only blank stares.",
            "No one here knows anything of {q}.",
        ], q=query)]  # fmt: skip
    top = results[0]
    return [pick(rng, [
        "You ask what is known, and learn of {t}: {x}",
        "Talk turns to {t}. {x}",
        "Of {t}, this much is told: {x}",
    ], t=_lore_title(top), x=sentence(str(top.get("text", ""))))]  # fmt: skip


def _lore_title(entry: dict[str, Any]) -> str:
    """A lore entry's title mid-sentence: an item as "the bronze key", else as named."""
    title = str(entry.get("title") or "it")
    return "the " + the_item(title) if entry.get("kind") == "item" else mid(title)


def _recall(rng: random.Random, step: Step) -> list[str]:
    """Sentences for what the story memory holds: the best one or two, or nothing."""
    query = str(step.result.get("query") or step.input.get("query") or "that")
    results = [x for x in step.result.get("results") or [] if isinstance(x, dict)]
    if not results:
        return [pick(rng, [
            "You think back, but nothing about {q} comes to mind.",
            "Nothing about {q} comes back to you.",
            "You search your memory for {q}, and find nothing.",
        ], q=query)]  # fmt: skip
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


def _rest(rng: random.Random, r: dict[str, Any]) -> list[str]:
    """Sentences for a short rest that healed."""
    left = int(r.get("hit_dice_left") or 0)
    dice = "no hit dice" if left == 0 else "one hit die" if left == 1 else f"{left} hit dice"
    return [
        pick(rng, [
            "You rest a while and tend your wounds; your hit die comes up {r}.",
            "You catch your breath and bind your cuts, rolling {r} on your hit die.",
            "A short rest does you good: your hit die shows {r}.",
        ], r=r.get("rolled", "?")),
        pick(rng, ["You regain {h} HP and stand at {hp} of {m}.",
                   "+{h} HP: you are at {hp}/{m} now."],
             h=r.get("healed", "?"), hp=r.get("hp", "?"), m=r.get("max_hp", "?")),
        f"You have {dice} left.",
    ]  # fmt: skip


def _roll(rng: random.Random, step: Step, foe: str) -> list[str]:
    """Sentences for a dice roll: damage dealt, damage taken, or a plain result."""
    total = step.result.get("total", "?")
    reason = str(step.input.get("reason", ""))
    if "strikes back" in reason:
        return [pick(rng, [
            "{f} strikes back for {t} damage.", "{f} answers with a blow: {t} damage.",
            "Before you can recover, {f} hits you for {t}.",
        ], f=foe, t=total)]  # fmt: skip
    if "damage" in reason:
        return [pick(rng, [
            "Your blow lands on {f} for {t} damage.", "You strike true, dealing {t} damage to {f}.",
            "Steel bites: {t} damage to {f}.",
        ], f=foe, t=total)]  # fmt: skip
    return [f"The dice come up {total}."]


def _hp(rng: random.Random, r: dict[str, Any]) -> list[str]:
    """Sentences for a change of hit points."""
    if r.get("dead"):
        return [pick(rng, [
            "You fall, your HP at {hp}. Darkness takes you.",
            "Your strength fails at {hp} HP, and the world goes dark.",
            "At {hp} HP you collapse; your tale ends here.",
        ], hp=r.get("hp", 0))]  # fmt: skip
    return [pick(rng, [
        "You are down to {hp} of {m} HP.", "You now have {hp}/{m} HP.",
        "Bleeding, you stand at {hp} of {m} HP.",
    ], hp=r.get("hp", "?"), m=r.get("max_hp", "?"))]  # fmt: skip


def step_sentences(rng: random.Random, step: Step, attempt: str, foe: str) -> list[str]:
    """Sentences for one tool step."""
    if step.is_error:
        return [refusal_text(rng, step.refusal)]
    r = step.result
    name = step.name
    if name in ("look_around", "move"):
        return describe_place(rng, r, arrived=name == "move")
    if name == "take_item":
        return [
            pick(
                rng,
                [
                    "You pick up the {i} and stow it away.",
                    "You take the {i}.",
                    "The {i} is yours now; you tuck it into your pack.",
                ],
                i=_item(step),
            )
        ]
    if name == "drop_item":
        return [
            pick(
                rng,
                [
                    "You set the {i} down.",
                    "You leave the {i} behind.",
                    "The {i} drops from your hands.",
                ],
                i=_item(step),
            )
        ]
    if name == "use_item":
        out = [
            pick(
                rng,
                ["You use the {i}.", "You put the {i} to use.", "You try the {i}."],
                i=_item(step),
            )
        ]
        if r.get("healed") == 0:
            out.append(
                pick(
                    rng,
                    [
                        "You feel no different; you are already at {hp} of {m} HP.",
                        "It does you no good now: you are hale, at {hp}/{m} HP.",
                    ],
                    hp=r.get("hp"),
                    m=r.get("max_hp"),
                )
            )
        elif r.get("healed") is not None:
            out.append(
                pick(
                    rng,
                    [
                        "Warmth floods through you: +{h} HP, now {hp} of {m}.",
                        "Your wounds knit ({h} HP back); you are at {hp}/{m}.",
                        "Strength returns — {h} HP restored, {hp}/{m} now.",
                    ],
                    h=r.get("healed"),
                    hp=r.get("hp"),
                    m=r.get("max_hp"),
                )
            )
        elif r.get("consumed"):
            out.append("It is used up.")
        return out
    if name == "get_character":
        return _inventory(rng, r)
    if name == "search_lore":
        return _lore(rng, step)
    if name == "recall":
        return _recall(rng, step)
    if name == "ability_check":
        return [check_sentence(rng, r, attempt)]
    if name == "roll_dice":
        return _roll(rng, step, foe)
    if name == "change_hp":
        return _hp(rng, r)
    if name == "set_condition":
        state = "now" if step.input.get("active") else "no longer"
        return [f"You are {state} {step.input.get('condition', 'affected')}."]
    if name == "short_rest" and r.get("rested"):
        return _rest(rng, r)
    if name == "attack":
        return _fight(rng, r)
    if name == "death_save":
        return _death_save(rng, r)
    return []


def _fight(rng: random.Random, r: dict[str, Any]) -> list[str]:
    """Sentences for an attack: the blow, each foe's turn, a fall or a victory."""
    foe = mid(str(r.get("name") or "your foe"))
    out = []
    for turn in r.get("foe_turns") or []:
        if turn is (r.get("foe_turns") or [None])[-1] and "success" in r:
            break
        out.append(_foe_turn(rng, turn))
    if "success" in r:
        if r.get("success"):
            out.append(
                pick(
                    rng,
                    ["Your blow lands on {f}.", "You strike {f} true.", "Your {w} bites into {f}."],
                    f=foe,
                    w=str(r.get("weapon")),
                )
            )
        else:
            out.append(pick(rng, ["You swing at {f} and miss.", "{F} turns your blow aside."],
                            f=foe, F=cap(foe)))  # fmt: skip
        if r.get("defeated"):
            out.append(pick(rng, ["{F} falls and does not rise.", "{F} is beaten."],
                            F=cap(foe)))  # fmt: skip
        if r.get("freed"):
            out.append(f"Nothing now stands between you and {listing(r['freed'])}.")
        turns = r.get("foe_turns") or []
        if turns and not r.get("defeated"):
            out.append(_foe_turn(rng, turns[-1]))
    if r.get("dead"):
        out.append("Your strength fails, and the world goes dark for good.")
    elif r.get("down"):
        out.append("You fall, and the world goes dark. You are dying.")
    return out


def _foe_turn(rng: random.Random, turn: dict[str, Any]) -> str:
    """A foe's turn in words."""
    foe = cap(mid(str(turn.get("name") or "your foe")))
    if turn.get("hit"):
        return pick(rng, ["{f} strikes you.", "{f} catches you with a blow.",
                          "{f} hurts you."], f=foe)  # fmt: skip
    return pick(rng, ["{f} lunges and misses.", "{f} strikes at you, but you are not there."],
                f=foe)  # fmt: skip


def _death_save(rng: random.Random, r: dict[str, Any]) -> list[str]:
    """A death save in words."""
    if r.get("dead"):
        return ["Your last breath goes out of you."]
    if r.get("revived") or r.get("stable"):
        return ["You come to, weak but alive."]
    if r.get("success"):
        return ["You cling to life."]
    return ["Life slips further from you."]


def narration(
    rng: random.Random,
    text: str,
    intent: Intent,
    steps: list[Step],
    presence: Presence | None,
    route: Route | None = None,
) -> str:
    """The closing narration of a turn: what the tools did, then what the player faces."""
    absent = presence is not None and presence.status not in ("here", "pending", "unknown")
    if intent.kind == "help":
        return rng.choice(HELP_TEXT)
    if route is not None:
        return " ".join([*route_sentences(rng, route), rng.choice(CLOSERS)])
    if intent.kind == "where" and presence is not None:
        return " ".join([presence_sentence(rng, "where", presence), rng.choice(CLOSERS)])
    if intent.kind == "aside":
        return pick(rng, ASIDES)
    if not steps and intent.kind == "recall":
        return pick(rng, [
            "You think back, but nothing in particular comes to mind. What do you do?",
            "Your memory offers nothing in particular. What now?",
        ])  # fmt: skip
    if not steps and not absent:
        return pick(rng, [
            "You hesitate, unsure how to {t}. Try looking around or heading somewhere.",
            "Nothing comes of it. Perhaps look around, or try another way.",
            "The moment passes. You could look around, move on, or talk to someone.",
        ], t=" ".join(words_of(text)[:6]) or "act")  # fmt: skip
    foe = mid(presence.name) if presence and presence.status == "here" else "your foe"
    attempt = intent.attempt or (
        "attack " + foe if intent.kind == "attack" else "take a careful look"
    )
    sentences: list[str] = []
    arrived = intent.kind == "go" and any(s.name == "move" and not s.is_error for s in steps)
    for step in steps:
        if absent and step.name == "search_lore" and not step.is_error:
            continue  # they are not here to tell it
        if arrived and (step.is_error or step.name == "search_lore"):
            continue  # finding the way there (a name tried, the lore asked) needs no telling
        sentences.extend(s for s in step_sentences(rng, step, attempt, foe) if s)
    if absent and presence is not None:
        sentences.append(presence_sentence(rng, intent.kind, presence))
    for step in steps:
        over = step.result.get("game_over")
        if isinstance(over, dict) and over.get("text"):
            sentences.append(sentence(str(over["text"])))
            break
    else:
        if not any(s.result.get("dead") for s in steps):
            sentences.append(rng.choice(CLOSERS))
    return " ".join(sentences)


def brief(system: Any, text: str) -> str:
    """A short answer for requests that are not a game turn (titles, summaries, probes)."""
    if isinstance(system, str):
        prompt = system.lower()
    else:
        prompt = " ".join(str(b.get("text", "")) for b in blocks_of(system)).lower()
    if "title" in prompt and text:
        title = " ".join(words_of(text)[:6]).capitalize() or "An adventure"
        return json.dumps({"title": title}) if "json" in prompt else title
    if not text:
        return "The narrator nods and waits."
    options = [
        "The narrator listens. The tale goes on.",
        "Noted; the story continues.",
        "The narrator nods. The adventure awaits.",
    ]
    return options[int(hashlib.sha256(text.encode()).hexdigest(), 16) % 3]
