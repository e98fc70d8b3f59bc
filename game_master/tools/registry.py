"""The tool registry: every game tool declared once, and everything derived from it.

A :class:`ToolSpec` says what the model sees (name, description, schema), what runs
(``run``), what kind of tool it is (a roll of chance, a change to the world, or a look),
when the game master should use it (the system prompt lists that), how the page shows a
call, which narrated claims a successful call backs (scorers) and what scores it earns.
The MCP server, the allowed-tool names, the prompt, the page and the scorers all read
:data:`TOOLS`; nothing else lists tool names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar

from .. import rules
from ..lore import lore_index
from ..rules import GameState, Scenario
from ..rules.rest import short_rest
from . import args as a

SERVER_NAME = "game"
T = TypeVar("T")
Kind = Literal["chance", "world", "read"]
Show = Literal["roll", "check", "action"]


class StateStore(Protocol):
    """What the tools need from the store: read, and change atomically."""

    def read_state(self, game_id: str) -> GameState:
        """The current state of a game."""
        ...

    def update_state(
        self,
        game_id: str,
        change: Callable[[GameState], T],
        record: Callable[[T], dict[str, Any]] | None = None,
    ) -> T:
        """Apply ``change`` in one transaction (recording the call on the running turn)."""
        ...

    def search_story(
        self, game_id: str, query: str, *, limit: int = 5, line_only: bool = True
    ) -> list[dict[str, Any]]:
        """What happened on the game's line that matches ``query``: turn, field, excerpt."""
        ...


