"""Two app hosts behind the shipped nginx, sharing PostgreSQL and Redis: either serves a game,
and when one dies mid-turn the other takes the game over within 5 s with nothing lost."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from game_master.testing import DEBUG_HEADERS, REDIS_URL, BraintrustRecorder, in_ci
from game_master.testing.hosts import Hosts, accepted_turn, kill
from game_master.testing.nginx import nginx_missing

FAILOVER_S = 5.0


@pytest.fixture
def recorder() -> Iterator[BraintrustRecorder]:
    """A Braintrust stand-in on loopback, shared by both hosts."""
    with BraintrustRecorder() as rec:
        yield rec


def stream_until_killed(session: requests.Session, url: str, game_id: str, message: str) -> None:
    """Play a turn over SSE; its host is killed while it streams, so the stream breaks."""
    try:
        with session.post(
            f"{url}/api/games/{game_id}/turns",
            json={"message": message},
            headers={"Accept": "text/event-stream"},
            stream=True,
            timeout=60,
        ) as resp:
            for _ in resp.iter_lines():
                pass
    except requests.RequestException:
        pass  # the host died under it: expected


@pytest.mark.postgres
@pytest.mark.redis
def test_two_hosts_share_a_game_and_one_takes_over_when_the_other_dies(
    tmp_path: Path, pg_url: str, recorder: BraintrustRecorder
) -> None:
    """Through nginx, turns of one game land on both hosts (round robin, no sticky
    sessions); SIGKILL the host running a turn and the other accepts the game's next turn
    within 5 s; the dead turn is kept as interrupted with the player's words; every span
    that reached Braintrust hangs in the game's one trace, whichever host wrote it."""
    reason = nginx_missing()
    if reason:
        pytest.fail(reason) if in_ci() else pytest.skip(reason)
    env = {
        "DATABASE_URL": pg_url,
        "REDIS_URL": REDIS_URL,
        "BRAINTRUST_PROJECT": "gm-hosts",
        # Slow enough to kill a host while its turn streams (a turn takes ~2 s).
        "GM_OFFLINE_TOKENS_PER_S": "40",
        **recorder.env(),
    }
    with Hosts(tmp_path, 2, **env).start() as stack:
        player = requests.Session()  # one browser: its cookie owns the game on every host
        game_id = player.post(f"{stack.url}/api/games", json={}, timeout=30).json()["id"]
        for message in ("look around", "take the bread", "go west", "take the lantern"):
            accepted_turn(player, stack.url, game_id, message)
        assert all(n >= 1 for n in stack.turns_served()), stack.turns_served()
        for host in stack.hosts:  # what both hosts traced so far reaches the recorder
            requests.get(f"{host.url}/debug/tracing?flush=true", headers=DEBUG_HEADERS, timeout=30)

        doomed = threading.Thread(
            target=stream_until_killed, args=(player, stack.url, game_id, "go east")
        )
        doomed.start()
        deadline = time.monotonic() + 20
        while (victim := stack.busy_host()) is None:
            assert time.monotonic() < deadline, "the turn never started"
            time.sleep(0.05)
        kill(victim)
        killed_at = time.monotonic()
        doomed.join(30)

        accepted_at, done = accepted_turn(player, stack.url, game_id, "look around")
        failover = accepted_at - killed_at
        print(f"failover: {failover:.2f} s")
        assert failover <= FAILOVER_S, failover
        survivor = next(h for h in stack.hosts if h is not victim)
        game = player.get(f"{survivor.url}/api/games/{game_id}", timeout=30).json()

    turns = game["turns"]
    assert [t["player_message"] for t in turns] == [
        "look around", "take the bread", "go west", "take the lantern", "go east", "look around",
    ]  # fmt: skip
    dead = turns[4]
    assert dead["status"] == "failed" and dead["error"]["code"] == "interrupted", dead
    assert turns[5]["status"] == "completed" and turns[5]["id"] == done["turn_id"]
    spans = recorder.spans().values()
    turn_spans = [s for s in spans if (s.get("metadata") or {}).get("game_id") == game_id]
    assert len({s["root_span_id"] for s in turn_spans}) == 1
    assert done["trace"]["id"] in {s["id"] for s in spans}
