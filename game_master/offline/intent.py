"""What the player is trying to do: a verb found by its phrases, and the known things the
sentence names (``finder``), never a span of words taken as a name.

A line with no action the narrator knows is ``unknown``: the reply then says, in the story,
what the player can do here (never a roll and the room again).
"""

from __future__ import annotations

import re
from typing import Any

from ..rules.naming import COMPASS, STOP, words
from .actions import BUILDERS, Intent
from .finder import Mention, find, first, object_words
from .notebook import Notebook

DIRECTIONS = {"n": "north", "s": "south", "e": "east", "w": "west", "u": "up", "d": "down",
              "upstairs": "up", "downstairs": "down", "inside": "in", "outside": "out",
              **{d: d for d in COMPASS}}  # fmt: skip
# Openings of a question about the story so far ("recall the bread", "what did Mara tell
# me"), and words that say how it was heard rather than what it was about.
RECALL_OPENINGS = (
    "recall", "remember", "i remember", "try to remember", "do i remember", "think back",
    "what did", "what was it that",
)  # fmt: skip
RECALL_NOISE = {
    "tell", "told", "say", "said", "me", "i", "we", "you", "about", "again", "earlier",
    "before", "did", "do", "was", "what", "who", "when", "where", "us", "mention",
    "mentioned", "back", "remember", "recall", "to", "the", "a", "an", "of", "that", "it",
}  # fmt: skip
WHERE_OPENINGS = (
    "where is", "where's", "where are", "where can i find", "where do i find", "where did",
    "how do i get to", "how do i reach", "how far is", "which way is", "which way to",
    "where does", "how to get to", "show me the way to", "the way to", "how do i get back to",
    "how do i go back to", "the way back to", "how do i find", "where do i go to find",
)  # fmt: skip
WHAT_OPENINGS = ("who is", "who's", "who are", "what is", "what's", "what are", "what was")
ABOUT_OPENINGS = (
    "what do you know about", "what do you know of", "what can you tell me about",
    "tell me about", "tell me of", "what about", "do you know anything about",
    "have you heard of", "know anything about", "any news of", "any news about",
)  # fmt: skip
HINTS = (
    "what should i do", "what do i do", "what now", "what next", "any ideas", "hint",
    "where should i go", "what am i supposed to do", "i'm stuck", "im stuck", "i am stuck",
    "what do i need", "how do i win", "what's my goal", "what is my goal", "whats my goal",
)  # fmt: skip
ASIDES = (
    "weather", "poem", "haiku", "joke", "instructions", "system prompt", "your prompt",
    "you are now", "pretend to be", "act as", "chatgpt", "an ai", "paris", "recipe",
    "write me", "write a", "stock", "president", "admit it",
)  # fmt: skip
# (phrases, skill, dc, look afterwards on success, what the character tries)
CHECKS: list[tuple[tuple[str, ...], str, int, bool, str]] = [
    (("sneak", "hide", "creep", "tiptoe", "stealth"), "stealth", 12, False,
     "move without a sound"),
    (("listen", "hear", "eavesdrop"), "perception", 10, True, "listen closely"),
    (("investigate", "inspect", "study", "search carefully"), "investigation", 12, True,
     "study your surroundings"),
    (("persuade", "convince", "charm", "bargain", "haggle", "plead", "bribe"), "persuasion",
     13, False, "make your case"),
    (("intimidate", "threaten"), "intimidation", 13, False, "lean on them"),
    (("lie to", "bluff", "deceive"), "deception", 13, False, "spin a tale"),
    (("climb", "jump", "leap", "swim", "lift"), "athletics", 12, False, "put your back into it"),
    (("pray", "bless"), "religion", 10, True, "pray"),
    (("cast", "spell", "conjure", "summon", "enchant"), "arcana", 12, False, "work your magic"),
    (("track", "forage"), "survival", 12, True, "read the ground"),
]  # fmt: skip
VERBS: list[tuple[str, tuple[str, ...]]] = [
    ("help", ("help", "commands", "what can i do")),
    ("rest", ("rest", "short rest", "take a rest", "take a short rest", "take a breather",
              "breather", "catch my breath", "catch your breath", "bandage", "bind my wounds",
              "tend my wounds", "dress my wounds", "patch myself up", "spend a hit die")),
    ("inventory", ("inventory", "inv", "i", "items", "bag", "pack", "what do i have",
                   "what am i carrying", "backpack", "character", "stats", "sheet", "hp",
                   "hit points", "health", "how am i", "how hurt am i", "my hp",
                   "check my health", "my wounds", "how much hp", "my bag", "my pack",
                   "my backpack", "my inventory", "my things", "my stuff", "my items",
                   "my pockets", "look in my bag", "look in my pack", "search my bag",
                   "search my pack", "look through my bag", "what's in my bag",
                   "what is in my bag", "what have i got", "what do i carry")),
    ("flee", ("flee", "run away", "retreat", "escape", "get away", "run for it", "back away",
              "break away")),
    ("unlock", ("unlock", "open", "pick the lock", "pick lock", "lockpick", "jimmy",
                "force the", "break the", "break down", "kick the door")),
    ("take", ("pick up", "take", "get", "grab", "collect", "pocket", "snatch", "steal",
              "lift the")),
    ("drop", ("drop", "discard", "put down", "throw away", "leave behind")),
    ("use", ("use", "drink", "eat", "light", "read", "quaff", "apply", "wear", "ring",
             "consume", "sip", "swig", "put on")),
    ("attack", ("attack", "fight", "hit", "strike", "stab", "kill", "slash", "punch",
                "shoot", "smite", "swing at", "charge", "kick")),
    ("talk", ("talk", "speak", "ask", "greet", "chat", "say", "tell", "hello", "hail", "hi",
              "question")),
    ("look", ("look", "examine", "search", "where am i", "l", "x", "observe", "survey",
              "look around", "what do i see", "what can i see", "what's here",
              "what is here", "describe")),
    ("go", ("go", "walk", "move", "head", "enter", "run", "travel", "descend", "take me to",
            "bring me to", "lead me to", "ascend", "return", "leave", "follow", "exit",
            "proceed", "step", "cross", "row", "sail", "wade")),
]  # fmt: skip
WHOLE_COMMANDS = {"i", "l", "x", "inv", "hp"}  # only when they are the whole command
# Words a newcomer opens a line with before saying what they want ("hello? where am I",
# "ok, check my bag"): the line is read without them, unless nothing is left to act on
# ("hi there" stays a greeting).
OPENERS = re.compile(
    r"^\W*(?:hello|hi|hey|greetings|good (?:morning|evening|day)|excuse me|um+|uh+|so|ok"
    r"|okay|well|alright|right|now|then)\b\W*",
    re.IGNORECASE,
)


