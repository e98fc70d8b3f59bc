"""The planner: which game tool to call next for the player's intent, or when to narrate."""

from __future__ import annotations

import hashlib
import json
import random
from typing import Any

from . import wording
from .conversation import (
    Atlas,
    Reply,
    Step,
    is_place,
    latest_place,
    offered_tools,
    read_atlas,
    read_conversation,
)
from .intent import Intent, Presence, Route, match_npc, match_place, parse_intent, words_of
from .text import is_direction

MAX_TOOL_CALLS = 4
Call = tuple[str, dict[str, Any]]


def _find(steps: list[Step], name: str, index: int = 0) -> Step | None:
    """The ``index``-th step that called ``name``."""
    found = [s for s in steps if s.name == name]
    return found[index] if len(found) > index else None


def current_place(steps: list[Step], before: dict[str, Any] | None) -> dict[str, Any] | None:
    """The latest location seen: this turn's look or move result, else the one before it."""
    for step in reversed(steps):
        if not step.is_error and is_place(step.result):
            return step.result
    return before


def _npcs(place: dict[str, Any]) -> list[dict[str, Any]]:
    """The NPCs a location result lists."""
    return [n for n in place.get("npcs") or [] if isinstance(n, dict)]


def _lore_npc(who: str, step: Step) -> dict[str, Any] | None:
    """The first NPC lore entry that mentions the words ``who``, from a search_lore step."""
    wanted = {w for w in words_of(who) if len(w) >= 3}
    for entry in step.result.get("results") or []:
        if not isinstance(entry, dict) or entry.get("kind") != "npc":
            continue
        said = set(words_of(f"{entry.get('title', '')} {entry.get('text', '')}"))
        if wanted & (said | {w.removesuffix("'s") for w in said}):
            return entry
    return None


def find_presence(
    intent: Intent,
    steps: list[Step],
    before: dict[str, Any] | None,
    atlas: Atlas | None = None,
) -> Presence | None:
    """Who the player addresses or attacks and whether they are here (None: not a question).

    Someone seen elsewhere earlier (``atlas``) is ``absent`` with where they were seen.
    """
    atlas = atlas or Atlas()
    place = current_place(steps, before)
    if intent.kind == "where" and place is not None:
        found = _whereabouts(intent.target, _npcs(place), atlas)
        lore = _find(steps, "search_lore")
        known = _lore_npc(intent.target, lore) if lore and not lore.is_error else None
        if found is None and known is not None:
            return Presence("absent", str(known.get("title")))  # heard of, never seen
        return found
    if intent.kind not in ("talk", "attack"):
        return None
    if place is None:
        return Presence("unknown")
    npcs = _npcs(place)
    present = tuple(str(n.get("name") or n.get("id")) for n in npcs)
    named = intent.who if intent.kind == "talk" else intent.target
    if not named:
        if not npcs:
            return Presence("alone")
        if intent.kind == "attack" and len(npcs) > 1:
            return Presence("which", present=present)
        return Presence("here", present[0], present)
    npc = match_npc(named, npcs)
    if npc is not None:
        return Presence("here", str(npc.get("name") or npc.get("id")), present)
    seen = match_npc(named, list(atlas.people.values()))
    if seen is not None:
        name = str(seen.get("name"))
        return Presence("absent", name, present, atlas.seen_at.get(name, ""))
    if not npcs:
        return Presence("alone", named)
    if intent.kind == "attack":
        return Presence("stranger", named, present)
    lore = _find(steps, "search_lore")
    if lore is None or lore.is_error:
        return Presence("pending", named, present)
    known = _lore_npc(named, lore)
    if known is None:
        return Presence("stranger", named, present)
    ids = {str(n.get("id")) for n in npcs}
    if str(known.get("ref")) in ids or str(known.get("title")) in present:
        return Presence("here", str(known.get("title")), present)
    title = str(known.get("title") or named)
    return Presence("absent", title, present, atlas.seen_at.get(title, ""))


def _whereabouts(named: str, npcs: list[dict[str, Any]], atlas: Atlas) -> Presence | None:
    """Where a person asked about is, as far as the narrator has seen (None: not a person)."""
    npc = match_npc(named, npcs)
    if npc is not None:
        return Presence("here", str(npc.get("name") or npc.get("id")))
    seen = match_npc(named, list(atlas.people.values()))
    if seen is None:
        return None
    name = str(seen.get("name"))
    return Presence("absent", name, where=atlas.seen_at.get(name, ""))


