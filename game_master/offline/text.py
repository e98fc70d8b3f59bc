"""Small English helpers for the narrator: articles, capitals, lists and place references."""

from __future__ import annotations

import random
import re
from typing import Any

from ..rules.naming import COMPASS

# Words that start with a vowel letter but a consonant sound, and the reverse.
_A_BEFORE = re.compile(r"(one\b|once\b|uni|use|usu|uti|eu|ewe)", re.IGNORECASE)
_AN_BEFORE = re.compile(r"(hour|honest|honou?r|heir)", re.IGNORECASE)


def article(phrase: str) -> str:
    """'a' or 'an' for ``phrase`` ("an athletics roll", "a unicorn", "an hour")."""
    word = phrase.strip()
    if not word:
        return "a"
    if _AN_BEFORE.match(word):
        return "an"
    if _A_BEFORE.match(word):
        return "a"
    return "an" if word[0].lower() in "aeiou" else "a"


def cap(text: str) -> str:
    """``text`` with its first letter upper-case (the rest untouched)."""
    for i, char in enumerate(text):
        if char.isalpha():
            return text[:i] + char.upper() + text[i + 1 :]
        if char not in "'\"(“‘ ":
            break
    return text


def sentence(text: str) -> str:
    """Capitalise and end with a full stop."""
    text = text.strip()
    if not text:
        return ""
    text = cap(text)
    return text if text[-1] in ".!?…\"'" else text + "."


def mid(name: str) -> str:
    """A name as it reads mid-sentence: "The Crooked Kettle" -> "the Crooked Kettle"."""
    return "the " + name[4:] if name.startswith("The ") else name


def an_item(name: str) -> str:
    """An item as it reads in a list: "Iron key" -> "an iron key".

    Only sentence-case names are treated as common nouns; a name with capitals after its
    first word ("Sword of Dawn") or an article of its own is kept as it is.
    """
    words = name.split()
    if not words or words[0].lower() in ("the", "a", "an", "some"):
        return name
    if any(w[:1].isupper() for w in words[1:]) or not words[0][1:].islower():
        return name
    common = words[0][0].lower() + name[1:]
    return f"{article(common)} {common}"


def quoted(words: str) -> str:
    """The player's own words for something the narrator does not know, in quotes."""
    return f"“{words.strip()}”"


def the_item(name: str) -> str:
    """An item as it reads after "the": "Iron key" -> "iron key"; "Sword of Dawn" stays."""
    words = name.split()
    if words and words[0].lower() in ("the", "a", "an", "some"):
        return " ".join(words[1:])
    if not words or any(w[:1].isupper() for w in words[1:]) or not words[0][1:].islower():
        return name
    return words[0][0].lower() + name[1:]


def listing(names: list[str]) -> str:
    """``a, b and c``."""
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def ways(exits: dict[str, Any]) -> str:
    """Exits as prose: "north to Chapel of the Lantern and east to the Crooked Kettle".

    Place names read as the scenario gives them (an author writes "The Canal Steps" where
    English needs the article, "Tallow Lane" where it does not); see ``mid``.
    """
    return listing([f"{d} to {mid(str(p))}" for d, p in exits.items()]) or "nowhere"


def way_from(direction: str, origin: str) -> str:
    """Which way to go from a place: "west from Village Square", "up from the Cellar"."""
    return f"{direction} from {mid(origin)}"


def is_direction(target: str) -> bool:
    """Whether a move target is a compass direction rather than a place name."""
    return target.strip().lower() in COMPASS


def names_of(items: Any) -> list[str]:
    """Display names from a list of ``{"name": ...}`` dicts or strings."""
    out = []
    for item in items or []:
        if isinstance(item, dict):
            out.append(str(item.get("name") or item.get("id") or "something"))
        else:
            out.append(str(item).replace("_", " "))
    return out


def pick(rng: random.Random, options: list[str], **values: Any) -> str:
    """One of ``options``, formatted with ``values``, its first letter capitalised."""
    return cap(rng.choice(options).format(**values))


def topic_list(topics: Any, most: int = 4) -> str:
    """What a person talks about, as prose: "the watergate key, the Strongroom or gold"."""
    names = []
    for topic in list(topics or [])[:most]:
        entry = topic if isinstance(topic, dict) else {"name": str(topic), "kind": "word"}
        name, kind = str(entry.get("name", "")), entry.get("kind")
        names.append("the " + the_item(name) if kind == "item" else mid(name))
    return listing(names).replace(" and ", " or ")


def mapping(value: Any) -> dict[str, Any]:
    """``value`` when it is an object (a dict), else an empty one."""
    return value if isinstance(value, dict) else {}


def where_in(place: dict[str, Any]) -> str:
    """Where someone is, with the scenario's preposition: "on the Canal Steps"."""
    prep = str(place.get("preposition") or "in")
    return f"{prep} {mid(str(place.get('name') or 'a strange place'))}"


def way_name(place: dict[str, Any] | None, direction: str) -> str:
    """What a way is called: the scenario's first word for it ("the watergate"), else
    "the way north"."""
    ways = (place or {}).get("ways")
    names = ways.get(direction) if isinstance(ways, dict) else None
    return f"the {names[0]}" if names else f"the way {direction}"


def way_phrase(place: dict[str, Any] | None, direction: str) -> str:
    """A way out as prose: "east through the watergate", or just "north"."""
    ways = (place or {}).get("ways")
    names = ways.get(direction) if isinstance(ways, dict) else None
    if not names:
        return direction
    link = "up" if direction == "up" else "down" if direction == "down" else direction
    return (
        f"{link} by the {names[0]}"
        if direction in ("up", "down")
        else f"{link} through the {names[0]}"
    )


class Voice:
    """The narrator's choices for one reply: its dice, and the shape of what it chose to
    say (which parts, in which order), so a retelling can choose another shape."""

    def __init__(self, rng: random.Random) -> None:
        """Choices from ``rng``; no shape yet."""
        self.rng = rng
        self.shapes: list[str] = []

    def choose(self, what: str, options: int) -> int:
        """Pick one of ``options`` ways to tell ``what`` and remember the pick."""
        index = self.rng.randrange(options)
        self.shapes.append(f"{what}{index}")
        return index

    def pick(self, options: list[str], **values: Any) -> str:
        """One wording of the same content (not a choice of shape)."""
        return pick(self.rng, options, **values)

    @property
    def shape(self) -> str:
        """The shape of the reply so far."""
        return "|".join(self.shapes)
