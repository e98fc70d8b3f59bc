"""Tracing through the real path: tracing.py set-up, real CLI turns, spans in memory."""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from braintrust import logger as bt_logger
from braintrust.test_helpers import init_test_logger, simulate_login, simulate_logout
from braintrust.util import LazyValue
from flask import Flask

import tracing
from game_master.player_words import envelope
from game_master.testing import LiveServer, new_game, play

PROJECT = "game-master-tests"


@pytest.fixture
def spans(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], dict[str, dict[str, Any]]]]:
    """Tracing set up by tracing.py with a test key; every span lands in memory.

    Yields a function that returns the logged spans merged by span id.
    """
    monkeypatch.setenv("BRAINTRUST_API_KEY", bt_logger.TEST_API_KEY)
    monkeypatch.setenv("BRAINTRUST_PROJECT", PROJECT)
    original_metadata = bt_logger._compute_logger_metadata
    simulate_login()
    init_test_logger(PROJECT)  # fakes project registration for every logger made after
    assert tracing.setup_tracing(force=True) is True
    with bt_logger._internal_with_memory_background_logger() as memory:
        # The override is thread-local; the agent loop and request threads log too.
        monkeypatch.setattr(
            bt_logger._state, "_global_bg_logger", LazyValue(lambda: memory, use_mutex=False)
        )

        def collect() -> dict[str, dict[str, Any]]:
            tracing.flush_tracing()
            merged: dict[str, dict[str, Any]] = {}
            for row in memory.pop():
                # Feedback rows carry only the rated span's row id.
                key = row.get("span_id") or f"feedback:{row['id']}"
                span = merged.setdefault(key, {})
                for key, value in row.items():
                    if isinstance(value, dict) and isinstance(span.get(key), dict):
                        span[key] = {**span[key], **value}
                    elif value is not None:
                        span[key] = value
            return merged

        yield collect
    tracing.reset_for_tests()
    bt_logger._compute_logger_metadata = original_metadata
    simulate_logout()


def name(span: dict[str, Any]) -> str:
    """A span's name."""
    return str(span.get("span_attributes", {}).get("name"))


def parent(span: dict[str, Any]) -> str | None:
    """A span's direct parent id."""
    parents = span.get("span_parents") or []
    return parents[0] if parents else None


def subtree(all_spans: dict[str, dict[str, Any]], root_id: str) -> list[dict[str, Any]]:
    """Every span below ``root_id`` (not including it)."""
    children = defaultdict(list)
    for span in all_spans.values():
        if parent(span):
            children[parent(span)].append(span)
    out, todo = [], [root_id]
    while todo:
        for child in children[todo.pop()]:
            out.append(child)
            todo.append(child["span_id"])
    return out


