"""The game's SDK MCP tools (server ``game``): the model's only way to act on a game.

Each tool validates its input and applies the change through :mod:`game_master.rules`
inside one store transaction. A refused change comes back as a tool result with
``is_error: True`` and a sentence the model can act on; it never raises into the turn.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from . import rules
from .lore import lore_index
from .rules import GameState, RuleError, Scenario
from .scoring import tool_scores

try:  # tracing is optional at run time
    import braintrust
except ImportError:  # pragma: no cover - braintrust is a declared dependency
    braintrust = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

SERVER_NAME = "game"
MAX_TEXT_ARG = 200
T = TypeVar("T")


class StateStore(Protocol):
    """What the tools need from the store: read, and change atomically."""

    def read_state(self, game_id: str) -> GameState:
        """The current state of a game."""
        ...

    def update_state(self, game_id: str, change: Callable[[GameState], T]) -> T:
        """Apply ``change`` to the state in one transaction; nothing is saved if it raises."""
        ...


@dataclass(frozen=True)
class ToolSpec:
    """One tool: what the model sees (name, description, schema) and what runs."""

    name: str
    description: str
    schema: dict[str, Any]
    run: Callable[[StateStore, str, Scenario, dict[str, Any]], dict[str, Any]]
    changes_state: bool


ADVANTAGE_SCHEMA = {
    "type": "string",
    "enum": ["none", "advantage", "disadvantage"],
    "description": "Roll twice and keep the higher (advantage) or lower (disadvantage).",
}


def _obj(props: dict[str, Any], required: list[str]) -> dict[str, Any]:
    """A JSON Schema object with no extra properties."""
    return {"type": "object", "properties": props, "required": required}


def _text(args: dict[str, Any], key: str, required: bool = True) -> str:
    """A bounded string argument; RuleError when missing or not a string."""
    value = args.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise RuleError(f"'{key}' must be a non-empty string")
    if len(value) > MAX_TEXT_ARG:
        raise RuleError(f"'{key}' must be at most {MAX_TEXT_ARG} characters")
    return value.strip()


def _int(args: dict[str, Any], key: str) -> int:
    """A whole-number argument; accepts integral floats and digit strings models send."""
    value = args.get(key)
    if isinstance(value, bool):
        raise RuleError(f"'{key}' must be a whole number")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        value = int(value.strip())
    if not isinstance(value, int):
        raise RuleError(f"'{key}' must be a whole number")
    return value


def _adv(args: dict[str, Any]) -> str:
    """The optional advantage argument."""
    value = args.get("advantage") or "none"
    if not isinstance(value, str):
        raise RuleError("'advantage' must be 'none', 'advantage' or 'disadvantage'")
    return value.strip().lower()


def _update(
    store: StateStore, game_id: str, change: Callable[[GameState], dict[str, Any]]
) -> dict[str, Any]:
    """Run a state change in the store's transaction."""
    return store.update_state(game_id, change)


def _roll(store: StateStore, gid: str, sc: Scenario, a: dict[str, Any]) -> dict[str, Any]:
    notation, adv, reason = _text(a, "notation"), _adv(a), _text(a, "reason", required=False)
    result = _update(store, gid, lambda s: rules.roll_dice(s, notation, adv))
    return {**result, "reason": reason}


def _check(store: StateStore, gid: str, sc: Scenario, a: dict[str, Any]) -> dict[str, Any]:
    skill, dc, adv = _text(a, "skill"), _int(a, "dc"), _adv(a)
    result = _update(store, gid, lambda s: rules.ability_check(s, skill, dc, adv))
    return {**result, "reason": _text(a, "reason", required=False)}


def _sheet(store: StateStore, gid: str, sc: Scenario, a: dict[str, Any]) -> dict[str, Any]:
    state = store.read_state(gid)
    return {
        **state.character.to_dict(),
        "inventory": [sc.items[i].name for i in state.inventory],
        "location": sc.locations[state.location].name,
        "goal": sc.goal,
        "outcome": state.outcome,
    }


def _hp(store: StateStore, gid: str, sc: Scenario, a: dict[str, Any]) -> dict[str, Any]:
    amount, reason = _int(a, "amount"), _text(a, "reason", required=False)
    return _update(store, gid, lambda s: rules.change_hp(s, amount, reason))


def _condition(store: StateStore, gid: str, sc: Scenario, a: dict[str, Any]) -> dict[str, Any]:
    condition = _text(a, "condition")
    active = a.get("active", True)
    if not isinstance(active, bool):
        raise RuleError("'active' must be true or false")
    return _update(store, gid, lambda s: rules.set_condition(s, condition, active))


def _look(store: StateStore, gid: str, sc: Scenario, a: dict[str, Any]) -> dict[str, Any]:
    return rules.describe_location(store.read_state(gid), sc)


def _move(store: StateStore, gid: str, sc: Scenario, a: dict[str, Any]) -> dict[str, Any]:
    direction = _text(a, "direction")
    return _update(store, gid, lambda s: rules.move(s, sc, direction))


def _take(store: StateStore, gid: str, sc: Scenario, a: dict[str, Any]) -> dict[str, Any]:
    item = _text(a, "item")
    return _update(store, gid, lambda s: rules.take_item(s, sc, item))


