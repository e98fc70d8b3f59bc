"""Known things in a sentence: the items, people, places and ways the narrator has seen,
found by their words wherever they stand, instead of taking a span of words as a name.

"quietly take the ledger while the hound isn't looking" mentions the velvet ledger and the
brass mastiff ("hound" is one of its words); "drink some of the brandy for courage" the
bottle of old brandy; "climb the stairs" the way up. What names nothing known is cut to
its object words ("the sword" from "attack the troll with the sword").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..rules.naming import COMPASS, DIRECTION_WORDS, STOP, telling_words, words
from .notebook import Notebook
from .text import mapping

# Words that end the object of a command: what follows is why, how or when.
CLAUSE = frozenset(
    {"while", "for", "because", "so", "before", "after", "when", "if", "then", "and", "but",
     "until", "as", "since", "without", "to", "with", "using", "on", "at", "into", "from"}
)  # fmt: skip
VAGUE = frozenset(
    {"too", "also", "some", "of", "bit", "little", "piece", "all", "every", "whole", "that",
     "this", "thing", "stuff", "it", "them", "please", "now", "again", "quickly", "quietly",
     "carefully", "slowly", "gently", "courage", "way", "path", "road", "here", "there"}
)  # fmt: skip


@dataclass(frozen=True)
class Mention:
    """A known thing the sentence names: its kind, its name, how well, and where."""

    kind: str  # item, person, place, way (an exit here) or direction
    name: str  # the thing's name; for a way or direction, the direction
    score: int
    start: int
    detail: dict[str, Any] = field(default_factory=dict, compare=False)


def _names(entry: dict[str, Any]) -> list[str]:
    """The names a seen thing answers to: its name and its words."""
    return [str(entry.get("name", "")), *[str(w) for w in entry.get("words") or []]]


def vocabulary(book: Notebook) -> list[tuple[str, str, list[str], dict[str, Any]]]:
    """Every known thing: (kind, name, names it answers to, what was seen of it)."""
    out: list[tuple[str, str, list[str], dict[str, Any]]] = []
    for name in dict.fromkeys([*book.carried, *book.items]):
        entry = book.items.get(name, {"name": name})
        out.append(("item", name, _names(entry), {**entry, "carried": name in book.carried}))
    for name, entry in book.people.items():
        out.append(("person", name, _names(entry), entry))
    here = book.here or {}
    exits = mapping(here.get("exits"))
    ways = mapping(here.get("ways"))
    for direction, dest in exits.items():
        names = [str(w) for w in ways.get(direction) or []]
        out.append(("way", str(direction), [*names, str(dest)], {"to": str(dest)}))
    for name, place in book.places.items():
        out.append(("place", name, [name, *[str(w) for w in place.get("words") or []]], place))
    for dest in exits.values():
        if str(dest) not in book.places:
            out.append(("place", str(dest), [str(dest)], {}))
    return out


def find(text: str, book: Notebook, skip: set[int] | frozenset[int] = frozenset()) -> list[Mention]:
    """The known things ``text`` mentions (its words at the ``skip`` positions aside), the
    best named first; directions are mentions too ("go up", "the way north")."""
    said = words(text)
    found: list[Mention] = []
    for i, word in enumerate(said):
        direction = DIRECTION_WORDS.get(word, word)
        if (
            i not in skip
            and direction in COMPASS
            and not (direction in ("in", "out", "up", "down") and _not_a_direction(said, i))
        ):
            found.append(Mention("direction", direction, 1, i))
    for kind, name, names, detail in vocabulary(book):
        telling = telling_words(*names)
        hits = [i for i, w in enumerate(said) if i not in skip and _matches(w, telling)]
        if hits:
            found.append(Mention(kind, name, len({said[i] for i in hits}), min(hits), detail))
    return sorted(found, key=lambda m: (-m.score, m.start))


def _matches(word: str, telling: set[str]) -> bool:
    """Whether one said word is one of a thing's telling words (a plural 's' aside)."""
    return word in telling or (len(word) > 4 and word.endswith("s") and word[:-1] in telling)


def _not_a_direction(said: list[str], i: int) -> bool:
    """'in', 'up', 'out' and 'down' that belong to another phrase ("pick up", "in the
    cellar", "out of here")."""
    before = said[i - 1] if i else ""
    after = said[i + 1] if i + 1 < len(said) else ""
    if said[i] in ("up", "down") and before in (
        "pick",
        "put",
        "set",
        "lie",
        "sit",
        "give",
        "look",
        "back",
        "calm",
        "wake",
        "shut",
    ):
        return True  # fmt: skip
    return said[i] in ("in", "out") and bool(after) and after not in ("please",)


def first(mentions: list[Mention], *kinds: str) -> Mention | None:
    """The best mention of one of ``kinds``."""
    return next((m for m in mentions if m.kind in kinds), None)


def object_words(said: list[str], start: int) -> str:
    """The object of a command begun at ``start``: its words up to a clause, the vague ones
    left out ("some of the brandy for courage" -> "brandy")."""
    kept = []
    for word in said[start:]:
        if word in CLAUSE:
            break
        if word not in STOP and word not in VAGUE and not word.endswith("ly"):
            kept.append(word)
    return " ".join(kept[:4])
