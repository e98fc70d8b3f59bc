"""The narrator's English for where people and places are: who is not here, the way there.

Every sentence about someone elsewhere or a place that is not next door comes from here;
``wording`` calls it when the planner found the person or the place missing.
"""

from __future__ import annotations

import random

from .intent import Presence, Route
from .text import cap, listing, mid, pick, quoted, way_from, ways

PRESENCE = {
    "talk:absent": ["{N} is not here.", "You look about for {n}, but they are not here.",
                    "{N} is not here to answer you."],
    "talk:absent:where": ["{N} is not here; you last saw them in {where}.",
                          "You look about for {n}, but they are not here. You last saw them "
                          "in {where}.", "{N} is not here to answer you; try {where}."],
    "where:here": ["{N} is right here.", "{N} is here with you."],
    "where:absent": ["You have not come across {n} yet.", "You do not know where {n} is."],
    "where:absent:where": ["You last saw {n} in {where}.", "{N} was in {where} when you last "
                           "saw them."],
    "attack:absent": ["{N} is not here to fight.", "You look about for {n}, but they are "
                      "not here."],
    "attack:absent:where": ["{N} is not here to fight; you last saw them in {where}.",
                            "You ready yourself, but {n} is not here. You last saw them in "
                            "{where}."],
    "talk:stranger": ["No one called “{w}” is here.", "You call for “{w}”, but no one by "
                      "that name is here.", "No one here answers to “{w}”."],
    "talk:alone": ["There is no one here to talk to.", "You speak, but nobody is here to "
                   "answer.", "Your words fall on empty air; no one is here."],
    "talk:alone:named": ["You look for “{w}”, but there is no one here at all.",
                         "No one is here, “{w}” or anyone else.",
                         "There is no one here to talk to, and no “{w}”."],
    "attack:alone:named": ["There is no one here to fight, and nobody called “{w}”.",
                           "You ready yourself, but no one is here, “{w}” or anyone else.",
                           "You see nothing like “{w}” here; there is no one here to fight."],
    "attack:stranger": ["There is nobody called “{w}” here to fight.", "You ready yourself, "
                        "but you see nothing like “{w}” here to fight.",
                        "No “{w}” is here; there is nobody by that name to fight."],
    "attack:alone": ["There is no one here to fight.", "You ready yourself, but nobody is "
                     "here to fight.", "You swing at empty air; there is no one here to fight."],
    "attack:which": ["Whom do you mean to attack? Here are {p}.",
                     "{P} are here; whom do you mean to fight?"],
}  # fmt: skip
ROUTES = {
    "here": ["You are already in {p}.", "You stand in {p} already."],
    "elsewhere": ["To reach {p}, go {via}.", "You know the way: to reach {p}, go {via}.",
                  "You can reach {p} by going {via}."],
    "elsewhere:far": ["You know of {p}, but no path leads there from {h}.",
                      "{P} cannot be reached from {h} directly."],
    "unknown": ["You know of no place called {w}.", "No place called {w} is known to you.",
                "You cannot think where {w} might be."],
    "exits": ["From here you could go {x}.", "The paths from {h} lead {x}.",
              "From {h}, the ways lead {x}."],
}  # fmt: skip


def presence_sentence(rng: random.Random, kind: str, presence: Presence) -> str:
    """Why nobody answers or fights: they are elsewhere, unknown, or nobody is here."""
    named = ":named" if presence.status == "alone" and presence.name else ""
    where = ":where" if presence.status == "absent" and presence.where else ""
    options = PRESENCE.get(f"{kind}:{presence.status}{named}{where}")
    if not options:
        return ""
    name = mid(presence.name)
    present = listing([mid(p) for p in presence.present])
    return pick(
        rng, options, n=name, N=cap(name), w=presence.name, p=present, P=cap(present),
        where=mid(presence.where),
    )  # fmt: skip


def route_sentences(rng: random.Random, route: Route) -> list[str]:
    """Where the place the player asked for lies, and the ways out of here."""
    values = {"p": mid(route.name), "P": cap(mid(route.name)), "h": mid(route.here)}
    if route.status == "here":
        return [pick(rng, ROUTES["here"], **values)]
    if route.status == "elsewhere" and route.via:
        via = " or ".join(way_from(d, origin) for d, origin in route.via)
        first = pick(rng, ROUTES["elsewhere"], via=via, **values)
    elif route.status == "elsewhere":
        first = pick(rng, ROUTES["elsewhere:far"], **values)
    else:
        first = pick(rng, ROUTES["unknown"], w=quoted(route.name), **values)
    return [first, pick(rng, ROUTES["exits"], x=ways(route.exits), **values)]
