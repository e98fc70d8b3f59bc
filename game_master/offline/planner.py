"""The planner: which game tool to call next for the player's intent, or when to narrate.

The rules decide what is true: the planner hands them the player's things by name (the
known name, or the player's own words) and reads what comes back. A refusal ends the turn,
except where the next call can still answer the question (a name that is no exit may be a
place elsewhere; someone may know where a thing is; a fallen character makes a death save).
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
from dataclasses import replace
from typing import Any

from ..rules.naming import words
from . import wording
from .conversation import Reply, Step, offered_tools, read_conversation
from .intent import Intent, parse_intent
from .notebook import Notebook, read_notebook, with_steps
from .text import Voice, mapping

MAX_TOOL_CALLS = 4
Call = tuple[str, dict[str, Any]]


def _find(steps: list[Step], name: str) -> Step | None:
    """The first step that called ``name``."""
    return next((s for s in steps if s.name == name), None)


def _args(**values: str) -> dict[str, Any]:
    """Tool arguments without the empty ones."""
    return {k: v for k, v in values.items() if v}


def _go(intent: Intent, steps: list[Step], book: Notebook) -> list[Call]:
    """A move by a way or a direction; a place by name: next door, or the way there."""
    here = book.here or {}
    exits = mapping(here.get("exits"))
    if intent.way:
        return [("move", {"direction": intent.way})]
    if intent.place and intent.place == here.get("name"):
        return []  # already there: the narration says so
    door = next((d for d, p in exits.items() if p == intent.place), "")
    if door:
        return [("move", {"direction": door})]
    if not intent.place:
        return []
    if intent.known:
        return [("find_way", {"to": intent.place})]
    plan: list[Call] = [("move", {"direction": intent.place})]
    first = steps[0] if steps else None
    if first is not None and first.is_error and first.refusal.code == "no_exit":
        plan.append(("find_way", {"to": intent.place}))
    return plan


def _where(intent: Intent, steps: list[Step], book: Notebook) -> list[Call]:
    """Where something is: the rules' way there; someone here may know of what is unseen."""
    if intent.way or not intent.target:
        return []  # a way of this very place: the narration points to it
    plan: list[Call] = [("find_way", {"to": intent.target})]
    found = _find(steps, "find_way")
    unseen = found is not None and not found.is_error and found.result.get("status") == "unseen"
    asked = set(words(intent.target))
    talkers = [
        n for n in book.present()
        if asked & {w for t in n.get("topics") or [] for w in words(str(t.get("name", "")))}
    ]  # fmt: skip
    if unseen and talkers:
        plan.append(("ask", {"person": str(talkers[0].get("name")), "about": intent.target}))
    return plan


def _plan(intent: Intent, steps: list[Step], book: Notebook) -> list[Call]:
    """The whole sequence of tool calls for ``intent``, given the results so far."""
    kind, target = intent.kind, intent.target
    looks_first: list[Call] = [] if book.here else [("look_around", {})]
    simple: dict[str, list[Call]] = {
        "look": [("look_around", {})],
        "inventory": [("get_character", {})],
        "rest": [("short_rest", {})],
        "help": looks_first,
        "unknown": looks_first,
        "hint": [("get_character", {}), *looks_first],
        "lore": [("search_lore", {"query": target})],
        "recall": [("recall", {"query": target})] if target else [],
        "take": [("take_item", {"item": t}) for t in intent.items or [target] if t],
        "drop": [("drop_item", {"item": target})] if target else [],
        "use": [("use_item", {"item": target})] if target else [],
        "unlock": [("unlock", _args(way=intent.way or target, key=intent.item))],
        "attack": [("attack", _args(target=intent.who, weapon=intent.item))],
        "flee": [("flee", _args(direction=intent.way))],
        "talk": [("ask", _args(person=intent.who, about=intent.topic))]
        + [("search_lore", {"query": intent.topic}) for s in steps[:1] if _unanswered(s)],
    }
    if kind in simple:
        return simple[kind]
    if kind == "go":
        return _go(intent, steps, book)
    if kind == "where":
        return _where(intent, steps, book)
    if kind == "check":
        reason = intent.attempt or "a risky attempt"
        plan: list[Call] = [("ability_check", {"skill": intent.skill, "dc": intent.dc,
                                               "reason": reason})]  # fmt: skip
        check = _find(steps, "ability_check")
        if intent.look_after and check is not None and check.result.get("success"):
            plan.append(("look_around", {}))
        return plan
    return []


