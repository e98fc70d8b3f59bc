"""Chapters through the real CLI and offline narrator, on SQLite and PostgreSQL: a small
context budget closes chapters, and the model's requests stay bounded."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from game_master import chapters
from game_master.offline.conversation import request_input_tokens
from game_master.service import GameService
from game_master.testing import chapter_per_turn_budget, new_game, play

ROUND = [
    "look around",
    "take the bread",
    "go east",
    "look around",
    "go west",
    "go north",
    "look around",
    "sneak past the villagers",
    "go south",
    "listen",
]


SMALL_BUDGET = 4500


@pytest.fixture(params=["sqlite", "postgresql"])
def small_budget(request: pytest.FixtureRequest, make_app: Callable[..., Flask]) -> Flask:
    """An offline app whose chapters close past SMALL_BUDGET context tokens (the tools and
    the system prompt alone are about 2,500)."""
    db = {"DATABASE_URL": request.getfixturevalue("pg_url")} if request.param != "sqlite" else {}
    return make_app(GM_CONTEXT_BUDGET_TOKENS=str(SMALL_BUDGET), **db)


def largest_request(svc: GameService, since: int) -> int:
    """The narrator's estimate of the largest Messages request after the first ``since``."""
    assert svc.narrator is not None
    bodies = [r["body"] for r in list(svc.narrator.requests)[since:]]
    return max(request_input_tokens(b) for b in bodies if isinstance(b, dict) and b.get("tools"))


