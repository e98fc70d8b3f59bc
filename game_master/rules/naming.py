"""Which known thing a few words name: items, people, places and ways, by their words.

The model (or the offline narrator) may pass a player's own words ("some of the brandy",
"the stairs", "the hound") where a tool wants a thing; the rules find the thing among the
candidates by the words its name, id and the scenario's ``words`` give it, and never guess
beyond the candidates they are given.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

# Words that never tell one thing from another.
STOP = frozenset({
    "a", "an", "the", "of", "to", "at", "in", "on", "into", "onto", "with", "from", "for", "by",
    "and", "or", "my", "your", "his", "her", "its", "their", "this", "that", "these", "those",
    "some", "any", "all", "one", "it", "them", "me", "you", "i", "we", "he", "she", "they",
    "here", "there", "now", "then", "too", "also", "just", "very", "please", "quietly",
    "carefully", "slowly", "quickly", "again", "back", "way",
})  # fmt: skip
COMPASS = frozenset(
    {"north", "south", "east", "west", "up", "down", "northeast", "northwest", "southeast",
     "southwest", "in", "out"}
)  # fmt: skip
DIRECTION_WORDS = {
    "n": "north", "s": "south", "e": "east", "w": "west", "u": "up", "d": "down",
    "ne": "northeast", "nw": "northwest", "se": "southeast", "sw": "southwest",
    "upstairs": "up", "downstairs": "down", "inside": "in", "outside": "out",
}  # fmt: skip


def words(text: str) -> list[str]:
    """Lower-case words of ``text``, a possessive 's dropped."""
    return [w.removesuffix("'s") for w in re.findall(r"[a-z0-9']+", str(text).lower())]


def norm(text: str) -> str:
    """Lower-case words joined by underscores: ``"Iron Key"`` -> ``"iron_key"``."""
    return "_".join(re.findall(r"[a-z0-9]+", str(text).lower()))


def telling_words(*names: str) -> set[str]:
    """The words of ``names`` that can tell a thing apart (no articles, nothing tiny)."""
    found: set[str] = set()
    for name in names:
        for word in words(name.replace("_", " ")):
            if len(word) >= 3 and word not in STOP:
                found.add(word)
                if word.endswith("s") and len(word) > 4:
                    found.add(word[:-1])  # "stairs" also answers to "stair"
    return found


def best(text: str, candidates: Mapping[str, Iterable[str]]) -> str | None:
    """The candidate whose names ``text`` matches best, or None.

    ``candidates`` maps an id to the names it answers to (its name, id, other words). An
    exact name or id wins outright; otherwise the candidate sharing the most telling words
    with ``text`` (the first of equals, in the given order).
    """
    want = norm(text)
    if not want:
        return None
    said = set(words(text))
    said |= {w[:-1] for w in said if w.endswith("s") and len(w) > 3}
    said |= {w[:-3] + "f" for w in said if w.endswith("ves")}  # wolves, knives
    top, score = None, 0
    for key, names in candidates.items():
        names = list(names)
        if want in {norm(n) for n in names} | {key}:
            return key
        shared = len(said & telling_words(*names))
        if shared > score:
            top, score = key, shared
    return top


def direction_in(text: str, directions: Iterable[str]) -> str | None:
    """The direction among ``directions`` that ``text`` is, or names as a word ("go up")."""
    said = [DIRECTION_WORDS.get(w, w) for w in words(text)]
    options = list(directions)
    if len(said) == 1 and said[0] in options:
        return said[0]
    named = [w for w in said if w in options]
    return named[0] if len(set(named)) == 1 else None
