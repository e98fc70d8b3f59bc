"""Every failure after the player's message is stored ends the turn properly (issue 15).

A failure is injected at each step of a turn, one at a time: before play starts (reading
the game, connecting the CLI), while it plays, and while its result is recorded. After
each, the turn is stored as failed with its error, the lease is free (the next turn plays)
and a log line names the game and the turn.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from game_master.errors import StoreBusy
from game_master.service import GameService


def busy() -> Exception:
    """The store outage a step can meet (a GameMasterError)."""
    return StoreBusy("The game database is busy; try again in a moment.", retry_after=2)


def crash() -> Exception:
    """A bug or a driver error nobody mapped (not a GameMasterError)."""
    return RuntimeError("injected crash")


# (what fails, which call of it, the failure). Calls in a fresh game's first turn:
# get_game 1 = the service checks the game's scenario (before the message is stored: a
# failure there is a plain 503 and nothing to end), 2 = the pool reads the game to connect,
# 3 = the runtime checks the line, 4 = play_turn reads it; finish_turn 1 = recording
# "completed", 2 = recording the failure.
STEPS = [
    ("store", "get_game", 2, busy),
    ("store", "get_game", 3, crash),
    ("store", "get_game", 4, busy),
    ("master", "connect", 1, crash),
    ("store", "read_state", 0, crash),  # every call: tools report it, then play_turn meets it
    ("store", "finish_turn", 1, busy),
    ("store", "finish_turn", 2, crash),
]


def inject(
    monkeypatch: pytest.MonkeyPatch, target: Any, name: str, failing: set[int], make: Any
) -> None:
    """Make the given calls (1-based; 0: every call) of ``target.name`` raise ``make()``."""
    real = getattr(target, name)
    calls = {"n": 0}

    def fail_on(_: int) -> bool:
        calls["n"] += 1
        return 0 in failing or calls["n"] in failing

    if name == "connect":

        async def wrapped_async(*args: Any, **kwargs: Any) -> Any:
            if fail_on(0):
                raise make()
            return await real(*args, **kwargs)

        monkeypatch.setattr(target, name, wrapped_async)
        return

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if fail_on(0):
            raise make()
        return real(*args, **kwargs)

    monkeypatch.setattr(target, name, wrapped)


@pytest.mark.parametrize(("where", "name", "nth", "failure"), STEPS)
def test_a_failure_at_any_step_fails_the_turn_and_frees_the_game(
    make_app: Callable[..., Flask],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    where: str,
    name: str,
    nth: int,
    failure: Any,
) -> None:
    """Injected at one step: the turn ends failed with its error, the lease is released, a
    log line names game and turn, and the game's next turn plays."""
    app = make_app()
    svc: GameService = app.extensions["game_master"]
    runtime = svc.ensure_started()
    gid = svc.create_game({}).id
    # finish_turn 2 fails only after finish_turn 1 did, so the failure record fails too.
    failing = set(range(1, nth + 1)) if name == "finish_turn" else {nth}
    target = svc.store if where == "store" else runtime.master
    inject(monkeypatch, target, name, failing, failure)
    with caplog.at_level(logging.WARNING, logger="game_master"):
        handle = svc.start_turn(gid, "look around")
        events = list(handle.events(timeout=60))
    monkeypatch.undo()
    assert events[-1].name == "error", events[-1]
    turn = svc.store.get_turn(gid, handle.turn.id)
    assert turn.status == "failed" and turn.error_code, turn
    lines = [r.getMessage() for r in caplog.records]
    assert any(gid in line and turn.id in line for line in lines), lines
    lease = svc.store.read_one("SELECT lease_owner, lease_until FROM games WHERE id = ?", gid)
    assert tuple(lease) == (None, None), "the lease was not released"
    after = list(svc.start_turn(gid, "look around").events(timeout=60))
    assert after[-1].name == "turn.completed", after[-1]
