"""Two hosts benchmark: ``python -m bench.hosts --players 10 --turns 6``.

Two app hosts (gunicorn, each with its own data folder) behind the shipped nginx, sharing
PostgreSQL and Redis, as in the README's "Running several hosts". N players each play a
game through nginx; midway the host running the most turns is SIGKILLed (master, workers and
CLIs: a machine losing power) and the players go on. Prints progress to stderr and one JSON
line to stdout: turns served per host, the failover time of every game that had a turn
running on the dead host (kill → its next turn accepted by the survivor), and turns lost
(a player's message missing from its game afterwards; must be 0).

Needs PostgreSQL (GM_TEST_PG_URL), Redis and Debian's nginx, like the tests.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import psycopg
import requests

from game_master.testing import PG_URL, REDIS_URL
from game_master.testing.hosts import Hosts, accepted_turn, kill

from .__main__ import SCRIPT, log, pct


class Player(threading.Thread):
    """One browser playing its game through nginx, turn after turn."""

    def __init__(self, url: str, turns: int, think_s: float) -> None:
        """Prepare; the game is made in ``run``."""
        super().__init__(daemon=True)
        self.url, self.turns, self.think_s = url, turns, think_s
        self.session = requests.Session()
        self.game_id = ""
        self.sent: list[str] = []
        self.failover_s: float | None = None
        self.error: str | None = None

    def run(self) -> None:
        """Play every turn; a turn broken by the kill is played on (the next is accepted)."""
        try:
            self.game_id = self.session.post(f"{self.url}/api/games", json={}, timeout=30).json()[
                "id"
            ]
            for i in range(self.turns):
                message = SCRIPT[i % len(SCRIPT)]
                self.sent.append(message)
                try:
                    accepted_turn(self.session, self.url, self.game_id, message, timeout=60)
                except requests.RequestException:
                    # Its host died mid-turn: the next turn measures the takeover.
                    broke_at = time.monotonic()
                    self.sent.append("look around")
                    accepted_at, _ = accepted_turn(
                        self.session, self.url, self.game_id, "look around", timeout=60
                    )
                    self.failover_s = accepted_at - max(broke_at, KILLED_AT[0])
                time.sleep(self.think_s)
        except Exception as exc:  # reported, never raised from a thread
            self.error = f"{type(exc).__name__}: {exc}"[:300]


KILLED_AT = [0.0]


def private_database() -> str:
    """A fresh schema on the test server, so the run starts from an empty store."""
    schema = f"gm_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=10)
    parser.add_argument("--turns", type=int, default=6)
    parser.add_argument("--think-ms", type=float, default=500)
    parser.add_argument("--tokens-per-s", type=float, default=40, help="offline narrator speed")
    parser.add_argument("--kill-after-s", type=float, default=8)
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="gm-bench-hosts-"))
    env = {
        "DATABASE_URL": private_database(),
        "REDIS_URL": REDIS_URL,
        "GM_OFFLINE_TOKENS_PER_S": str(args.tokens_per_s),
    }
    with Hosts(root, 2, **env).start() as stack:
        log(f"2 hosts behind nginx at {stack.url}; {args.players} players")
        players = [Player(stack.url, args.turns, args.think_ms / 1000) for _ in range(args.players)]
        for p in players:
            p.start()
        time.sleep(args.kill_after_s)
        before = stack.turns_served()
        victim = max(range(2), key=lambda i: before[i])
        log(f"turns served so far {before}; SIGKILL host {victim}")
        KILLED_AT[0] = time.monotonic()
        kill(stack.hosts[victim])
        for p in players:
            p.join(300)
        after = stack.turns_served()
        survivor = stack.hosts[1 - victim]
        lost = 0
        for p in players:
            if not p.game_id:
                continue
            game = p.session.get(f"{survivor.url}/api/games/{p.game_id}", timeout=30).json()
            stored = Counter(t["player_message"] for t in game["turns"])
            lost += sum((Counter(p.sent) - stored).values())
    failovers = [p.failover_s for p in players if p.failover_s is not None]
    result: dict[str, Any] = {
        "players": args.players,
        "turns_per_player": args.turns,
        "served_before_kill": before,
        "served_by_survivor_total": after[1 - victim],
        "games_taken_over": len(failovers),
        "failover_s_p50": pct(failovers, 50),
        "failover_s_max": round(max(failovers), 2) if failovers else None,
        "turns_lost": lost,
        "errors": [p.error for p in players if p.error],
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
