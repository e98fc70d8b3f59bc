"""More rules every reply must keep, checked against the scenario itself (never against what
the narrator or the tools said, so breaking either shows here):

- true routes: asked where a place is (or told to go to one that is not next door), the
  reply gives the shortest way there over the scenario's map, direction by direction;
- effects in the state: a take of an item lying here and unguarded puts it in the pack; an
  unlock with the key carried opens the way at once, and the look after it agrees;
- people answer in their voice: talking to someone here quotes their own words;
- prepositions from the scenario: "on the Canal Steps", never "in the Canal Steps";
- no misread names: the player's clauses and fillers ("while the hound", "too", "for
  courage") never come back as part of a name;
- no dice numbers in the prose (the dice log has them), except on the sheet or a memory;
- per-line expectations written after ``=>`` in the corpus (``corpus_play``).
"""

from __future__ import annotations

import re
from collections import deque

from game_master.rules import GameState, Scenario
from game_master.rules.naming import best, words

from .corpus_play import Turn

WHERE = ("where is", "where's", "how do i get to", "how do i reach", "which way is",
         "which way to", "where can i find")  # fmt: skip
GO = ("go to", "walk to", "head to", "head for", "travel to", "take me to", "go back to")
TALK = ("talk to", "talk with", "speak to", "speak with", "chat with", "greet", "hello",
        "ask")  # fmt: skip
TAKE = ("take", "grab", "pick up", "get")
# The player's fillers and clauses, which a misread name would carry along.
MISREAD = {"while", "too", "some", "courage", "isn't", "quietly", "also", "please", "really",
           "before", "after", "because", "until", "nobody", "looking"}  # fmt: skip
NUMBERS_ALLOWED = ("get_character", "recall")


def _after(command: str, verbs: tuple[str, ...]) -> str | None:
    """The words after a leading verb phrase, or None."""
    said = " ".join(words(command))
    for verb in sorted(verbs, key=len, reverse=True):
        if said == verb or said.startswith(verb + " "):
            return said[len(verb) :].strip()
    return None


def shortest_way(scenario: Scenario, start: str, goal: str) -> list[str] | None:
    """The directions of a shortest walk over the scenario's map."""
    seen: dict[str, list[str]] = {start: []}
    queue = deque([start])
    while queue:
        here = queue.popleft()
        if here == goal:
            return seen[here]
        for direction, dest in scenario.locations[here].exits.items():
            if dest not in seen:
                seen[dest] = [*seen[here], direction]
                queue.append(dest)
    return None


def _place_named(scenario: Scenario, text: str) -> str | None:
    """The scenario place a few words name (by its name or words), or None."""
    return best(text, {k: [v.name, *v.words] for k, v in scenario.locations.items()})


def route_problems(turn: Turn, scenario: Scenario) -> list[str]:
    """Asked the way to a place that is not next door, the reply walks the true way."""
    asked = _after(turn.command, WHERE) or _after(turn.command, GO)
    if asked is None or turn.before.outcome or not asked.strip():
        return []
    place = _place_named(scenario, asked)
    here = scenario.locations[turn.before.location]
    if place is None or place == here.id or place in here.exits.values():
        return []
    if scenario.items and best(asked, {k: [v.name, *v.words] for k, v in scenario.items.items()}):
        return []  # "where is the strongroom key" asks for an item, not the strongroom
    way = shortest_way(scenario, here.id, place) or []
    said = words(turn.prose)
    at, problems = 0, []
    for direction in way:
        if direction not in said[at:]:
            problems.append(f"the way to {scenario.locations[place].name} is {way}: no "
                            f"{direction!r} in order")  # fmt: skip
            break
        at = said.index(direction, at) + 1
    name = scenario.locations[place].name
    if not re.search(re.escape(name.removeprefix("The ")), turn.prose, re.I):
        problems.append(f"does not name {name}")
    if turn.after.location != turn.before.location:
        problems.append("moved while being told the way")
    return problems


def _guarded(scenario: Scenario, state: GameState, item: str) -> bool:
    """Whether a standing foe at the character's place guards ``item``."""
    return any(
        item in scenario.npcs[n].guards and scenario.npcs[n].hostile and not state.defeated(n)
        for n in scenario.locations[state.location].npcs
    )


