"""The narrator's English for places: what a look or an arrival shows, what the player can
do here, and the true way to somewhere else (from the rules' ``find_way``)."""

from __future__ import annotations

from typing import Any

from .notebook import Notebook
from .text import (
    Voice,
    an_item,
    cap,
    listing,
    mapping,
    mid,
    names_of,
    sentence,
    the_item,
    topic_list,
    way_phrase,
    where_in,
)


def sentences_of(text: str) -> list[str]:
    """A description's sentences."""
    out, current = [], ""
    for piece in text.replace("! ", "!|").replace("? ", "?|").replace(". ", ".|").split("|"):
        current = piece if not current else f"{current} {piece}"
        if current.strip():
            out.append(current.strip())
            current = ""
    return out


def ways_out(place: dict[str, Any]) -> str:
    """The exits as prose: "south through the alley to Tallow Lane and east to the Wine
    Cellar (locked)"."""
    exits = mapping(place.get("exits"))
    locked = set(place.get("locked_exits") or [])
    parts = [
        f"{way_phrase(place, d)} to {mid(str(dest))}" + (" (locked)" if d in locked else "")
        for d, dest in exits.items()
    ]
    return listing(parts) or "nowhere"


def _people(voice: Voice, place: dict[str, Any]) -> list[str]:
    """Who is here: a foe on guard, a defeated foe, people."""
    out = []
    plain = []
    for npc in place.get("npcs") or []:
        if not isinstance(npc, dict):
            continue
        name = mid(str(npc.get("name") or "someone"))
        if npc.get("defeated"):
            out.append(f"{cap(name)} lies still, beaten.")
        elif npc.get("guards"):
            things = listing(["the " + the_item(str(g)) for g in npc["guards"]])
            out.append(voice.pick(["{n} stands guard over {t}.", "{n} guards {t}, watching you."],
                                  n=cap(name), t=things))  # fmt: skip
        elif npc.get("hostile"):
            out.append(voice.pick(["{n} is here, and means you harm.", "{n} bars your way."],
                                  n=cap(name)))  # fmt: skip
        else:
            plain.append(name)
    if plain:
        verb = "are" if len(plain) > 1 else "is"
        out.append(voice.pick(["{p} {v} here.", "{p} {v} here with you."],
                              p=cap(listing(plain)), v=verb))  # fmt: skip
    return out


def _items(voice: Voice, place: dict[str, Any]) -> list[str]:
    """What lies here."""
    items = [an_item(n) for n in names_of(place.get("items"))]
    if not items:
        return []
    return [voice.pick(["You notice {i} here.", "Lying here: {i}.", "Your eye falls on {i}."],
                       i=listing(items))]  # fmt: skip


def arrival(voice: Voice, r: dict[str, Any], before: dict[str, Any] | None) -> str:
    """How the character got here: the way taken, with the way's own name."""
    direction = str(r.get("moved") or r.get("fled") or "onward")
    phrase = way_phrase(before, direction) if before else direction
    return voice.pick(["You go {d} and arrive {w}.", "Going {d}, you arrive {w}.",
                       "You make your way {d}; now you are {w}."],
                      d=phrase, w=where_in(r))  # fmt: skip


def describe(
    voice: Voice, r: dict[str, Any], arrived: bool, before: dict[str, Any] | None
) -> list[str]:
    """A place, as a look or an arrival shows it; which parts come first, and how much of
    the description, is the telling's choice."""
    first = arrival(voice, r, before) if arrived else voice.pick(
        ["You are {w}.", "You stand {w}.", "Here you are, {w}."], w=where_in(r),
        n=mid(str(r.get("name"))))  # fmt: skip
    text = sentences_of(str(r.get("description") or ""))
    fresh = not arrived or r.get("first_visit", True)
    exits = voice.pick(["Ways out: {x}.", "From here you could go {x}.", "The ways lead {x}."],
                       x=ways_out(r))  # fmt: skip
    people, items = _people(voice, r), _items(voice, r)
    shape = voice.choose("place", 3)
    if shape == 0:  # how it looks, who and what is here, the ways on
        body = (text if fresh else []) + people + items + [exits]
    elif shape == 1:  # the ways on first, what is here, then a glance at the place
        body = [exits] + items + people + text[:1]
    else:  # who and what is here, then how it looks and the ways on
        body = people + items + (text[-2:] if fresh else []) + [exits]
    return [first, *[sentence(s) for s in body if s]]


def options(voice: Voice, book: Notebook) -> str:
    """What the player can do here: the ways out, what to take, whom to ask or fight."""
    place = book.here
    if place is None:
        return "You could look around, or try a direction."
    parts = [f"go {ways_out(place)}"] if place.get("exits") else []
    items = [an_item(n) for n in names_of(place.get("items"))]
    if items:
        parts.append(f"take {listing(items)}")
    for npc in book.present():
        name = mid(str(npc.get("name")))
        if npc.get("hostile"):
            parts.append(f"fight {name}")
        elif npc.get("topics"):
            parts.append(f"ask {name} about {topic_list(npc['topics'], 3)}")
        else:
            parts.append(f"talk to {name}")
    if book.carried:
        parts.append(f"use what you carry ({listing([the_item(n) for n in book.carried])})")
    if not parts:
        return "You could look around you."
    said = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + ", or " + parts[-1]
    return voice.pick(["From here you could {o}.", "You could {o}.", "Here you can {o}."],
                      o=said)  # fmt: skip


def route(voice: Voice, r: dict[str, Any], book: Notebook) -> list[str]:
    """The way to a place, a person or an item, from the rules' ``find_way`` result."""
    name, kind, status = str(r.get("to") or "it"), r.get("kind"), r.get("status")
    thing = "the " + the_item(name) if kind == "item" else mid(name)
    at = {"preposition": r.get("preposition"), "name": r.get("at")}
    if status == "carried":
        return [voice.pick(["You carry {t} already.", "{T} is in your pack."], t=thing,
                           T=cap(thing))]  # fmt: skip
    if status == "unseen":
        if kind == "person":
            return [f"You have not come across {thing} yet."]
        if kind == "item":
            return [f"You have not seen {thing} anywhere yet."]
        return [voice.pick(["You have not found the way to {t} yet.",
                            "You do not know the way to {t} yet."], t=thing)]  # fmt: skip
    if status == "here":
        if kind == "place":
            return [f"You are already {where_in(at)}."]
        return [f"{cap(thing)} is right here, {where_in(at)}."]
    steps = [s for s in r.get("path") or [] if isinstance(s, dict)]
    lead = "" if kind == "place" else f"You last saw {thing} {where_in(at)}. "
    if not steps:
        return [lead.strip() or f"{cap(thing)} is near."]
    go = [f"{s['direction']} to {mid(str(s['to']))}" for s in steps[:-1]]
    last = steps[-1]
    go.append(
        str(last["direction"]) if go else f"{last['direction']} from {mid(str(last['from']))}"
    )
    target = mid(str(r.get("at") or name))
    text = f"{lead}To reach {target}, go {', then '.join(go)}."
    locked = [s for s in steps if s.get("locked")]
    out = [text]
    for s in locked:
        out.append(f"The way {s['direction']} from {mid(str(s['from']))} is locked.")
    return out
