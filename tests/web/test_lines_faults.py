"""Lines of play when things go wrong: a failed retry, a fork the CLI cannot make."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from game_master.service import GameService
from game_master.testing import new_game, play
from game_master.testing.stubs import Fault, FaultStub


@pytest.fixture
def flaky() -> Iterator[tuple[FaultStub, dict[str, bool]]]:
    """The offline narrator, failing every game request with a 500 while ``on``."""
    failing = {"on": False}
    stub = FaultStub(lambda n: Fault(500) if failing["on"] else None)
    yield stub, failing
    stub.stop()


def test_a_failed_retry_leaves_the_earlier_telling_and_state(
    make_app: Callable[..., Flask], flaky: tuple[FaultStub, dict[str, bool]]
) -> None:
    """The model fails during a retry: the answer says so, the first telling stays current
    with its state, and the failed telling is kept (nothing lost), not made current."""
    stub, failing = flaky
    app = make_app(
        ANTHROPIC_BASE_URL=stub.start(), ANTHROPIC_API_KEY="stub", GM_MODEL_MAX_RETRIES="0"
    )
    client = app.test_client()
    gid = new_game(client)
    first = play(client, gid, "take the bread")
    failing["on"] = True
    resp = client.post(f"/api/games/{gid}/turns/{first['turn_id']}/retry", json={})
    assert resp.status_code == 503
    error = resp.get_json()["error"]
    assert error["code"] == "agent_unavailable" and "try again" in error["message"]
    failing["on"] = False

    view = client.get(f"/api/games/{gid}").get_json()
    [turn] = view["turns"]
    assert turn["id"] == first["turn_id"] and turn["status"] == "completed"
    assert [i["id"] for i in view["inventory"]] == ["bread"]
    svc: GameService = app.extensions["game_master"]
    tellings = svc.store.alternatives(gid, first["turn_id"])
    assert [t.status for t in tellings] == ["completed", "failed"]
    # The game goes on from the first telling.
    play(client, gid, "look around")
    assert [t["id"] for t in client.get(f"/api/games/{gid}").get_json()["turns"]][0] == (
        first["turn_id"]
    )


def test_a_fork_whose_transcript_is_gone_falls_back_to_a_recap(app: Flask) -> None:
    """When the Claude transcript to branch from is lost, the rewound line still plays: a
    new session starts primed with a recap of the line's turns."""
    client = app.test_client()
    gid = new_game(client)
    play(client, gid, "look around")
    play(client, gid, "take the bread")
    resp = client.post(f"/api/games/{gid}/rewind", json={"to_turn": 1})
    assert resp.status_code == 200
    svc: GameService = app.extensions["game_master"]
    svc.ensure_started().evict(gid)
    with svc.store.transaction() as q:
        q("DELETE FROM claude_session_entries")
    for path in (svc.settings.data_dir / "claude").rglob("*.jsonl"):
        path.unlink()
    assert svc.narrator is not None
    seen = len(svc.narrator.requests)
    answer = play(client, gid, "look around")
    assert answer["narration"]
    systems: list[Any] = [r["body"].get("system") for r in list(svc.narrator.requests)[seen:]]
    assert any("The story so far" in str(s) for s in systems)
    assert all("take the bread" not in str(r["body"]) for r in list(svc.narrator.requests)[seen:])