def effect_problems(turn: Turn, scenario: Scenario) -> list[str]:
    """A take of an item lying here, unguarded, puts it in the pack (and the reply names
    it); an unlock with its key opens the way for good, as the reply says."""
    problems = []
    asked = _after(turn.command, TAKE)
    lying = turn.before.location_items.get(turn.before.location, [])
    if asked and not turn.before.outcome and not turn.before.character.down:
        item = best(asked, {i: [scenario.items[i].name, *scenario.items[i].words] for i in lying})
        if item and not _guarded(scenario, turn.before, item) and turn.before.fight is None:
            if item not in turn.after.inventory:
                problems.append(f"{scenario.items[item].name} lies here but was not taken")
            if scenario.items[item].name.lower() not in turn.prose.lower():
                problems.append(f"the reply does not name the {scenario.items[item].name}")
    opened = set(turn.after.unlocked) - set(turn.before.unlocked)
    for lock in opened:
        loc, direction = lock.split(":")
        if loc == turn.before.location and direction not in turn.prose and "open" not in turn.prose:
            problems.append(f"the way {direction} was unlocked but the reply does not say so")
    return problems


def voice_problems(turn: Turn, scenario: Scenario) -> list[str]:
    """Talking to someone here: the reply quotes their own words (a topic or their voice)."""
    asked = _after(turn.command, TALK)
    here = [n for n in scenario.locations[turn.before.location].npcs
            if not scenario.npcs[n].hostile]  # fmt: skip
    if asked is None or not here or turn.before.outcome or turn.before.character.down:
        return []
    who = asked.split(" about ")[0]
    person = best(who, {n: [scenario.npcs[n].name, *scenario.npcs[n].words] for n in here})
    if person is None:
        return []
    npc = scenario.npcs[person]
    lines = [npc.voice, *npc.topics.values()] if (npc.voice or npc.topics) else [npc.lore]
    if not any(line and line in turn.prose for line in lines):
        return [f"{npc.name} is here but the reply quotes none of their words"]
    return []


def preposition_problems(turn: Turn, scenario: Scenario) -> list[str]:
    """Where the character is, said with the scenario's preposition."""
    problems = []
    for loc in scenario.locations.values():
        name = re.escape(loc.name.removeprefix("The "))
        lead = r"\b(?:are|stand|arrive|now you are|you are already|come to)"
        pattern = rf"{lead} (in|on|at) (?:the )?{name}\b"
        for match in re.finditer(pattern, turn.prose, re.I):
            if match.group(1).lower() != loc.preposition:
                problems.append(f"{match.group(0)!r}: {loc.name} takes {loc.preposition!r}")
    return problems


def misread_problems(turn: Turn) -> list[str]:
    """The player's fillers and clauses never come back as part of a name."""
    said = words(turn.command)
    prose = " ".join(words(turn.prose))
    problems = []
    for size in (2, 3, 4):
        for i in range(1, len(said) - size + 1):
            gram = said[i : i + size]
            if MISREAD & set(gram) and f" {' '.join(gram)} " in f" {prose} ":
                problems.append(f"misread name: {' '.join(gram)!r} came back")
    return problems


def number_problems(turn: Turn) -> list[str]:
    """No dice numbers in the prose, outside the sheet and memories."""
    if any(c.name in NUMBERS_ALLOWED for c in turn.calls):
        return []
    found = re.findall(r"\b\d+\b", turn.prose)
    return [f"numbers in the prose: {found}"] if found else []


def expectation_problems(expect: tuple[str, ...], turn: Turn) -> list[str]:
    """The ``=>`` expectations of one corpus line."""
    problems = []
    ok = {c.name for c in turn.calls if not c.is_error}
    refused = {c.result["error"]["code"] for c in turn.calls if c.is_error}
    state = turn.after
    for item in expect:
        neg, rule = item.startswith("!"), item.lstrip("!")
        kind, _, value = rule.partition(":")
        value = value.replace("_", " ") if kind in ("says",) else value
        if kind == "tool":
            hit = value in ok
        elif kind == "refused":
            hit = value in refused
        elif kind == "carry":
            hit = value in state.inventory
        elif kind == "at":
            hit = state.location == value
        elif kind == "unlocked":
            hit = value in state.unlocked
        elif kind == "outcome":
            hit = state.outcome == value
        elif kind == "says":
            hit = value.lower() in turn.prose.lower()
        else:
            problems.append(f"unknown expectation {item!r}")
            continue
        if hit == neg:
            problems.append(f"expected {item}")
    return problems


def more_problems(turn: Turn, scenario: Scenario, expect: tuple[str, ...] = ()) -> list[str]:
    """Every check of this module for one turn."""
    return (
        route_problems(turn, scenario)
        + effect_problems(turn, scenario)
        + voice_problems(turn, scenario)
        + preposition_problems(turn, scenario)
        + misread_problems(turn)
        + number_problems(turn)
        + expectation_problems(expect, turn)
    )
