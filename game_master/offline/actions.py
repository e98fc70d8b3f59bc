"""What each kind of command asks for, built from its verb and the things it names: the
known item to take (or each of several), the way to unlock and the key, the foe and the
weapon, the person and the topic, the way or the place to go to."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..rules.naming import STOP, words
from .finder import Mention, find, first, object_words
from .notebook import Notebook


@dataclass
class Intent:
    """What the player is trying to do, with the known things their words name."""

    kind: str
    target: str = ""  # the object as the player put it (or the thing it names)
    skill: str = ""
    dc: int = 0
    look_after: bool = False
    attempt: str = ""
    who: str = ""  # talk / attack: the person named ('' for whoever is here)
    topic: str = ""  # talk: what about
    place: str = ""  # go / where: a place's name, when one was named
    way: str = ""  # go / unlock / flee: a direction here
    item: str = ""  # take / use / drop / unlock (the key) / attack (the weapon)
    known: bool = False  # the object names something seen (not just the player's words)
    items: list[str] = field(default_factory=list)  # take: several things at once
    down: bool = False  # the character lay dying when the player spoke


Builder = Any


def _take(said: list[str], at: int, ms: list[Mention], book: Notebook, spec: Any) -> Intent:
    """Take: the known item named (one lying about rather than one carried), else the
    object words; "take the key and the hook" takes each."""
    rest, targets = said[at:], []
    starts = [0] + [i + 1 for i, w in enumerate(rest) if w == "and"]
    for begin, end in zip(starts, [*starts[1:], len(rest) + 1], strict=True):
        part = " ".join(rest[begin : end - 1] if end <= len(rest) else rest[begin:])
        found = [m for m in find(part, book) if m.kind == "item"]
        loose = [m for m in found if not m.detail.get("carried")] or found
        target = loose[0].name if loose else object_words(words(part), 0)
        if target:
            targets.append((target, bool(loose)))
    if not targets:
        return Intent("take")
    if len(targets) > 1:
        return Intent("take", targets[0][0], items=[t for t, _ in targets], known=True)
    return Intent("take", targets[0][0], item=targets[0][0], known=targets[0][1])


def _carried_item(said: list[str], at: int, ms: list[Mention]) -> tuple[str, bool]:
    """The carried item named (else any known item, else the object words)."""
    carried = [m for m in ms if m.kind == "item" and m.detail.get("carried")]
    item = carried[0] if carried else first(ms, "item")
    return (item.name, True) if item is not None else (object_words(said, at), False)


def _use(said: list[str], at: int, ms: list[Mention], book: Notebook, spec: Any) -> Intent:
    """Use: an item; "use the key on the watergate" unlocks the way."""
    item, known = _carried_item(said, at, ms)
    way = first(ms, "way")
    if way is not None and any(w in said[at:] for w in ("on", "at", "in", "with", "to")):
        return Intent("unlock", item, way=way.name, item=item, known=known)
    return Intent("use", item, item=item, known=known)


def _drop(said: list[str], at: int, ms: list[Mention], book: Notebook, spec: Any) -> Intent:
    """Drop a carried item."""
    item, known = _carried_item(said, at, ms)
    return Intent("drop", item, item=item, known=known)


def _unlock(said: list[str], at: int, ms: list[Mention], book: Notebook, spec: Any) -> Intent:
    """Unlock or open a way (with a key, when one is named)."""
    way = first(ms, "way", "direction")
    key = next((m.name for m in ms if m.kind == "item" and m.detail.get("carried")), "")
    target = way.name if way is not None else object_words(said, at)
    return Intent("unlock", target, way=way.name if way else "", item=key, known=way is not None)


def _attack(said: list[str], at: int, ms: list[Mention], book: Notebook, spec: Any) -> Intent:
    """Attack someone (with a carried weapon, when one is named)."""
    foe = first(ms, "person")
    weapon = next((m.name for m in ms if m.kind == "item" and m.detail.get("carried")), "")
    if not weapon and "with" in said[at:]:
        weapon = object_words(said, said.index("with", at) + 1)
    who = foe.name if foe is not None else object_words(said, at)
    return Intent("attack", who, who=who, item=weapon, known=foe is not None)


def _flee(said: list[str], at: int, ms: list[Mention], book: Notebook, spec: Any) -> Intent:
    """Flee a fight, by a way when one is named."""
    way = first(ms, "direction", "way")
    return Intent("flee", way=way.name if way else "")


def _talk(said: list[str], at: int, ms: list[Mention], book: Notebook, spec: Any) -> Intent:
    """Talk to someone (a known person, or the player's name for them), about something."""
    person = first(ms, "person")
    while at < len(said) and said[at] in ("to", "with"):
        at += 1  # "talk to nell", "speak with the clerk"
    rest = said[at:]
    cut = rest.index("about") if "about" in rest else len(rest)
    if "about" in rest:
        topic = rest[cut + 1 :]
    elif person is not None and said[max(at - 1, 0)] in ("ask", "tell", "question"):
        topic = [w for w in rest if w not in words(person.name) and w not in person_words(person)]
    else:
        topic = []
    who = person.name if person is not None else ""
    if not who:
        named = object_words(rest[:cut], 0)
        if named and not set(named.split()) & {"me", "us", "anyone", "someone", "everyone"}:
            who = named  # someone the narrator has not seen: the rules will know
    topic_words = " ".join(
        w for w in topic if w not in STOP and w not in ("me", "us", "hello", "again", "hi")
    )
    return Intent("talk", who or topic_words, who=who, topic=topic_words, known=bool(person))


def person_words(m: Mention) -> set[str]:
    """The words a mentioned person answers to besides their name."""
    return {w for name in m.detail.get("words") or [] for w in words(str(name))}


def _go(said: list[str], at: int, ms: list[Mention], book: Notebook, spec: Any) -> Intent:
    """Go: a direction, a way here, a place by name, or back."""
    direction = first(ms, "direction")
    if direction is not None:
        return Intent("go", way=direction.name, known=True)
    if "back" in said[at:]:
        return Intent("go", "back", way="back")
    way, place = first(ms, "way"), first(ms, "place")
    if place is not None and (way is None or place.score > way.score):
        return Intent("go", place.name, place=place.name, known=True)
    if way is not None:
        return Intent("go", way=way.name, known=True)
    while at < len(said) and said[at] in ("to", "into", "towards", "toward", "for", "over"):
        at += 1  # "go to the strongroom", "head for the market"
    return Intent("go", object_words(said, at), place=object_words(said, at))


def _check(said: list[str], at: int, ms: list[Mention], book: Notebook, spec: Any) -> Intent:
    """A risky act by a skill; climbing a way is going there, a spell at someone an attack."""
    skill, dc, look_after, attempt = spec
    way = first(ms, "direction", "way")
    if skill == "athletics" and said[at - 1] == "climb" and way is not None:
        return Intent("go", way=way.name, known=True)
    person = first(ms, "person")
    if skill == "arcana" and "at" in said[at:]:
        foe = person.name if person else object_words(said, said.index("at", at) + 1)
        return Intent("attack", foe, who=foe, known=person is not None)
    return Intent("check", object_words(said, at), skill, dc, look_after, attempt)


BUILDERS: dict[str, Builder] = {
    "take": _take, "use": _use, "drop": _drop, "unlock": _unlock, "attack": _attack,
    "flee": _flee, "talk": _talk, "go": _go, "check": _check,
}  # fmt: skip
