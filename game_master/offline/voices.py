"""The narrator's English for people: what they say, in their own words (quoted from the
rules' ``ask``), and what else they would talk about."""

from __future__ import annotations

from typing import Any

from .text import Voice, cap, mapping, mid, quoted, sentence, topic_list


def answer(voice: Voice, r: dict[str, Any]) -> list[str]:
    """A person's answer: their words on the topic, a greeting, or what they would rather
    talk about."""
    name = mid(str(r.get("name") or "they"))
    says, line = r.get("says"), str(r.get("voice") or "")
    topics = topic_list(r.get("topics"))
    if says:
        if voice.choose("say", 2) == 0:
            return [voice.pick(["{N} says: “{s}”", "{N} answers: “{s}”", "{N} leans in: “{s}”"],
                               N=cap(name), s=str(says))]  # fmt: skip
        return [f"{cap(name)} tells you: “{says}”"]
    if r.get("lore") and not line:
        return [sentence(str(r["lore"]))]
    about = str(r.get("about") or "").strip()
    out = []
    if about:
        head = voice.pick(["{N} has nothing to tell you about {a}", "{N} knows nothing of {a}"],
                          N=cap(name), a=quoted(about))  # fmt: skip
        out.append(head + (f": “{line}”" if line else "."))
    elif line:
        out.append(voice.pick(["{N} looks up: “{v}”", "{N} answers: “{v}”"], N=cap(name), v=line))
    if topics:
        out.append(voice.pick(["You could ask about {t}.", "Ask about {t}, perhaps."], t=topics))
    elif not line:
        out.append(f"{cap(name)} gives no answer.")
    return out


def way_here(voice: Voice, place: dict[str, Any], direction: str) -> str:
    """Where a way of this place is: "The watergate is right here: it leads east to the
    Wine Cellar." """
    ways = mapping(place.get("ways"))
    names = ways.get(direction) or [f"way {direction}"]
    dest = (place.get("exits") or {}).get(direction, "")
    locked = " It is locked." if direction in (place.get("locked_exits") or []) else ""
    return f"The {names[0]} is right here: it leads {direction} to {mid(str(dest))}.{locked}"
