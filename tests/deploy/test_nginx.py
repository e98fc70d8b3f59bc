"""The shipped nginx configuration in front of the real gunicorn: slow clients, SSE, /debug.

Half-open connections (half a request header, then silence) each hold a gthread worker's
thread while it waits for the rest; more of them than the worker has threads freeze it.
Through deploy/nginx/ they never reach gunicorn. Debian's nginx runs as a foreground process
with a private prefix; missing, the tests skip outside CI and fail in CI.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests

from game_master.testing import DEBUG_HEADERS, Gunicorn, in_ci
from game_master.testing.nginx import Nginx, nginx_missing

THREADS = 4
ATTACKERS = 20  # half-open connections: five times the worker's threads
HALF_A_HEADER = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow"


@dataclass
class Stack:
    """gunicorn (1 worker, few threads) and nginx in front of it."""

    gunicorn: Gunicorn
    url: str  # nginx


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """gunicorn with one worker of four threads behind the shipped nginx configuration."""
    reason = nginx_missing()
    if reason:
        if in_ci():
            pytest.fail(reason)
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("nginx")
    gunicorn = Gunicorn(
        root / "data",
        GM_THREADS=str(THREADS),
        GM_PROXY_FIX="1",
        # A streamed turn takes ~1.5 s, so the test can see it arrive in pieces.
        GM_OFFLINE_TOKENS_PER_S="60",
    ).start()
    try:
        with Nginx(root, [gunicorn.port]).start() as proxy:
            yield Stack(gunicorn, proxy.url)
    finally:
        gunicorn.stop()


def half_open(url: str, count: int = ATTACKERS) -> list[socket.socket]:
    """``count`` connections that each send half a request header and then stay silent."""
    host, port = url.removeprefix("http://").split(":")
    socks = []
    for _ in range(count):
        sock = socket.create_connection((host, int(port)), timeout=5)
        sock.sendall(HALF_A_HEADER)
        socks.append(sock)
    time.sleep(0.5)  # let the server read what there is and start waiting for the rest
    return socks


def close_all(socks: list[socket.socket]) -> None:
    """End the attack."""
    for sock in socks:
        sock.close()


def play_turn(session: requests.Session, url: str, gid: str) -> tuple[list[str], float]:
    """Play a turn over SSE: the event names and how long after the first ``text`` event
    the stream ended (0 when the proxy held the stream back and delivered it at once)."""
    names: list[str] = []
    first_text = last = 0.0
    with session.post(
        f"{url}/api/games/{gid}/turns",
        json={"message": "look around"},
        headers={"Accept": "text/event-stream"},
        stream=True,
        timeout=30,
    ) as resp:
        assert resp.status_code == 200, resp.text
        assert resp.headers["Content-Type"].startswith("text/event-stream")
        for line in resp.iter_lines(decode_unicode=True):
            if line.startswith("event: "):
                names.append(line[7:])
                last = time.monotonic()
                if line == "event: text" and not first_text:
                    first_text = last
    return names, last - first_text


def test_a_fresh_player_plays_through_nginx_while_slow_clients_hang(stack: Stack) -> None:
    """Twenty half-open connections to nginx (the worker has four threads): the page loads,
    a game starts and a turn streams in pieces, all within seconds."""
    attack = half_open(stack.url)
    try:
        started = time.monotonic()
        player = requests.Session()
        page = player.get(f"{stack.url}/", timeout=5)
        assert page.status_code == 200 and "<html" in page.text.lower()
        created = player.post(f"{stack.url}/api/games", json={}, timeout=5)
        assert created.status_code == 201, created.text
        names, streamed_for = play_turn(player, stack.url, created.json()["id"])
        elapsed = time.monotonic() - started
    finally:
        close_all(attack)
    assert names[0] == "turn.started" and names[-1] == "turn.completed", names
    assert "text" in names and "state" in names
    # Buffering is off for the stream: the narration arrived over time, not in one piece.
    assert streamed_for > 0.3, streamed_for
    assert elapsed < 10, elapsed


def test_debug_tracing_is_closed_through_nginx(stack: Stack) -> None:
    """In production /debug/tracing answers only the token: not through nginx, not with a
    spoofed X-Real-IP: 127.0.0.1, not even a direct loopback caller; the token opens it."""
    assert requests.get(f"{stack.url}/debug/tracing", timeout=5).status_code == 403
    spoof = {"X-Real-IP": "127.0.0.1", "Forwarded": "for=127.0.0.1"}
    assert requests.get(f"{stack.url}/debug/tracing", headers=spoof, timeout=5).status_code == 403
    direct = requests.get(f"{stack.gunicorn.url}/debug/tracing", timeout=5)
    assert direct.status_code == 403, direct.text
    relayed = requests.get(f"{stack.url}/debug/tracing", headers=DEBUG_HEADERS, timeout=5)
    assert relayed.status_code == 200, relayed.text
    assert json.loads(relayed.text)["enabled"] is False


def test_without_nginx_the_same_attack_freezes_the_worker(stack: Stack) -> None:
    """The reason for the proxy, measured: the same twenty half-open connections straight
    to gunicorn hold all four threads, and the page times out; closing them frees it."""
    attack = half_open(stack.gunicorn.url)
    try:
        with pytest.raises(requests.Timeout):
            requests.get(f"{stack.gunicorn.url}/", timeout=3)
    finally:
        close_all(attack)
    deadline = time.monotonic() + 15
    while True:
        try:
            assert requests.get(f"{stack.gunicorn.url}/healthz", timeout=2).status_code == 200
            break
        except requests.RequestException:
            if time.monotonic() > deadline:
                raise