def _phrase_at(said: list[str], phrase: str) -> int:
    """The index where ``phrase`` starts in ``said``, or -1."""
    want = phrase.split()
    for i in range(len(said) - len(want) + 1):
        if said[i : i + len(want)] == want:
            return i
    return -1


def _opening(said: list[str], openings: tuple[str, ...]) -> int:
    """The index just after the longest of ``openings`` that starts ``said`` (-1: none)."""
    for opening in sorted(openings, key=len, reverse=True):
        size = len(opening.split())
        if said[:size] == opening.split():
            return size
    return -1


def _verb(said: list[str]) -> tuple[int, int, str, tuple[Any, ...]] | None:
    """The first verb phrase: (start, length, kind, check spec)."""
    found: list[tuple[int, int, int, str, tuple[Any, ...]]] = []
    order = 0
    for phrases, skill, dc, look_after, attempt in CHECKS:
        for phrase in phrases:
            order += 1
            at = _phrase_at(said, phrase)
            if at >= 0:
                found.append((at, -len(phrase.split()), order, "check",
                              (skill, dc, look_after, attempt)))  # fmt: skip
    for kind, phrases in VERBS:
        for phrase in phrases:
            order += 1
            at = _phrase_at(said, phrase)
            if at < 0 or (phrase in WHOLE_COMMANDS and len(said) > 1):
                continue
            if at and said[at - 1] in ("a", "an", "the", "some", "my"):
                continue  # "buy a drink": a noun here, not the verb
            found.append((at, -len(phrase.split()), order, kind, ()))
    if not found:
        return None
    start, neg, _, kind, spec = min(found)
    return start, -neg, kind, spec


def _recall(said: list[str]) -> Intent | None:
    """A question about the story so far, with the words worth searching for; else None."""
    end = _opening(said, RECALL_OPENINGS)
    if end < 0:
        return None
    topic = [w for w in said[end:] if w not in STOP and w not in RECALL_NOISE]
    return Intent("recall", " ".join(topic))


def _name(m: Mention | None) -> str:
    """A mention's name ('' for none)."""
    return m.name if m is not None else ""


def parse_intent(text: str, book: Notebook | None = None) -> Intent:
    """Read the player's intent from their words and what the narrator has seen."""
    book = book or Notebook()
    said = words(text)
    if not said:
        return Intent("unknown")
    intent = _parse(text, said, book)
    intent.down = book.down
    return intent


def _parse(text: str, said: list[str], book: Notebook) -> Intent:
    """The intent of a non-empty line, read past any opening word ("hello? where am I")."""
    opener = OPENERS.match(text)
    rest = text[opener.end() :] if opener else ""
    if opener and words(rest):
        intent = _parse(rest, words(rest), book)
        if intent.kind != "unknown":
            return intent
    return _parse_line(text, said, book)


