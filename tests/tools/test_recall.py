"""The recall tool: story memory through the registry, and through the real CLI with the
offline narrator, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from game_master import rules
from game_master.store import Store
from game_master.tools import TOOLS, execute_tool, prompt_guidance

from .test_play_through_cli import calls, play

SCENARIO = rules.load_scenario()


def told(db: Store, message: str, narration: str) -> str:
    """A game with one completed turn; its id."""
    gid = db.create_game(rules.new_game_state("Ada", "fighter", SCENARIO, seed=1)).id
    turn = db.begin_turn(gid, message, lease_owner="w", lease_seconds=60)
    db.finish_turn(turn.id, status="completed", narration=narration, tool_calls=[])
    return gid


def test_recall_is_a_read_tool_the_prompt_tells_of() -> None:
    """Declared once: a look, never a change, listed with when to use it."""
    spec = TOOLS["recall"]
    assert (spec.kind, spec.label, spec.changes_state) == ("read", "Recall", False)
    assert "recall: before contradicting or inventing" in prompt_guidance()


def test_recall_returns_turns_and_excerpts(db: Store) -> None:
    """The result is {query, results: [{turn, excerpt, from}]}."""
    gid = told(db, "ask Mara about the bridge", "Mara says the bridge washed away in spring.")
    out = execute_tool(db, gid, SCENARIO, "recall", {"query": " Mara's bridge "})
    assert not out.is_error
    assert out.result["query"] == "Mara's bridge"
    assert {(r["turn"], r["from"]) for r in out.result["results"]} == {
        (1, "narration"),
        (1, "player"),
    }
    assert all(set(r) == {"turn", "excerpt", "from"} for r in out.result["results"])


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        ({"query": ""}, "must be a non-empty string"),
        ({"query": "   \n\t"}, "must be a non-empty string"),
        ({"query": "bridge " * 40}, "must be at most 200 characters"),
        ({}, "must be a non-empty string"),
        ({"query": 7}, "must be a non-empty string"),
    ],
)
def test_bad_queries_are_refused_clearly(db: Store, args: dict[str, Any], reason: str) -> None:
    """Empty, blank, huge or missing queries: bad_argument naming the argument."""
    gid = told(db, "look", "A hall.")
    out = execute_tool(db, gid, SCENARIO, "recall", args)
    assert out.is_error
    error = out.result["error"]
    assert (error["code"], error["argument"], error["reason"]) == ("bad_argument", "query", reason)


@pytest.mark.parametrize(
    "query", ['"bridge', "bridge*", "NEAR(bridge)", "body:bridge ^x -y", "!!!", "a | b & !c"]
)
def test_search_syntax_is_a_safe_search(db: Store, query: str) -> None:
    """FTS and tsquery syntax in a query is searched as words, never an error."""
    gid = told(db, "look", "The bridge is out.")
    out = execute_tool(db, gid, SCENARIO, "recall", {"query": query})
    assert not out.is_error
    assert bool(out.result["results"]) == ("bridge" in query)


@pytest.fixture(params=["sqlite", "postgresql"])
def game_app(request: pytest.FixtureRequest, make_app: Callable[..., Flask]) -> Flask:
    """An offline app on SQLite or on PostgreSQL."""
    if request.param == "postgresql":
        return make_app(DATABASE_URL=request.getfixturevalue("pg_url"))
    return make_app()


def test_recall_the_bread_through_the_cli(game_app: Flask, make_app: Callable[..., Flask]) -> None:
    """ "recall the bread" after taking it: the model calls recall and tells turn 1; another
    app on the same database (a restart, another worker) remembers it too."""
    svc = game_app.extensions["game_master"]
    gid = svc.create_game({"character": {"name": "Ada", "class": "fighter"}}).id
    [take] = calls(play(svc, gid, "take the bread"), "take_item")
    assert not take.is_error
    play(svc, gid, "look around")

    events = play(svc, gid, "recall the bread")
    [recall] = calls(events, "recall")
    assert not recall.is_error and recall.input == {"query": "bread"}
    turns = [r["turn"] for r in recall.result["results"]]
    assert turns and set(turns) == {1}  # not turn 3, the question itself
    assert "You remember, from turn 1" in events[-1].narration

    events = play(svc, gid, "what did the dragon tell me")
    [none] = calls(events, "recall")
    assert none.result["results"] == [] and "nothing" in events[-1].narration.lower()

    other = make_app(DATABASE_URL=svc.settings.database_url)
    found = other.extensions["game_master"].store.search_story(gid, "bread")
    assert {h["turn"] for h in found} == {1, 3}