def _nobody(step: Step) -> bool:
    """Whether a call found nobody here to ask."""
    return step.is_error and step.refusal.code == "nobody_here"


def _unanswered(step: Step) -> bool:
    """Whether asking got no answer on the topic (nobody here, or they know nothing of it):
    what the lore tells of it is the next best thing."""
    return _nobody(step) or (
        step.name == "ask" and not step.is_error and not step.result.get("says")
        and not step.result.get("lore")
    )  # fmt: skip


def _continues(intent: Intent, step: Step) -> bool:
    """Whether a refused call still leaves a question the next call can answer."""
    code = step.refusal.code
    if intent.kind == "talk" and code == "nobody_here" and intent.topic and not intent.who:
        return True  # nobody to ask: what is known of it, then
    return (intent.kind == "go" and step.name == "move" and code == "no_exit") or (
        code == "character_down"
    )


def next_call(
    intent: Intent, steps: list[Step], offered: dict[str, str], book: Notebook | None = None
) -> Call | None:
    """The next tool call to make, or None when it is time to narrate."""
    book = book or Notebook()
    if len(steps) >= MAX_TOOL_CALLS or any(s.result.get("game_over") for s in steps):
        return None
    if intent.down and "death_save" in offered:
        # A dying character's turn is a death save, whatever the player said; if they are
        # up after all (healed behind the narrator's back), the turn goes on as asked.
        if not steps:
            return ("death_save", {})
        first = steps[0]
        if first.name == "death_save" and first.is_error and first.refusal.code == "not_down":
            return next_call(replace(intent, down=False), steps[1:], offered, book)
        return None
    if steps and steps[-1].is_error and steps[-1].refusal.code == "character_down":
        done = any(s.name == "death_save" for s in steps)
        return ("death_save", {}) if "death_save" in offered and not done else None
    if any(s.is_error and not _continues(intent, s) for s in steps):
        return None
    plan = [(name, args) for name, args in _plan(intent, steps, book) if name in offered]
    if len(steps) >= len(plan):
        return None
    name, args = plan[len(steps)]
    if any(s.name == name and s.input == args for s in steps):
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

    ``retelling`` > 0 tells the same moment another way (the server asks for it when
    another Claude session was already told this moment in the same shape)."""
    text, steps, start = read_conversation(request)
    offered = offered_tools(request)
    if not offered or not text:
        return Reply.text(wording.brief(request.get("system"), text))
    before = read_notebook(request, max(start, 0))
    intent = parse_intent(text, before)
    telling = telling_of(request) + (f"#{retelling}" if retelling else "")
    said = sum(
        1
        for m in request.get("messages") or []
        if isinstance(m, dict)
        and m.get("role") == "user"
        and read_conversation({"messages": [m]})[0]
    )
    voice = Voice(_rng(seed, f"{said}|{text}", len(steps), telling))  # fmt: skip
    call = next_call(intent, steps, offered, before)
    if call is not None:
        name, args = call
        quiet = intent.kind in ("unknown", "help", "hint")  # a look only to know the place
        lead = wording.lead(voice, name, args, intent) if not steps and not quiet else ""
        tool_id = _tool_id(seed, request, text, len(steps))
        return Reply.tool(tool_id, offered[name], args, lead)
    after = with_steps(copy.deepcopy(before), steps)
    reply = Reply.text(wording.narration(voice, text, intent, steps, before, after))
    reply.shape = voice.shape
    return reply