def _lore_place(target: str, step: Step | None) -> str:
    """The best-ranked place a search_lore step found whose name or id the words share."""
    if step is None or step.is_error:
        return ""
    wanted = {w for w in words_of(target) if len(w) >= 3}
    for entry in step.result.get("results") or []:
        if not isinstance(entry, dict) or entry.get("kind") != "location":
            continue
        names = set(words_of(str(entry.get("title", "")))) | set(
            words_of(str(entry.get("ref", "")).replace("_", " "))
        )
        if wanted & names:
            return str(entry.get("title"))
    return ""


def _known_place(target: str, before: dict[str, Any], atlas: Atlas) -> str:
    """The place a go or where names, among those seen ("back": the one before this)."""
    here = str(before.get("name", ""))
    if set(words_of(target)) <= {"back", "again"} and target:
        return atlas.previous(here)
    return match_place(target, [*atlas.places(), here])


def _direction_to(place: str, exits: dict[str, str]) -> str:
    """The exit here that leads to ``place``, or ''."""
    return next((d for d, dest in exits.items() if dest == place), "")


def _go(
    intent: Intent, steps: list[Step], before: dict[str, Any] | None, atlas: Atlas
) -> list[Call]:
    """Going somewhere: a direction, a place next door, or a place the narrator must place.

    A named place that is known (from earlier looks) and not next door needs no tool; an
    unknown name is tried as a move (the rules know places by id too), then looked up in
    the lore, and taken when the lore's place turns out to be next door.
    """
    target = intent.target
    if is_direction(target) or before is None:
        return [("move", {"direction": target})]
    exits = {str(k): str(v) for k, v in before["exits"].items()}
    known = _known_place(target, before, atlas)
    if known and known == before.get("name"):
        return []
    if known:
        way = _direction_to(known, exits)
        return [("move", {"direction": way})] if way else []
    plan: list[Call] = [("move", {"direction": target})]
    if steps and steps[0].is_error and steps[0].refusal.code == "no_exit":
        plan.append(("search_lore", {"query": target}))
        way = _direction_to(_lore_place(target, _find(steps, "search_lore")), exits)
        if way:
            plan.append(("move", {"direction": way}))
    return plan


def find_route(
    intent: Intent, steps: list[Step], before: dict[str, Any] | None, atlas: Atlas
) -> Route | None:
    """Where the place the player asked for lies, when this turn did not take them there."""
    if intent.kind not in ("go", "where") or is_direction(intent.target) or before is None:
        return None
    if any(s.name == "move" and not s.is_error for s in steps):
        return None
    if any(s.is_error and s.refusal.code != "no_exit" for s in steps):
        return None  # locked, or the game is over: the refusal says it
    here = str(before.get("name", ""))
    exits = {str(k): str(v) for k, v in before["exits"].items()}
    known = _known_place(intent.target, before, atlas)
    known = known or _lore_place(intent.target, _find(steps, "search_lore"))
    if intent.kind == "where" and not known:
        return None  # the lore search tells what is known of it
    if not known:
        return Route("unknown", intent.target, here, exits)
    if known == here:
        return Route("here", known, here, exits)
    return Route("elsewhere", known, here, exits, tuple(atlas.routes_to(known)))


def _attack(foe: str, steps: list[Step]) -> list[Call]:
    """An attack: the rules run the fight (the foe's turns, the damage, a fall)."""
    return [("attack", {"target": foe})]


def _plan(
    intent: Intent, steps: list[Step], before: dict[str, Any] | None, atlas: Atlas
) -> list[Call]:
    """The whole sequence of tool calls for ``intent``, given the results so far."""
    kind, target = intent.kind, intent.target
    if kind == "go":
        return _go(intent, steps, before, atlas)
    simple: dict[str, Call] = {
        "look": ("look_around", {}),
        "take": ("take_item", {"item": target}),
        "drop": ("drop_item", {"item": target}),
        "use": ("use_item", {"item": target}),
        "inventory": ("get_character", {}),
        "rest": ("short_rest", {}),
    }
    if kind in simple:
        return [simple[kind]]
    if kind == "recall":
        return [("recall", {"query": target})] if target else []
    if kind == "lore":
        return [("search_lore", {"query": target})]
    if kind == "where":
        if before is None or not target:
            return [("look_around", {})] if before is None else []
        if find_presence(intent, steps, before, atlas) or _known_place(target, before, atlas):
            return []
        return [("search_lore", {"query": target})]
    if kind in ("talk", "attack"):
        # Talk and fights need to know who is here: look first when no location is known.
        plan: list[Call] = [("look_around", {})] if before is None else []
        presence = find_presence(intent, steps, before, atlas)
        if presence is None or presence.status not in ("here", "pending"):
            return plan
        if kind == "talk":
            return plan + [("search_lore", {"query": target or "rumours"})]
        return plan + _attack(wording.mid(presence.name), steps)
    if kind == "check":
        plan = [
            (
                "ability_check",
                {
                    "skill": intent.skill,
                    "dc": intent.dc,
                    "reason": intent.attempt or "a risky attempt",
                },
            )
        ]
        check = _find(steps, "ability_check")
        if intent.look_after and check is not None and check.result.get("success"):
            plan.append(("look_around", {}))
        return plan
    if kind == "unknown":
        return [
            ("ability_check", {"skill": "perception", "dc": 10, "reason": "get your bearings"}),
            ("look_around", {}),
        ]
    return []