def _parse_line(text: str, said: list[str], book: Notebook) -> Intent:
    """The intent of a non-empty line as it stands."""
    recall = _recall(said)
    if recall is not None:
        return recall
    if any(_phrase_at(said, aside) >= 0 for aside in ASIDES):
        return Intent("aside")
    spoken = _addressed(text, said, book)
    if spoken is not None:
        return spoken
    end = _opening(said, WHERE_OPENINGS)
    if end >= 0:
        return _where(said, end, book)
    if _opening(said, HINTS) >= 0 or any(_phrase_at(said, h) >= 0 for h in HINTS[:5]):
        return Intent("hint")
    end = _opening(said, WHAT_OPENINGS)
    if end >= 0:
        return _what(said, end, book)
    if len(said) <= 2 and said[-1] in DIRECTIONS and said[0] in (
        "go", "walk", "run", "head", "move", "climb", said[-1]
    ):  # fmt: skip
        return Intent("go", way=DIRECTIONS[said[-1]])
    verb = _verb(said)
    if verb is None:
        return _no_verb(text, said, book)
    start, size, kind, spec = verb
    skip = set(range(start, start + size))
    mentions = find(text, book, skip)
    build = BUILDERS.get(kind)
    if build is not None:
        return build(said, start + size, mentions, book, spec)
    return Intent(kind)


def _addressed(text: str, said: list[str], book: Notebook) -> Intent | None:
    """A line spoken to someone: "Nell, what do you know about the strongroom?", or a
    question about a thing put to whoever is here."""
    head, comma, rest = text.partition(",")
    if comma and len(words(head)) <= 4 and words(rest):
        person = first(find(head, book), "person")
        if person is not None:
            return Intent("talk", person.name, who=person.name, topic=_topic(rest, book))
        question = "?" in rest or _opening(words(rest), ABOUT_OPENINGS + WHAT_OPENINGS) >= 0
        name = object_words(words(head), 0)
        if question and name and _verb(words(head)) is None and not find(head, book):
            return Intent("talk", name, who=name, topic=_topic(rest, book))  # "Nell, ...?"
    end = _opening(said, ABOUT_OPENINGS)
    if end >= 0:
        topic = " ".join(said[end:])
        if book.present() or book.here is None:  # someone here may know (the rules say)
            return Intent("talk", topic, topic=_topic(topic, book))
        return Intent("lore", object_words(said, end) or topic)
    return None


def _topic(text: str, book: Notebook) -> str:
    """What a question is about: after 'about'/'of', else its telling words."""
    said = words(text)
    for marker in ("about", "of", "regarding"):
        if marker in said:
            said = said[said.index(marker) + 1 :]
            break
    else:
        end = _opening(said, ABOUT_OPENINGS + WHERE_OPENINGS + WHAT_OPENINGS)
        said = said[max(end, 0) :]
    kept = [
        w
        for w in said
        if w not in STOP
        and w not in ("what", "you", "know", "tell", "can", "do", "does", "anything")
    ]
    return " ".join(kept)  # fmt: skip


def _where(said: list[str], end: int, book: Notebook) -> Intent:
    """A question about where something is."""
    rest = " ".join(said[end:])
    mentions = find(rest, book)
    found = first(mentions, "place", "person", "item", "way")
    target = object_words(said, end) or rest
    if found is not None and found.kind == "way":
        return Intent("where", target, way=found.name, known=True)
    return Intent("where", _name(found) or target, place=_name(found), known=found is not None)


def _what(said: list[str], end: int, book: Notebook) -> Intent:
    """Who or what something is: a look, the sheet, or the lore."""
    about = object_words(said, end)
    if not about or set(about.split()) <= {"this", "place", "here", "around", "there"}:
        return Intent("look")
    if {"goal", "quest", "task", "mission", "plan"} & set(about.split()):
        return Intent("hint")
    if not re.search(r"[a-z]{3}", about):
        return Intent("aside")  # sums and symbols: nothing the story holds
    return Intent("lore", about)


def _no_verb(text: str, said: list[str], book: Notebook) -> Intent:
    """A line with no verb: a direction or a way ("north", "the stairs") is a move; a
    person's name a greeting; anything else is not understood."""
    mentions = find(text, book)
    way = first(mentions, "direction", "way")
    person = first(mentions, "person")
    if person is not None and (way is None or person.score >= way.score) and len(said) <= 4:
        return Intent("talk", person.name, who=person.name)  # "wake the clerk", "nell?"
    if way is not None and len(said) <= 4:
        return Intent("go", way=way.name)
    return Intent("unknown", " ".join(said))
