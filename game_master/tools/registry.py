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
from dataclasses import dataclass, replace
from typing import Any, Literal

from . import handlers as h
from .handlers import Handler, StateStore

__all__ = ["SERVER_NAME", "TOOLS", "Handler", "StateStore", "ToolSpec"]

SERVER_NAME = "game"
Kind = Literal["chance", "world", "read"]
Show = Literal["roll", "check", "action"]


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
CHARACTER = {
    "type": "string",
    "description": "In a party game, which character (by name); leave out for the player's own.",
}


def names_character(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with the optional ``character`` argument (a solo game never needs it)."""
    return {**schema, "properties": {**schema["properties"], "character": CHARACTER}}


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
        h.roll,
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
        h.for_character(h.check),
        kind="chance",
        when="for any risky or uncertain action, with a DC by difficulty "
        "(5 easy, 10 medium, 15 hard, 20 very hard)",
        label="Check",
        show="check",
        numbers=("total", "natural", "d20", "dc", "modifier", "margin"),
        scores=h.check_scores,
    ),
    ToolSpec(
        "get_character",
        "Read the character sheet: HP, abilities, skills, conditions, inventory, goal.",
        _obj({}, []),
        h.for_character(h.sheet),
        kind="read",
        when="to read the sheet before relying on HP, abilities or inventory",
        label="Character sheet",
    ),
    ToolSpec(
        "change_hp",
        "Damage (negative amount) or heal (positive amount) the character. HP stays "
        "between 0 and max; at 0 the character is down (death saves).",
        _obj(
            {
                "amount": {"type": "integer", "minimum": -100, "maximum": 100},
                "reason": {"type": "string"},
            },
            ["amount"],
        ),
        h.for_character(h.hp),
        kind="world",
        when="for every wound and every healing outside a fight (fights deal their own)",
        label="Hit points",
        backs=("damage", "heal", "hp"),
        numbers=("change", "requested", "hp", "max_hp"),
        scores=h.hp_scores,
    ),
    ToolSpec(
        "set_condition",
        "Add or remove a condition (blinded, charmed, frightened, poisoned, prone, "
        "restrained, stunned, exhausted, blessed, hidden).",
        _obj(
            {"condition": {"type": "string"}, "active": {"type": "boolean"}},
            ["condition", "active"],
        ),
        h.for_character(h.condition),
        kind="world",
        when="when a condition starts or ends",
        label="Condition",
    ),
    ToolSpec(
        "look_around",
        "Describe the current location: exits (and the words for each way), exits still "
        "locked, items lying here, people here (foes with what they guard, or defeated).",
        _obj({}, []),
        h.look,
        kind="read",
        when="when the player looks around or arrives somewhere",
        label="Look around",
    ),
    ToolSpec(
        "move",
        "Move the character through an exit, by direction (north, down, …), destination or "
        "the way's words ('the stairs'); a locked way opens if its key is carried. Fails if "
        "there is no such exit, it is locked, guarded, or a fight is on (flee instead).",
        _obj({"direction": {"type": "string"}}, ["direction"]),
        h.move,
        kind="world",
        when="whenever the character goes somewhere",
        label="Move",
        backs=("move",),
    ),
    ToolSpec(
        "take_item",
        "Pick up an item lying at the current location. Fails if it is not here or a foe "
        "guards it. In a fight the foes then take their turns.",
        ITEM_SCHEMA,
        h.take,
        kind="world",
        when="whenever the character picks something up",
        label="Take item",
        backs=("take",),
    ),
    ToolSpec(
        "drop_item",
        "Drop a carried item at the current location.",
        ITEM_SCHEMA,
        h.drop,
        kind="world",
        when="whenever the character puts something down",
        label="Drop item",
        backs=("drop",),
    ),
    ToolSpec(
        "use_item",
        "Use a carried item. A key unlocks its lock here; consumables (bread, potions) are "
        "used up and may heal. In a fight the foes then take their turns.",
        ITEM_SCHEMA,
        h.use,
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
        h.lore,
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
        h.recall,
        kind="read",
        when="before contradicting or inventing anything that happened earlier in the story",
        label="Recall",
    ),
    ToolSpec(
        "short_rest",
        "Take a short rest: spend one of the character's hit dice to regain 1dHD + CON HP. "
        "Fails with a foe standing here, at full HP, or with no hit dice left.",
        _obj({}, []),
        h.rest,
        kind="world",
        when="when the player rests, away from danger, to recover hit points",
        label="Short rest",
        backs=("heal", "hp"),
        numbers=("rolled", "healed", "hp", "max_hp"),
    ),
    ToolSpec(
        "attack",
        "Attack a foe here with a carried weapon (default: the best). The first attack rolls "
        "initiative; then every foe takes its turn by the rules. Returns the roll, damage, "
        "each foe's turn, the character's HP (down at 0) and what a defeated foe guarded.",
        _obj(
            {
                "target": {"type": "string"},
                "weapon": {"type": "string"},
            },
            [],
        ),
        h.attack,
        kind="world",
        when="whenever the character fights; never roll damage or change HP for a fight yourself",
        label="Attack",
        show="check",
        backs=("damage", "hp"),
        numbers=("total", "natural", "dc", "modifier", "dealt", "taken", "hp", "max_hp"),
        scores=h.check_scores,
    ),
    ToolSpec(
        "flee",
        "Break away from a fight through an exit (default: the way back); every foe first "
        "gets a free attack.",
        _obj({"direction": {"type": "string"}}, []),
        h.flee,
        kind="world",
        when="when the player runs from a fight (a plain move is refused while one is on)",
        label="Flee",
        backs=("move", "damage", "hp"),
        numbers=("taken", "hp", "max_hp"),
    ),
    ToolSpec(
        "death_save",
        "The down character's death saving throw for this turn (10+ succeeds; three "
        "successes: up with 1 HP; three failures: dead, the game is lost).",
        _obj({}, []),
        h.death_save,
        kind="chance",
        when="each turn while the character is down, whatever the player says",
        label="Death save",
        show="check",
        backs=("hp",),
        numbers=("natural", "total", "dc", "successes", "failures", "hp"),
    ),
    ToolSpec(
        "unlock",
        "Unlock a locked way here (direction or its words, e.g. 'the watergate') with the "
        "carried key; it stays unlocked. Fails naming the key it needs.",
        _obj({"way": {"type": "string"}, "key": {"type": "string"}}, []),
        h.unlock,
        kind="world",
        when="when the player unlocks or opens a locked way",
        label="Unlock",
        backs=("unlock",),
    ),
    ToolSpec(
        "ask",
        "Talk to a person here, about a thing, place or person (or just greet them). Returns "
        "what they say in their own words (quote it), their voice and their topics.",
        _obj(
            {
                "person": {"type": "string"},
                "about": {"type": "string"},
            },
            [],
        ),
        h.ask,
        kind="read",
        when="whenever the player talks to or asks someone",
        label="Talk",
    ),
    ToolSpec(
        "find_way",
        "Where a place, person or item the character has seen lies, and the exits there.",
        _obj({"to": {"type": "string"}}, ["to"]),
        h.find_way,
        kind="read",
        when="when the player asks where something is or the way to a place",
        label="Find the way",
    ),
]

# The tools that act on a character take an optional ``character`` (party play).
ACT_ON_A_CHARACTER = ("ability_check", "get_character", "change_hp", "set_condition")
_SPECS = [
    replace(spec, schema=names_character(spec.schema)) if spec.name in ACT_ON_A_CHARACTER else spec
    for spec in _SPECS
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