def _game_over(steps: list[Step]) -> bool:
    """Whether a result says the adventure ended."""
    return any(s.result.get("game_over") or s.result.get("dead") for s in steps)


def next_call(
    intent: Intent,
    steps: list[Step],
    offered: dict[str, str],
    before: dict[str, Any] | None = None,
    atlas: Atlas | None = None,
) -> Call | None:
    """The next tool call to make, or None when it is time to narrate.

    ``before`` is the latest location result from earlier turns (None when none was seen);
    ``atlas`` is what every location result so far showed of the map and its people.
    """
    if len(steps) >= MAX_TOOL_CALLS or _game_over(steps):
        return None
    # A character who is down can only make a death save, whatever the player asked.
    if steps and steps[-1].is_error and steps[-1].refusal.code == "character_down":
        return ("death_save", {}) if "death_save" in offered else None
    # A refusal ends the turn, except a move to a name the rules do not know: the lore
    # may still say which place was meant.
    if any(s.is_error and (intent.kind != "go" or s.refusal.code != "no_exit") for s in steps):
        return None
    plan = [(name, args) for name, args in _plan(intent, steps, before, atlas or Atlas())]
    plan = [(name, args) for name, args in plan if name in offered]
    if len(steps) >= len(plan):
        return None
    name, args = plan[len(steps)]
    if any(s.name == name and s.input == args and s.is_error for s in steps):
        return None
    return name, args


def _rng(seed: int, text: str, n_results: int, telling: str = "") -> random.Random:
    """The wording RNG: seed + hash of the player's text + number of tool results + which
    telling this is (the Claude session: a retried turn is told on a fork, so it reads
    differently, while one session always reads the same)."""
    key = f"{telling}|{text}" if telling else text
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    return random.Random(f"{seed}|{digest}|{n_results}")


def telling_of(request: dict[str, Any]) -> str:
    """The Claude session a request comes from (the CLI puts it in ``metadata.user_id``)."""
    raw = (request.get("metadata") or {}).get("user_id")
    try:
        session = json.loads(raw).get("session_id") if isinstance(raw, str) else None
    except (ValueError, AttributeError):
        session = None
    return str(session or "")


def _tool_id(seed: int, request: dict[str, Any], text: str, n_results: int) -> str:
    """A deterministic ``toolu_`` id, unique within the conversation."""
    n_messages = len(request.get("messages") or [])
    rng = random.Random(f"id|{seed}|{text}|{n_results}|{n_messages}")
    return "toolu_" + f"{rng.getrandbits(96):024x}"


def narrate(request: dict[str, Any], seed: int = 0, retelling: int = 0) -> Reply:
    """Decide the next response of the offline game master from the request alone.

    ``retelling`` > 0 words the same moment another way (the server asks for it when another
    Claude session was already told these words at this point of the story)."""
    text, steps, start = read_conversation(request)
    offered = offered_tools(request)
    if not offered or not text:
        return Reply.text(wording.brief(request.get("system"), text))
    before = latest_place(request, max(start, 0))
    exits = {str(k): str(v) for k, v in before["exits"].items()} if before else {}
    intent = parse_intent(text, exits)
    atlas = read_atlas(request)
    telling = telling_of(request) + (f"#{retelling}" if retelling else "")
    rng = _rng(seed, text, len(steps), telling)
    call = next_call(intent, steps, offered, before, atlas)
    if call is not None:
        name, args = call
        lead = wording.lead(rng, name, args, atlas.places(), intent) if not steps else ""
        return Reply.tool(_tool_id(seed, request, text, len(steps)), offered[name], args, lead)
    presence = find_presence(intent, steps, before, atlas)
    route = find_route(intent, steps, before, atlas)
    return Reply.text(wording.narration(rng, text, intent, steps, presence, route))
