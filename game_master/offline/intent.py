"""The intent parser: what the player is trying to do, read from their words by keywords."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

DIRECTIONS = {
    "n": "north", "s": "south", "e": "east", "w": "west", "u": "up", "d": "down",
    "ne": "northeast", "nw": "northwest", "se": "southeast", "sw": "southwest",
    "north": "north", "south": "south", "east": "east", "west": "west", "up": "up",
    "down": "down", "northeast": "northeast", "northwest": "northwest",
    "southeast": "southeast", "southwest": "southwest", "upstairs": "up",
    "downstairs": "down", "in": "in", "out": "out", "inside": "in", "outside": "out",
}  # fmt: skip
COMPASS = frozenset(DIRECTIONS.values())
FILLER = {
    "the", "a", "an", "to", "at", "my", "some", "this", "that", "it", "on", "with", "into",
    "onto", "toward", "towards", "of", "please", "then", "and", "up", "around", "for",
}  # fmt: skip
# Words that name no item: "light the way" or "use the map to find the path" must not make
# the narrator reach for an item called "way".
NOT_ITEMS = {"way", "path", "road", "here", "there", "area", "room", "place", "find", "see"}
# Words that address nobody in particular ("tell me about ...", "ask the locals ...").
NOBODY = {
    "me", "us", "you", "him", "her", "them", "someone", "anyone", "everyone", "somebody",
    "anybody", "everybody", "people", "folk", "folks", "locals", "villagers", "crowd",
}  # fmt: skip
# Openings of a question about the story so far ("recall the bread", "what did Mara tell
# me"), and words that say how it was heard rather than what it was about.
RECALL_OPENINGS = (
    "recall", "remember", "i remember", "try to remember", "do i remember", "think back",
    "what did", "what was it that",
)  # fmt: skip
RECALL_NOISE = {
    "tell", "told", "say", "said", "me", "i", "we", "you", "about", "again", "earlier",
    "before", "did", "do", "was", "what", "who", "when", "where", "us", "mention",
    "mentioned", "back", "remember", "recall",
}  # fmt: skip
# Openings of a question about where a place or a person is ("where is the old mill?").
WHERE_OPENINGS = (
    "where is", "where's", "where are", "where can i find", "where do i find",
    "how do i get to", "how do i reach", "how far is", "which way is", "which way to",
    "where does", "where did", "how to get to",
)  # fmt: skip
# Openings of a question about what something or someone is ("who is aurel vane?").
WHAT_OPENINGS = ("who is", "who's", "who are", "what is", "what's", "what are", "what was")
# Words and phrases of requests from outside the story (the real world, the narrator itself).
ASIDES = (
    "weather", "poem", "haiku", "joke", "instructions", "system prompt", "your prompt",
    "you are now", "pretend to be", "act as", "chatgpt", "an ai", "paris", "recipe",
    "write me", "write a", "stock", "president", "admit it",
)  # fmt: skip
# (words that trigger it, skill, dc, look afterwards on success, what the character tries)
CHECKS: list[tuple[tuple[str, ...], str, int, bool, str]] = [
    (("pick the lock", "pick lock", "lockpick", "pick the gate", "jimmy"),
     "sleight_of_hand", 15, False, "work at the lock"),
    (("sneak", "hide", "creep", "tiptoe", "stealth"), "stealth", 12, False,
     "move without a sound"),
    (("listen", "hear", "eavesdrop"), "perception", 10, True, "listen closely"),
    (("investigate", "inspect", "study", "search carefully"), "investigation", 12, True,
     "study your surroundings"),
    (("persuade", "convince", "charm", "bargain", "haggle", "plead"), "persuasion", 13, False,
     "make your case"),
    (("intimidate", "threaten"), "intimidation", 13, False, "lean on them"),
    (("lie", "bluff", "deceive"), "deception", 13, False, "spin a tale"),
    (("climb", "jump", "leap", "swim", "push", "force", "break", "kick", "lift"),
     "athletics", 12, False, "put your back into it"),
    (("pray", "bless"), "religion", 10, True, "pray"),
    (("cast", "spell", "conjure", "summon", "enchant"), "arcana", 12, False, "work your magic"),
    (("track", "forage"), "survival", 12, True, "read the ground"),
]  # fmt: skip
VERBS: list[tuple[str, tuple[str, ...]]] = [
    ("help", ("help", "what can i do", "commands", "hint")),
    ("rest", ("rest", "short rest", "take a rest", "take a short rest", "take a breather",
              "breather", "catch my breath", "catch your breath", "catch breath",
              "bandage", "bind my wounds", "tend my wounds", "dress my wounds",
              "patch myself up", "spend a hit die", "use a hit die")),
    ("inventory", ("inventory", "inv", "i", "items", "bag", "pack", "what do i have",
                   "what am i carrying", "backpack", "character", "stats", "sheet", "hp",
                   "hit points", "health")),
    ("take", ("pick up", "take", "get", "grab", "collect", "pocket", "snatch")),
    ("drop", ("drop", "discard", "put down", "throw away", "leave behind")),
    ("use", ("use", "drink", "eat", "light", "read", "quaff", "apply", "wear", "ring",
             "consume")),
    ("attack", ("attack", "fight", "hit", "strike", "stab", "kill", "slash", "punch",
                "shoot", "smite", "swing at")),
    ("talk", ("talk", "speak", "ask", "greet", "chat", "say", "tell", "hello", "hail")),
    ("look", ("look", "examine", "search", "where am i", "l", "x", "observe", "survey",
              "look around")),
    ("go", ("go", "walk", "move", "head", "enter", "run", "travel", "climb", "descend",
            "take me to", "bring me to", "lead me to", "show me the way to",
            "ascend", "return", "leave", "follow", "exit", "proceed", "step")),
]  # fmt: skip


WHOLE_COMMANDS = {"i", "l", "x", "inv", "hp"}  # only when they are the whole command


@dataclass
class Intent:
    """What the player is trying to do."""

    kind: str
    target: str = ""
    skill: str = ""
    dc: int = 0
    look_after: bool = False
    attempt: str = ""
    who: str = ""  # talk: the one addressed ('' for nobody in particular)
    topic: str = ""  # talk: what about
    place: str = ""  # go: the player's words for the place, when they named one


@dataclass(frozen=True)
class Presence:
    """Whether the one the player talks to or attacks is here, as far as the results tell.

    ``status`` is one of: ``unknown`` (no location seen yet: look first), ``pending`` (ask the
    lore who that is), ``here``, ``absent`` (a known NPC elsewhere), ``stranger`` (nobody by
    that name), ``alone`` (nobody here at all; ``name`` is who was asked for, if anyone) or
    ``which`` (several here, none named).
    """

    status: str
    name: str = ""
    present: tuple[str, ...] = ()
    where: str = ""  # absent: the place they were last seen, if any


@dataclass(frozen=True)
class Route:
    """Where a place the player wants to go to lies, when it is not through an exit here.

    ``status`` is ``here`` (they are there already), ``elsewhere`` (a place the narrator
    knows of: ``via`` lists (direction, from place) for the exits seen leading to it) or
    ``unknown`` (no place by that name is known; ``name`` is the player's words).
    ``exits`` are the ways out of where the player stands.
    """

    status: str
    name: str
    here: str
    exits: dict[str, str]
    via: tuple[tuple[str, str], ...] = ()


def is_compass(words: str) -> bool:
    """Whether ``words`` are only a direction ("north", "up")."""
    return words.strip().lower() in COMPASS


def words_of(text: str) -> list[str]:
    """Lower-case words of ``text``."""
    return re.findall(r"[a-z0-9']+", text.lower())


def _has_phrase(words: list[str], phrase: str) -> int:
    """Index just after ``phrase`` in ``words``, or -1."""
    want = phrase.split()
    for i in range(len(words) - len(want) + 1):
        if words[i : i + len(want)] == want:
            return i + len(want)
    return -1


def _object(words: list[str]) -> str:
    """The object of a command: the words left after fillers."""
    kept = [w for w in words if w not in FILLER]
    return " ".join(kept)


def _place_direction(words: list[str], exits: dict[str, str]) -> str:
    """A direction whose destination's name the words mention, or ''."""
    mentioned = {w for w in words if len(w) >= 4 and w not in FILLER}
    for direction, place in exits.items():
        place_words = {w for w in words_of(place) if len(w) >= 4 and w not in FILLER}
        if mentioned & place_words:
            return direction
    return ""


def match_place(words: str, places: list[str]) -> str:
    """The place among ``places`` that ``words`` name best (most shared words), or ''."""
    wanted = {w for w in words_of(words) if len(w) >= 4 and w not in FILLER}
    best, score = "", 0
    for name in places:
        shared = len(wanted & {w for w in words_of(name) if len(w) >= 4})
        if shared > score:
            best, score = name, shared
    return best


def _cut(words: list[str]) -> list[str]:
    """Words before a trailing 'with ...' or 'using ...' clause."""
    for stop in ("with", "using"):
        if stop in words[1:]:
            return words[: words.index(stop, 1)]
    return words


def _matches(words: list[str]) -> list[tuple[int, int, int, str, tuple[Any, ...]]]:
    """Every verb phrase found: (start, -length, order, kind, check spec)."""
    found: list[tuple[int, int, int, str, tuple[Any, ...]]] = []
    order = 0
    for phrases, skill, dc, look_after, attempt in CHECKS:
        for phrase in phrases:
            order += 1
            end = _has_phrase(words, phrase)
            if end >= 0:
                size = len(phrase.split())
                found.append((end - size, -size, order, "check", (skill, dc, look_after, attempt)))
    for kind, phrases in VERBS:
        for phrase in phrases:
            order += 1
            end = _has_phrase(words, phrase)
            if end < 0:
                continue
            size = len(phrase.split())
            if phrase in WHOLE_COMMANDS and len(words) > 1:
                continue  # "i", "l", "x" only count as whole commands
            found.append((end - size, -size, order, kind, ()))
    return sorted(found)


def _talk(rest: list[str]) -> Intent:
    """A talk intent: who is addressed and what about."""
    if "about" in rest:
        cut = rest.index("about")
        who, topic = _object(rest[:cut]), _object(rest[cut + 1 :])
    else:
        who, topic = _object(rest), ""
    target = " ".join(x for x in (who, topic) if x)
    if who and all(w in NOBODY for w in who.split()):
        who = ""
    return Intent("talk", target, who=who, topic=topic)


def _recall(words: list[str]) -> Intent | None:
    """A question about the story so far, with the words worth searching for; else None."""
    for opening in RECALL_OPENINGS:
        size = len(opening.split())
        if words[:size] == opening.split():
            kept = [w.removesuffix("'s") for w in words[size:]]
            topic = [w for w in kept if w not in FILLER and w not in RECALL_NOISE]
            return Intent("recall", " ".join(topic))
    return None


def parse_intent(text: str, exits: dict[str, str] | None = None) -> Intent:
    """Read the player's intent from their words with keyword matching."""
    exits = exits or {}
    words = words_of(text)
    if not words:
        return Intent("unknown")
    recall = _recall(words)
    if recall is not None:
        return recall
    if any(_has_phrase(words, aside) >= 0 for aside in ASIDES):
        return Intent("aside")
    for opening in WHERE_OPENINGS:
        end = _has_phrase(words, opening)
        if end == len(opening.split()):
            return Intent("where", _object(words[end:]))
    for opening in WHAT_OPENINGS:
        end = _has_phrase(words, opening)
        if end == len(opening.split()):
            about = _object(words[end:])
            if not about or set(about.split()) <= {"this", "place", "here", "around", "there"}:
                return Intent("look")
            if {"goal", "quest", "task", "mission"} & set(about.split()):
                return Intent("inventory")
            if not re.search(r"[a-z]{3}", about):
                return Intent("aside")  # sums and symbols: nothing the story holds
            return Intent("lore", about)
    direction = next((DIRECTIONS[w] for w in words if w in DIRECTIONS), "")
    if (
        len(words) <= 2
        and words[-1] in DIRECTIONS
        and words[0] in ("go", "walk", "run", "head", "move", words[-1])
    ):
        return Intent("go", DIRECTIONS[words[-1]])
    found = _matches(words)
    if not found:
        place = "" if len(words) > 4 else direction or _place_direction(words, exits)
        return Intent("go", place) if place else Intent("unknown", " ".join(words))
    start, neg_size, _, kind, spec = found[0]
    rest = _cut(words[start - neg_size :])
    if kind == "check":
        skill, dc, look_after, attempt = spec
        if skill == "arcana" and "at" in rest:
            foe = _object(rest[rest.index("at") + 1 :])  # "cast fireball at the ghost"
            if foe:
                return Intent("attack", foe)
        if skill == "athletics" and words[start] == "climb":
            where = direction or _place_direction(rest, exits)
            if where:
                return Intent("go", where)
        return Intent("check", _object(rest), skill, dc, look_after, attempt)
    if kind == "go":
        named = _object(rest[1:])  # the words after the verb ("the old mill")
        where = direction or _place_direction(rest, exits) or _object(rest)
        place = "" if direction or is_compass(named) else named
        return Intent("go", where, place=place) if where else Intent("look")
    if kind == "talk":
        return _talk(rest)
    if kind in ("take", "drop", "use"):
        target = _object([w for w in rest if w not in ("down", "away") and w not in NOT_ITEMS])
        return Intent(kind, target) if target else Intent("look")
    if kind == "rest":
        return Intent("rest")
    return Intent(kind, _object(rest))


def match_npc(words: str, npcs: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The NPC among ``npcs`` (``{"id", "name"}``) whose name or id the words mention."""
    wanted = {w for w in words_of(words) if len(w) >= 3 and w not in FILLER}
    if not wanted:
        return None
    for npc in npcs:
        names = set(words_of(str(npc.get("name", "")))) | set(
            words_of(str(npc.get("id", "")).replace("_", " "))
        )
        # "miller's ghost" should answer to "ghost" and to "miller".
        names |= {n.removesuffix("'s") for n in names}
        if wanted & names:
            return npc
    return None