def turn_spans(all_spans: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The ``turn`` spans."""
    return [s for s in all_spans.values() if name(s) == "turn"]


def test_span_tree_of_one_turn(spans: Callable[[], dict[str, dict[str, Any]]], app: Flask) -> None:
    """turn → "Claude Agent" → LLM spans with token metrics, and the game tool's span."""
    client = app.test_client()
    gid = new_game(client)
    spans()  # forget anything before the turn
    body = play(client, gid, "take the bread")
    logged = spans()

    [turn] = turn_spans(logged)
    assert turn["input"] == "take the bread"
    assert turn["output"] == body["narration"]
    assert turn["metadata"]["game_id"] == gid
    assert turn["metadata"]["turn_number"] == 1
    assert turn["metadata"]["model"]
    assert body["trace"]["span_id"] == turn["span_id"]
    assert body["trace"]["id"] == turn["id"]
    # The turn's usage, prompt cache included, as Braintrust names it: prompt_tokens is the
    # whole prompt; the second request of the turn read the first one's prefix.
    usage = body["usage"]
    parts = ("input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")
    assert turn["metrics"]["prompt_tokens"] == sum(usage[k] for k in parts)
    assert turn["metrics"]["prompt_cached_tokens"] == usage["cache_read_input_tokens"] > 0
    assert turn["metrics"]["prompt_cache_creation_tokens"] == usage["cache_creation_input_tokens"]

    below = subtree(logged, turn["span_id"])
    [agent] = [s for s in below if name(s) == "Claude Agent"]
    assert parent(agent) == turn["span_id"]
    llms = [s for s in below if name(s) == "anthropic.messages.create"]
    assert len(llms) >= 2  # one call asks for the tool, one narrates its result
    assert all(s["metrics"].get("prompt_tokens", 0) > 0 for s in llms)
    assert all(s["metrics"].get("completion_tokens", 0) > 0 for s in llms)
    tools = [s for s in below if "take_item" in name(s)]
    assert tools, sorted(name(s) for s in below)
    assert tools[0]["input"] == {"item": "bread"}
    assert all(s["root_span_id"] == turn["root_span_id"] for s in below)


def test_parent_header_reparents_the_turn(
    spans: Callable[[], dict[str, dict[str, Any]]], app: Flask
) -> None:
    """A turn request carrying x-bt-parent-span becomes that span's child."""
    client = app.test_client()
    gid = new_game(client)
    logger = tracing.get_logger()
    with logger.start_span(name="client_turn") as outer:
        exported = outer.export()
    resp = client.post(
        f"/api/games/{gid}/turns",
        json={"message": "look around"},
        headers={"x-bt-parent-span": exported},
    )
    assert resp.status_code == 200
    logged = spans()
    [turn] = turn_spans(logged)
    assert parent(turn) == outer.span_id
    assert turn["root_span_id"] == outer.root_span_id


def test_concurrent_games_never_mix_spans(
    spans: Callable[[], dict[str, dict[str, Any]]], make_app: Callable[..., Flask]
) -> None:
    """Three games played at the same time on one loop: each SDK span under its own turn."""
    app = make_app(GM_OFFLINE_FIRST_TOKEN_MS="200", GM_OFFLINE_TOKENS_PER_S="300")
    client = app.test_client()
    actions = {"take the bread": "take_item", "look around": "look_around", "go west": "move"}
    games = {new_game(client): message for message in actions}
    spans()
    errors: list[BaseException] = []

    def run(gid: str, message: str) -> None:
        try:
            play(app.test_client(), gid, message)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=item) for item in games.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    logged = spans()
    turns = {t["metadata"]["game_id"]: t for t in turn_spans(logged)}
    assert set(turns) == set(games)
    for gid, message in games.items():
        turn = turns[gid]
        below = subtree(logged, turn["span_id"])
        tool_names = {name(s) for s in below if s["span_attributes"]["type"] == "tool"}
        assert any(actions[message] in n for n in tool_names), (message, tool_names)
        others = {actions[m] for m in games.values() if m != message}
        assert not any(o in n for o in others for n in tool_names), (message, tool_names)
        # The SDK's own span shows what the model was sent: the words in their envelope.
        assert [s for s in below if name(s) == "Claude Agent"][0]["input"] == envelope(message)
        assert all(s["root_span_id"] == turn["root_span_id"] for s in below)
    roots = {t["root_span_id"] for t in turns.values()}
    assert len(roots) == 3


def test_restore_logger_context_in_a_new_thread(spans: Callable[[], Any]) -> None:
    """A fresh thread has no logger in the contextvar; restore puts the stored one there."""
    seen: dict[str, Any] = {}

    def in_thread() -> None:
        seen["before"] = bt_logger._state._cv_logger.get()
        seen["restored"] = tracing.restore_logger_context()
        seen["after"] = bt_logger._state._cv_logger.get()
        seen["current"] = bt_logger.current_logger()
        seen["status"] = tracing.get_tracing_status()

    thread = threading.Thread(target=in_thread)
    thread.start()
    thread.join()
    assert seen["before"] is None
    assert seen["restored"] is True
    assert seen["after"] is tracing.get_logger()
    assert seen["current"] is tracing.get_logger()
    status = seen["status"]
    assert status["enabled"] is True and status["api_key_set"] is True
    assert status["context_logger"] and status["stored_logger"]
    assert bt_logger.TEST_API_KEY not in repr(status)