def test_a_long_game_crosses_chapters_and_its_requests_stay_bounded(
    small_budget: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two chapter boundaries: each closes with a summary of its turns, the next request
    after a boundary is far smaller than the one before, requests never keep growing, and
    the context the SDK reports never passes the budget: a chapter closes when the next
    turn could pass it, not after."""
    measured = record_measurements(monkeypatch)
    client = small_budget.test_client()
    svc: GameService = small_budget.extensions["game_master"]
    svc.ensure_started()
    gid = new_game(client)
    sizes: list[int] = []
    chapters: list[int] = []
    for n in range(24):
        assert svc.narrator is not None
        seen = len(svc.narrator.requests)
        play(client, gid, ROUND[n % len(ROUND)])
        sizes.append(largest_request(svc, seen))
        chapters.append(len(client.get(f"/api/games/{gid}").get_json()["chronicle"]))
    assert chapters[-1] >= 2, chapters
    assert len(measured) >= 23 and max(measured) < SMALL_BUDGET, measured
    # Measured from each turn's own responses: the narrator was never asked to count.
    assert count_requests(svc) == 0
    chronicle = client.get(f"/api/games/{gid}").get_json()["chronicle"]
    assert [c["number"] for c in chronicle] == list(range(1, len(chronicle) + 1))
    assert chronicle[0]["first_turn"] == 1
    assert chronicle[1]["first_turn"] == chronicle[0]["last_turn"] + 1
    assert "Over turns 1-" in chronicle[0]["summary"]
    # What a request carries beyond the first turn's (the fixed prompt and one exchange):
    # the conversation so far, which a close replaces with the chronicle.
    grown = [size - sizes[0] for size in sizes]
    for closed in (c["last_turn"] for c in chronicle if c["last_turn"] < len(sizes)):
        # The turn after a close carries the chronicle instead of the whole conversation
        # (a chapter that closed on the last turn played has no turn after it here): its
        # growth over the first turn is about half the last one's (0.50 measured), while a
        # close that did not reset the conversation would grow it (about 1.1).
        assert grown[closed] < grown[closed - 1] * 0.8, (closed, sizes)
    first_close = chronicle[0]["last_turn"]
    assert max(sizes[first_close:]) <= max(sizes[:first_close]) * 1.15, sizes


def record_measurements(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The context sizes the chapter decision is given, turn by turn (None: none came)."""
    real = chapters.Chapters.after_turn
    measured: list[Any] = []

    async def recorded(self: Any, *args: Any, context_tokens: int | None = None) -> None:
        measured.append(context_tokens)
        await real(self, *args, context_tokens=context_tokens)

    monkeypatch.setattr(chapters.Chapters, "after_turn", recorded)
    return measured


def count_requests(svc: GameService) -> int:
    """How many /v1/messages/count_tokens requests the narrator got."""
    assert svc.narrator is not None
    paths = [str(r["path"]).split("?")[0] for r in list(svc.narrator.requests)]
    return sum(p.endswith("/count_tokens") for p in paths)


def test_the_context_is_measured_from_the_turns_last_response(
    make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    """After each turn the context's size is what its last model request carried (input,
    cache reads and writes, from that response's usage), as the CLI would count it, and
    measuring costs no request of its own: no count_tokens call reaches the model's API."""
    measured = record_measurements(monkeypatch)
    app = make_app(GM_CONTEXT_BUDGET_TOKENS="100000")
    client = app.test_client()
    svc: GameService = app.extensions["game_master"]
    svc.ensure_started()
    gid = new_game(client)
    for n, message in enumerate(("look around", "take the bread", "go east")):
        assert svc.narrator is not None
        seen = len(svc.narrator.requests)
        play(client, gid, message)
        assert eventually(lambda n=n: len(measured) == n + 1)  # measured after the answer
        last = narrator_requests(svc, seen)[-1]
        assert measured[-1] == request_input_tokens(last), measured
    assert len(measured) == 3 and measured[0] < measured[1] < measured[2], measured
    assert count_requests(svc) == 0


def test_rewinding_into_a_chapter_leaves_it_out_of_the_chronicle(small_budget: Flask) -> None:
    """A chapter belongs to its line: rewind before its end and it is gone from the story so
    far; switch back and it returns."""
    client = small_budget.test_client()
    gid = new_game(client)
    n = 0
    while not client.get(f"/api/games/{gid}").get_json()["chronicle"]:
        play(client, gid, ROUND[n % len(ROUND)])
        n += 1
        assert n < 30, "no chapter closed"
    [chapter] = client.get(f"/api/games/{gid}").get_json()["chronicle"]
    view = client.post(f"/api/games/{gid}/rewind", json={"to_turn": 2}).get_json()
    assert view["chronicle"] == []
    play(client, gid, "look around")
    old = [b for b in client.get(f"/api/games/{gid}/branches").get_json() if not b["active"]]
    view = client.post(f"/api/games/{gid}/branches/{old[0]['id']}/activate").get_json()
    assert view["chronicle"] == [chapter]


def test_a_failed_measurement_never_fails_the_turn(
    make_app: Callable[..., Flask],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """When the turn's responses carry no usage (an older CLI, a gateway that strips it)
    the context is counted by the SDK; it cannot report it once: that turn completes, the
    failure is logged, and the next turn measures again (and, past the budget, closes the
    chapter)."""
    import claude_agent_sdk

    from game_master import turn_reader

    monkeypatch.setattr(turn_reader, "context_size", lambda usage: None)

    real = claude_agent_sdk.ClaudeSDKClient.get_context_usage
    calls: list[int] = []

    async def flaky(self: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("context usage unavailable")
        return await real(self)

    monkeypatch.setattr(claude_agent_sdk.ClaudeSDKClient, "get_context_usage", flaky)
    app = make_app(GM_CONTEXT_BUDGET_TOKENS=chapter_per_turn_budget())
    client = app.test_client()
    gid = new_game(client)
    play(client, gid, "look around")
    # Measuring happens after the answer is out: wait for it.
    assert eventually(lambda: "could not measure the context" in caplog.text)
    assert client.get(f"/api/games/{gid}").get_json()["chronicle"] == []
    play(client, gid, "take the bread")
    assert eventually(lambda: bool(client.get(f"/api/games/{gid}").get_json()["chronicle"]))
    assert len(calls) == 2


def eventually(check: Callable[[], bool], seconds: float = 10) -> bool:
    """Poll ``check`` until it holds or time runs out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


def test_a_fact_from_an_early_chapter_is_recalled_after_the_boundary_and_a_restart(
    make_app: Callable[..., Flask],
) -> None:
    """The bread taken in chapter 1 is found by recall once that chapter has closed, and
    again after the app restarts on the same data."""
    app = make_app(GM_CONTEXT_BUDGET_TOKENS="4500")
    client = app.test_client()
    gid = new_game(client)
    play(client, gid, "take the bread")
    n = 0
    while not client.get(f"/api/games/{gid}").get_json()["chronicle"]:
        play(client, gid, ROUND[2 + n % 8])  # moves, looks and checks: no more bread
        n += 1
        assert n < 30, "no chapter closed"

    def recalled(c: Any) -> list[dict[str, Any]]:
        answer = play(c, gid, "recall the bread")
        [call] = [t for t in answer["tool_calls"] if t["name"] == "recall"]
        return list(call["result"]["results"])

    assert 1 in [r["turn"] for r in recalled(client)]
    app.extensions["game_master"].shutdown(grace_s=5)
    again = make_app().test_client()
    assert 1 in [r["turn"] for r in recalled(again)]


@pytest.fixture(params=["sqlite", "postgresql"])
def tiny_budget(request: pytest.FixtureRequest, make_app: Callable[..., Flask]) -> Flask:
    """An offline app whose context passes the budget (just above the fixed prompt) every
    turn: a chapter per turn."""
    db = {"DATABASE_URL": request.getfixturevalue("pg_url")} if request.param != "sqlite" else {}
    return make_app(GM_CONTEXT_BUDGET_TOKENS=chapter_per_turn_budget(), **db)


def system_text(body: dict[str, Any]) -> str:
    """The system prompt of a Messages request, as one string."""
    system = body.get("system")
    if isinstance(system, list):
        return "\n".join(str(b.get("text", "")) for b in system if isinstance(b, dict))
    return str(system or "")


def test_old_chapters_roll_into_arcs_in_what_a_fresh_session_is_told(
    tiny_budget: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With arcs of two chapters and one chapter kept on its own (the rule's numbers are
    tested in tests/store/test_chronicle.py): after three one-turn chapters, chapters 1-2
    are an arc; the next fresh session is told that arc and chapter 3, not chapter 1 on its
    own; recall still finds turn 1, and the state is the server's, whatever summaries say."""
    monkeypatch.setattr(chapters, "ARC_SPAN", 2)
    monkeypatch.setattr(chapters, "KEEP_CHAPTERS", 1)
    client = tiny_budget.test_client()
    svc: GameService = tiny_budget.extensions["game_master"]
    svc.ensure_started()
    gid = new_game(client)
    play(client, gid, "take the bread")
    n = 0
    while len(svc.store.chronicle(gid)) < 3:
        play(client, gid, ROUND[2 + n % 8])
        n += 1
        assert n < 10, "chapters did not close"
    assert eventually(lambda: len(svc.store.arcs(gid)) == 1)
    [arc] = svc.store.arcs(gid)
    assert (arc.level, arc.first_chapter, arc.last_chapter) == (1, 1, 2)
    state = client.get(f"/api/games/{gid}").get_json()["state"]
    assert svc.narrator is not None
    seen = len(svc.narrator.requests)
    answer = play(client, gid, "recall the bread")
    [told] = {system_text(b) for b in narrator_requests(svc, seen)}
    assert f"Chapters 1-2 (turns 1-{arc.last_turn}): " in told
    assert "Chapter 1 (turns" not in told and "Chapter 2 (turns" not in told
    assert "Chapter 3 (turns" in told
    [call] = [t for t in answer["tool_calls"] if t["name"] == "recall"]
    assert 1 in [r["turn"] for r in call["result"]["results"]]
    assert state["inventory"] == client.get(f"/api/games/{gid}").get_json()["state"]["inventory"]


def narrator_requests(svc: GameService, since: int = 0) -> list[dict[str, Any]]:
    """The Messages request bodies (with tools: game turns) the narrator got after ``since``."""
    assert svc.narrator is not None
    requests = list(svc.narrator.requests)[since:]
    bodies = [r["body"] for r in requests if r["path"].split("?")[0] == "/v1/messages"]
    return [b for b in bodies if isinstance(b, dict) and b.get("tools")]
