"""The tool registry: one declaration per tool, and everything that derives from it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from game_master import rules
from game_master.prompts import system_prompt
from game_master.tools import (
    ALLOWED_TOOL_NAMES,
    TOOLS,
    ToolOutcome,
    execute_tool,
    names,
    page_catalog,
)

REPO = Path(__file__).resolve().parents[2]
SCENARIO = rules.load_scenario()


class MemoryStore:
    """The two store calls tools make, on one in-memory state."""

    def __init__(self) -> None:
        """A fresh fighter."""
        self.state = rules.new_game_state("Ada", "fighter", SCENARIO, seed=3)
        self.recorded: list[dict[str, Any]] = []

    def read_state(self, game_id: str) -> rules.GameState:
        """The state."""
        return self.state

    def update_state(self, game_id: str, change: Any, record: Any = None) -> Any:
        """Apply on a copy; keep it only when the change succeeds (as the SQL store does),
        and keep the call's record as the running turn would."""
        copy = rules.GameState.from_dict(self.state.to_dict())
        result = change(copy)
        self.state = copy
        if record is not None:
            self.recorded.append(record(result))
        return result


def call(store: MemoryStore, name: str, args: Any) -> ToolOutcome:
    """Run one tool."""
    return execute_tool(store, "g1", SCENARIO, name, args)


def test_allowed_names_are_the_registry_under_the_game_server() -> None:
    """The model may call exactly the registered tools, as mcp__game__<name>."""
    assert [f"mcp__game__{name}" for name in TOOLS] == ALLOWED_TOOL_NAMES


def test_the_prompt_lists_every_tool_and_when_to_use_it() -> None:
    """The system prompt's tool guidance comes from the registry, one line a tool."""

    class Game:
        state = rules.new_game_state("Ada", "fighter", SCENARIO)

    prompt = system_prompt(SCENARIO, Game())  # type: ignore[arg-type]
    for spec in TOOLS.values():
        assert f"{spec.name}: {spec.when}" in prompt
    for name in names("world"):
        assert name in prompt.split("for every change")[0]


def test_the_page_gets_the_catalog_and_names_no_tool_itself(app: Flask) -> None:
    """The page shows calls from the served catalog; its script hard-codes no tool name."""
    html = app.test_client().get("/").get_data(as_text=True)
    block = re.search(r'<script id="gm-tools" type="application/json">(.*?)</script>', html, re.S)
    assert block and json.loads(block.group(1)) == page_catalog()
    modules = sorted((REPO / "static" / "js").glob("*.js"))
    assert modules, "the page's modules moved: look for them here"
    script = "\n".join(path.read_text() for path in modules)
    assert not [name for name in TOOLS if re.search(rf"\b{name}\b", script)]


def test_refusals_are_tool_errors_with_code_facts_and_message() -> None:
    """A rule's refusal reaches the model as {"error": {code, message, ...facts}}."""
    store = MemoryStore()
    out = call(store, "move", {"direction": "sideways"})
    assert out.is_error
    error = out.result["error"]
    assert error["code"] == "no_exit" and error["direction"] == "sideways"
    assert "sideways" in error["message"]
    payload = out.to_mcp()
    assert payload["is_error"] and json.loads(payload["content"][0]["text"]) == out.result


@pytest.mark.parametrize(
    ("name", "args", "argument"),
    [
        ("move", {}, "direction"),
        ("move", {"direction": "x" * 201}, "direction"),
        ("ability_check", {"skill": "athletics", "dc": "hard"}, "dc"),
        ("ability_check", {"skill": "athletics", "dc": True}, "dc"),
        ("set_condition", {"condition": "prone", "active": "yes"}, "active"),
        ("roll_dice", {"notation": "1d6", "advantage": 3}, "advantage"),
        ("take_item", [], "arguments"),
    ],
)
def test_bad_arguments_are_refused_by_name(name: str, args: Any, argument: str) -> None:
    """Wrong types and sizes never reach the rules; the refusal names the argument."""
    out = call(MemoryStore(), name, args)
    assert out.is_error and out.result["error"]["code"] == "bad_argument"
    assert out.result["error"]["argument"] == argument


def test_unknown_tools_are_refused() -> None:
    """A name outside the registry is a refusal, not an exception."""
    out = call(MemoryStore(), "summon_dragon", {})
    assert out.is_error and out.result["error"] == {
        "code": "unknown_tool",
        "message": "unknown tool 'summon_dragon'",
        "tool": "summon_dragon",
    }


def test_a_refused_change_leaves_the_state_as_it_was() -> None:
    """Nothing of a refused call is kept; a change that took effect is recorded with it."""
    store = MemoryStore()
    before = store.state.to_dict()
    assert call(store, "take_item", {"item": "crown"}).is_error
    assert store.state.to_dict() == before and store.recorded == []
    assert not call(store, "take_item", {"item": "bread"}).is_error
    [taken] = store.recorded
    assert (taken["name"], taken["input"], taken["is_error"]) == (
        "take_item",
        {"item": "bread"},
        False,
    )
    assert taken["result"]["taken"] == "bread"


def test_tools_score_themselves() -> None:
    """Checks score their margin, HP loss its danger, refusals rule_refusal."""
    store = MemoryStore()
    check = call(store, "ability_check", {"skill": "athletics", "dc": 10})
    assert set(check.scores()) == {"check_success", "check_margin"}
    hurt = call(store, "change_hp", {"amount": -7})
    assert hurt.scores() == {"danger": 0.5}
    assert call(store, "move", {"direction": "nowhere"}).scores() == {"rule_refusal": 1.0}
    assert call(store, "look_around", {}).scores() == {}


def test_short_rest_through_the_registry() -> None:
    """The short_rest tool heals a wounded character once, then is refused."""
    store = MemoryStore()
    assert call(store, "short_rest", {}).result["error"]["code"] == "full_hp"
    call(store, "change_hp", {"amount": -13})
    rest = call(store, "short_rest", {})
    assert not rest.is_error and rest.result["healed"] >= 1
    assert call(store, "short_rest", {}).result["error"]["code"] == "no_hit_dice"


def test_a_fight_through_the_registry_is_recorded_and_refusals_carry_their_facts() -> None:
    """attack changes the stored state (foe HP, the fight) and is recorded on the turn;
    talking to someone elsewhere is a typed refusal; ask and find_way only read."""
    store = MemoryStore()
    store.state.location = "bell_chamber"
    store.state.visited.append("bell_chamber")
    outcome = call(store, "attack", {"target": "the warden"})
    assert not outcome.is_error, outcome.result
    assert outcome.result["check"] == "attack" and "foe_turns" in outcome.result
    assert store.state.fight is not None or store.state.foes.get("warden", 99) <= 0
    assert store.recorded[-1]["name"] == "attack"
    refused = call(store, "ask", {"person": "Mara", "about": "the clapper"})
    assert refused.is_error and refused.result["error"]["code"] == "not_here"
    assert set(refused.result["error"]) == {"code", "message", "person", "seen_at"}
    assert {TOOLS[n].kind for n in ("ask", "find_way")} == {"read"}
    assert {TOOLS[n].kind for n in ("attack", "flee", "unlock")} == {"world"}
    for name in ("attack", "flee", "death_save", "unlock", "ask", "find_way"):
        assert TOOLS[name].schema["type"] == "object" and name in system_prompt_names()


def system_prompt_names() -> str:
    """The tool lines of the system prompt (they come from the registry)."""
    from game_master.tools import prompt_guidance

    return prompt_guidance()