def test_restore_failure_warns_once_and_never_raises(
    spans: Callable[[], Any], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """If Braintrust's internals move, requests go on and the log gets one warning."""
    with monkeypatch.context() as patched, caplog.at_level(logging.WARNING):
        patched.setattr(bt_logger, "_state", object())
        for _ in range(5):
            assert tracing.restore_logger_context() is False
    warnings = [r for r in caplog.records if "restore" in r.getMessage()]
    assert len(warnings) == 1
    assert "restore_logger_context failed" in tracing.get_tracing_status()["error"]


def test_feedback_reaches_the_turn_span(
    spans: Callable[[], dict[str, dict[str, Any]]], app: Flask
) -> None:
    """A rating is logged as feedback on the rated turn's span, and stored."""
    client = app.test_client()
    gid = new_game(client)
    body = play(client, gid, "look around")
    spans()
    url = f"/api/games/{gid}/turns/{body['turn_id']}/feedback"
    assert client.post(url, json={"score": 0, "comment": "too short"}).status_code == 204
    logged = spans()
    feedback = [s for s in logged.values() if s.get("scores", {}).get("player_rating") == 0]
    assert feedback, logged
    assert feedback[0]["id"] == body["trace"]["id"]
    comments = [s for s in logged.values() if s.get("origin", {}).get("id") == body["trace"]["id"]]
    assert [c["comment"]["text"] for c in comments] == ["too short"]


def test_setup_without_key_is_disabled(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """No key: setup returns False and says "tracing disabled"; flush and restore no-op."""
    monkeypatch.delenv("BRAINTRUST_API_KEY", raising=False)
    tracing.reset_for_tests()
    with caplog.at_level(logging.INFO, logger="game_master.tracing"):
        assert tracing.setup_tracing(force=True) is False
    assert "tracing disabled" in caplog.text
    assert tracing.flush_tracing() is False
    assert tracing.restore_logger_context() is False
    status = tracing.get_tracing_status()
    assert status["enabled"] is False and status["api_key_set"] is False
    tracing.reset_for_tests()


def test_each_request_thread_gets_the_logger_back(
    spans: Callable[[], dict[str, dict[str, Any]]],
    app: Flask,
) -> None:
    """Over real HTTP every request runs in a fresh thread with an empty contextvar, and here
    with no process-wide fallback either: the app's before_request hook puts the stored
    logger there (as /debug/tracing reports from inside the request), on every request.
    A turn played that way lands its span. (The fallback is cleared by plain assignment:
    monkeypatch would put the test's logger back after the ``spans`` fixture has reset
    Braintrust, and later tests' spans would queue for a logger with no key.)"""
    bt_logger._state._local_logger = None
    stored = tracing.get_tracing_status()["stored_logger"]
    assert stored
    with LiveServer(app) as server:
        for _ in range(2):  # the hook must work on every request, not only the first
            bt_logger._state._local_logger = None
            status = requests.get(f"{server.url}/debug/tracing", timeout=30).json()
            assert status["context_logger"] == stored, status
        bt_logger._state._local_logger = None
        gid = requests.post(f"{server.url}/api/games", json={}, timeout=30).json()["id"]
        spans()
        bt_logger._state._local_logger = None
        resp = requests.post(
            f"{server.url}/api/games/{gid}/turns", json={"message": "look around"}, timeout=60
        )
        assert resp.status_code == 200, resp.text
    [turn] = turn_spans(spans())
    assert turn["metadata"]["game_id"] == gid
    assert resp.json()["trace"]["span_id"] == turn["span_id"]