def _drop(store: StateStore, gid: str, sc: Scenario, a: dict[str, Any]) -> dict[str, Any]:
    item = _text(a, "item")
    return _update(store, gid, lambda s: rules.drop_item(s, sc, item))


def _use(store: StateStore, gid: str, sc: Scenario, a: dict[str, Any]) -> dict[str, Any]:
    item = _text(a, "item")
    return _update(store, gid, lambda s: rules.use_item(s, sc, item))


def _lore(store: StateStore, gid: str, sc: Scenario, a: dict[str, Any]) -> dict[str, Any]:
    query = _text(a, "query")
    return {"query": query, "results": lore_index(sc).search(query)}


TOOLS: dict[str, ToolSpec] = {
    spec.name: spec
    for spec in [
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
            True,
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
            True,
        ),
        ToolSpec(
            "get_character",
            "Read the character sheet: HP, abilities, skills, conditions, inventory, goal.",
            _obj({}, []),
            _sheet,
            False,
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
            True,
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
            True,
        ),
        ToolSpec(
            "look_around",
            "Describe the current location: exits, locked exits, items lying here, people here.",
            _obj({}, []),
            _look,
            False,
        ),
        ToolSpec(
            "move",
            "Move the character through an exit, by direction (north, down, …) or by the "
            "destination's name. Fails if there is no such exit or it is locked.",
            _obj({"direction": {"type": "string"}}, ["direction"]),
            _move,
            True,
        ),
        ToolSpec(
            "take_item",
            "Pick up an item lying at the current location. Fails if it is not here.",
            _obj({"item": {"type": "string"}}, ["item"]),
            _take,
            True,
        ),
        ToolSpec(
            "drop_item",
            "Drop a carried item at the current location.",
            _obj({"item": {"type": "string"}}, ["item"]),
            _drop,
            True,
        ),
        ToolSpec(
            "use_item",
            "Use a carried item. Consumables (bread, potions) are used up and may heal.",
            _obj({"item": {"type": "string"}}, ["item"]),
            _use,
            True,
        ),
        ToolSpec(
            "search_lore",
            "Search the scenario's lore, places, items and people by keywords, e.g. what an "
            "NPC knows. Use before inventing facts about the world.",
            _obj({"query": {"type": "string"}}, ["query"]),
            _lore,
            False,
        ),
    ]
}

ALLOWED_TOOL_NAMES = [f"mcp__{SERVER_NAME}__{name}" for name in TOOLS]


@dataclass(frozen=True)
class ToolOutcome:
    """A tool's result as the model and the page see it."""

    name: str
    result: dict[str, Any]
    is_error: bool

    def to_mcp(self) -> dict[str, Any]:
        """The MCP tool-result payload."""
        text = json.dumps(self.result, ensure_ascii=False)
        return {"content": [{"type": "text", "text": text}], "is_error": self.is_error}


def execute_tool(
    store: StateStore, game_id: str, scenario: Scenario, name: str, args: Any
) -> ToolOutcome:
    """Run one tool synchronously; rule refusals and bad input become error outcomes."""
    spec = TOOLS.get(name)
    if spec is None:
        return ToolOutcome(name, {"error": f"unknown tool {name!r}"}, True)
    if not isinstance(args, dict):
        return ToolOutcome(name, {"error": "arguments must be a JSON object"}, True)
    try:
        outcome = ToolOutcome(name, spec.run(store, game_id, scenario, args), False)
    except RuleError as exc:
        outcome = ToolOutcome(name, {"error": str(exc)}, True)
    _log_scores(outcome)
    return outcome


def _log_scores(outcome: ToolOutcome) -> None:
    """Put the call's scores on the current (tool) span; a no-op when tracing is off."""
    scores = tool_scores(outcome.name, outcome.result, outcome.is_error)
    if braintrust is None or not scores:
        return
    try:
        braintrust.current_span().log(scores=scores)
    except Exception:  # telemetry never breaks a tool
        log.debug("could not log tool scores", exc_info=True)


ToolExecutor = Callable[[str, dict[str, Any]], Awaitable[ToolOutcome]]


def local_executor(store: StateStore, game_id: str, scenario: Scenario) -> ToolExecutor:
    """Run tools in this process, off the event loop (the store does blocking I/O)."""

    async def run(name: str, args: dict[str, Any]) -> ToolOutcome:
        return await asyncio.to_thread(execute_tool, store, game_id, scenario, name, args)

    return run


def build_mcp_server(executor: ToolExecutor) -> Any:
    """The ``game`` SDK MCP server whose handlers call ``executor``.

    ``claude_agent_sdk.tool`` is looked up at call time so that Braintrust's
    ``setup_claude_agent_sdk`` (which replaces ``SdkMcpTool``) wraps every handler.
    """
    import claude_agent_sdk

    def make(spec: ToolSpec) -> Any:
        async def handler(args: dict[str, Any]) -> dict[str, Any]:
            try:
                outcome = await executor(spec.name, args)
            except Exception as exc:  # a broken tool must not end the turn
                log.exception("tool %s failed", spec.name)
                outcome = ToolOutcome(spec.name, {"error": f"tool failed: {exc}"}, True)
            return outcome.to_mcp()

        return claude_agent_sdk.tool(spec.name, spec.description, spec.schema)(handler)

    return claude_agent_sdk.create_sdk_mcp_server(
        SERVER_NAME, version="1.0.0", tools=[make(s) for s in TOOLS.values()]
    )