Handler = Callable[[StateStore, str, Scenario, dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class ToolSpec:
    """One game tool, declared once."""

    name: str
    description: str
    schema: dict[str, Any]
    run: Handler
    kind: Kind  # chance: rolls; world: changes the character or the world; read: only looks
    when: str  # when the game master uses it (one line of the system prompt)
    label: str  # what the page's log calls a call
    show: Show = "action"  # how the page shows a call
    backs: tuple[str, ...] = ()  # narrated changes (scorers' claim kinds) a success backs
    numbers: tuple[str, ...] = ()  # result fields whose numbers the narration may quote
    scores: Callable[[dict[str, Any]], dict[str, float]] | None = None

    @property
    def changes_state(self) -> bool:
        """True when a call may change the stored state (rolls advance the dice too)."""
        return self.kind != "read"

    @property
    def full_name(self) -> str:
        """The name the model calls: ``mcp__game__<name>``."""
        return f"mcp__{SERVER_NAME}__{self.name}"


def _obj(props: dict[str, Any], required: list[str]) -> dict[str, Any]:
    """A JSON Schema object."""
    return {"type": "object", "properties": props, "required": required}


ADVANTAGE_SCHEMA = {
    "type": "string",
    "enum": ["none", "advantage", "disadvantage"],
    "description": "Roll twice and keep the higher (advantage) or lower (disadvantage).",
}
ITEM_SCHEMA = _obj({"item": {"type": "string"}}, ["item"])


# ----------------------------------------------------------------------------- handlers


def _roll(store: StateStore, gid: str, sc: Scenario, x: dict[str, Any]) -> dict[str, Any]:
    notation, adv, reason = a.text(x, "notation"), a.advantage(x), a.text(x, "reason", False)
    result = store.update_state(gid, lambda s: rules.roll_dice(s, notation, adv))
    return {**result, "reason": reason}


def _check(store: StateStore, gid: str, sc: Scenario, x: dict[str, Any]) -> dict[str, Any]:
    skill, dc, adv = a.text(x, "skill"), a.integer(x, "dc"), a.advantage(x)
    result = store.update_state(gid, lambda s: rules.ability_check(s, skill, dc, adv))
    return {**result, "reason": a.text(x, "reason", False)}


def _sheet(store: StateStore, gid: str, sc: Scenario, x: dict[str, Any]) -> dict[str, Any]:
    state = store.read_state(gid)
    return {
        **state.character.to_dict(),
        "inventory": [sc.items[i].name for i in state.inventory],
        "location": sc.locations[state.location].name,
        "goal": sc.goal,
        "outcome": state.outcome,
    }


def _hp(store: StateStore, gid: str, sc: Scenario, x: dict[str, Any]) -> dict[str, Any]:
    amount, reason = a.integer(x, "amount"), a.text(x, "reason", False)
    return store.update_state(gid, lambda s: rules.change_hp(s, amount, reason))


def _condition(store: StateStore, gid: str, sc: Scenario, x: dict[str, Any]) -> dict[str, Any]:
    condition, active = a.text(x, "condition"), a.boolean(x, "active", True)
    return store.update_state(gid, lambda s: rules.set_condition(s, condition, active))


def _look(store: StateStore, gid: str, sc: Scenario, x: dict[str, Any]) -> dict[str, Any]:
    return rules.describe_location(store.read_state(gid), sc)


def _move(store: StateStore, gid: str, sc: Scenario, x: dict[str, Any]) -> dict[str, Any]:
    direction = a.text(x, "direction")
    return store.update_state(gid, lambda s: rules.move(s, sc, direction))


def _take(store: StateStore, gid: str, sc: Scenario, x: dict[str, Any]) -> dict[str, Any]:
    item = a.text(x, "item")
    return store.update_state(gid, lambda s: rules.take_item(s, sc, item))


def _drop(store: StateStore, gid: str, sc: Scenario, x: dict[str, Any]) -> dict[str, Any]:
    item = a.text(x, "item")
    return store.update_state(gid, lambda s: rules.drop_item(s, sc, item))


def _use(store: StateStore, gid: str, sc: Scenario, x: dict[str, Any]) -> dict[str, Any]:
    item = a.text(x, "item")
    return store.update_state(gid, lambda s: rules.use_item(s, sc, item))


def _lore(store: StateStore, gid: str, sc: Scenario, x: dict[str, Any]) -> dict[str, Any]:
    query = a.text(x, "query")
    return {"query": query, "results": lore_index(sc).search(query)}


RECALL_RESULTS = 5


def _recall(store: StateStore, gid: str, sc: Scenario, x: dict[str, Any]) -> dict[str, Any]:
    query = a.text(x, "query")
    hits = store.search_story(gid, query, limit=RECALL_RESULTS)
    results = []
    for hit in hits:
        found = {"turn": hit["turn"], "excerpt": hit["excerpt"], "from": hit["field"]}
        if hit.get("chapter") is not None:
            found["chapter"] = hit["chapter"]
        results.append(found)
    return {"query": query, "results": results}


def _rest(store: StateStore, gid: str, sc: Scenario, x: dict[str, Any]) -> dict[str, Any]:
    return store.update_state(gid, lambda s: short_rest(s, sc))


# ----------------------------------------------------------------------------- scores


def _check_scores(result: dict[str, Any]) -> dict[str, float]:
    """A check's success and margin."""
    if not isinstance(result.get("margin"), int):
        return {}
    return {
        "check_success": 1.0 if result.get("success") else 0.0,
        "check_margin": max(0.0, min(1.0, (result["margin"] + 10) / 20)),
    }


def _hp_scores(result: dict[str, Any]) -> dict[str, float]:
    """The danger of the HP lost."""
    if not isinstance(result.get("change"), int):
        return {}
    lost = max(0, -result["change"])
    return {"danger": min(1.0, lost / max(1, int(result.get("max_hp") or 1)))}


# ----------------------------------------------------------------------------- the tools

_SPECS = [
    ToolSpec(
        "roll_dice",
        "Roll dice in NdM+K notation (e.g. '2d6+1', max 20 dice of up to 100 sides). "
        "Use for damage and any random outcome. Always roll; never invent a number.",
        _obj(
            {
                "notation": {"type": "string", "description": "Dice like '1d20+2'."},
                "advantage": ADVANTAGE_SCHEMA,
                "reason": {"type": "string", "description": "What the roll is for."},
            },
            ["notation"],
        ),
        _roll,
        kind="chance",
        when="for damage and any other chance; report the numbers it returns",
        label="Roll",
        show="roll",
        numbers=("total", "modifier", "kept", "rolls"),
    ),
    ToolSpec(
        "ability_check",
        "Make the character's d20 ability or skill check against a difficulty class "
        "(5 easy, 10 medium, 15 hard, 20 very hard). Uses the character's modifiers.",
        _obj(
            {
                "skill": {
                    "type": "string",
                    "description": "An ability (strength…charisma) or skill "
                    "(athletics, stealth, perception, persuasion, …).",
                },
                "dc": {"type": "integer", "minimum": 1, "maximum": 30},
                "advantage": ADVANTAGE_SCHEMA,
                "reason": {"type": "string"},
            },
            ["skill", "dc"],
        ),
        _check,
        kind="chance",
        when="for any risky or uncertain action, with a DC by difficulty "
        "(5 easy, 10 medium, 15 hard, 20 very hard)",
        label="Check",
        show="check",
        numbers=("total", "natural", "d20", "dc", "modifier", "margin"),
        scores=_check_scores,
    ),
    ToolSpec(
        "get_character",
        "Read the character sheet: HP, abilities, skills, conditions, inventory, goal.",
        _obj({}, []),
        _sheet,
        kind="read",
        when="to read the sheet before relying on HP, abilities or inventory",
        label="Character sheet",
    ),
    ToolSpec(
        "change_hp",
        "Damage (negative amount) or heal (positive amount) the character. HP stays "
        "between 0 and max; at 0 the character dies and the game ends.",
        _obj(
            {
                "amount": {"type": "integer", "minimum": -100, "maximum": 100},
                "reason": {"type": "string"},
            },
            ["amount"],
        ),
        _hp,
        kind="world",
        when="for every wound and every healing",
        label="Hit points",
        backs=("damage", "heal", "hp"),
        numbers=("change", "requested", "hp", "max_hp"),
        scores=_hp_scores,
    ),
    ToolSpec(
        "set_condition",
        "Add or remove a condition (blinded, charmed, frightened, poisoned, prone, "
        "restrained, stunned, exhausted, blessed, hidden).",
        _obj(
            {"condition": {"type": "string"}, "active": {"type": "boolean"}},
            ["condition", "active"],
        ),
        _condition,
        kind="world",
        when="when a condition starts or ends",
        label="Condition",
    ),
    ToolSpec(
        "look_around",
        "Describe the current location: exits, locked exits, items lying here, people here.",
        _obj({}, []),
        _look,
        kind="read",
        when="when the player looks around or arrives somewhere",
        label="Look around",
    ),
    ToolSpec(
        "move",
        "Move the character through an exit, by direction (north, down, …) or by the "
        "destination's name. Fails if there is no such exit or it is locked.",
        _obj({"direction": {"type": "string"}}, ["direction"]),
        _move,
        kind="world",
        when="whenever the character goes somewhere",
        label="Move",
        backs=("move",),
    ),
    ToolSpec(
        "take_item",
        "Pick up an item lying at the current location. Fails if it is not here.",
        ITEM_SCHEMA,
        _take,
        kind="world",
        when="whenever the character picks something up",
        label="Take item",
        backs=("take",),
    ),
    ToolSpec(
        "drop_item",
        "Drop a carried item at the current location.",
        ITEM_SCHEMA,
        _drop,
        kind="world",
        when="whenever the character puts something down",
        label="Drop item",
        backs=("drop",),
    ),
    ToolSpec(
        "use_item",
        "Use a carried item. Consumables (bread, potions) are used up and may heal.",
        ITEM_SCHEMA,
        _use,
        kind="world",
        when="whenever the character uses, eats or drinks something they carry",
        label="Use item",
        backs=("use", "heal", "hp"),
        numbers=("healed", "hp", "max_hp"),
    ),
    ToolSpec(
        "search_lore",
        "Search the scenario's lore, places, items and people by keywords, e.g. what an "
        "NPC knows. Use before inventing facts about the world.",
        _obj({"query": {"type": "string"}}, ["query"]),
        _lore,
        kind="read",
        when="before inventing facts about people, places or history",
        label="Lore search",
    ),
    ToolSpec(
        "recall",
        "Search what has happened in this game so far (the player's words, your narration "
        "and chapter and arc summaries) by keywords. Returns turn numbers and excerpts, best "
        "first; 'from' says whether the player said it, you narrated it, or a chapter or arc "
        "summary (an arc sums up several chapters) ending at that turn.",
        _obj(
            {"query": {"type": "string", "description": "Keywords, e.g. 'Mara bridge warning'."}},
            ["query"],
        ),
        _recall,
        kind="read",
        when="before contradicting or inventing anything that happened earlier in the story",
        label="Recall",
    ),
    ToolSpec(
        "short_rest",
        "Take a short rest: spend one of the character's hit dice to regain 1dHD + CON HP. "
        "Fails with a foe present, at full HP, or with no hit dice left.",
        _obj({}, []),
        _rest,
        kind="world",
        when="when the player rests, away from danger, to recover hit points",
        label="Short rest",
        backs=("heal", "hp"),
        numbers=("rolled", "healed", "hp", "max_hp"),
    ),
]

TOOLS: dict[str, ToolSpec] = {spec.name: spec for spec in _SPECS}
ALLOWED_TOOL_NAMES = [spec.full_name for spec in TOOLS.values()]


def names(kind: Kind) -> list[str]:
    """The names of the tools of one kind, in registry order."""
    return [spec.name for spec in TOOLS.values() if spec.kind == kind]


def backing_tools(claim: str) -> list[str]:
    """The tools whose success backs a narrated claim of this kind (e.g. ``take``)."""
    return [spec.name for spec in TOOLS.values() if claim in spec.backs]


def prompt_guidance() -> str:
    """The system prompt's lines on the tools: one per tool, from the registry."""
    return "\n".join(f"  - {spec.name}: {spec.when}" for spec in TOOLS.values())


def page_catalog() -> dict[str, dict[str, str]]:
    """What the page needs to show a tool call: its label and how to draw it."""
    return {spec.name: {"label": spec.label, "show": spec.show} for spec in TOOLS.values()}


def short_name(name: str) -> str:
    """``mcp__game__roll_dice`` → ``roll_dice``; other names unchanged."""
    prefix = f"mcp__{SERVER_NAME}__"
    return name[len(prefix) :] if name.startswith(prefix) else name
