"""Party benchmark: ``python -m bench.party --parties 8 --players 4 --rounds 3``.

Starts the app under gunicorn (``--workers``, default 2) on PostgreSQL with the offline
narrator and a fixed model latency (``--model-ms``, default 1500: the wait before the first
token of every Messages request). Each party is a host and ``--players - 1`` players joined by
invite over HTTP (game_master.client.PartyClient); every seat follows the table's stream.
Each round, every seat thinks ``--think-s`` (±50 %) and acts; the last awaited action
resolves the round. Then a solo phase plays one turn per party the solo way, as a baseline.

One JSON line on stdout:

* ``resolve_to_first_text_ms_p50/p99``: from the completing action's 202 to the first
  ``text`` delta, at every seat (one sample per seat per round);
* ``solo_first_text_ms_p50``: a solo turn, from sending it to its first ``text`` delta;
* ``fanout_cost_ms_p50``: the first minus the second (the table's fan-out over a solo turn);
* ``actions_lost``: actions answered 202 that the resolved rounds do not show (must be 0;
  a round left unresolved because a seat failed shows in ``errors`` instead).

``--split`` starts two app instances (own data folders, one database, one SECRET_KEY) and
seats each party's players on both in turn, so every round's events cross instances through
PostgreSQL LISTEN/NOTIFY.

Needs PostgreSQL (GM_TEST_PG_URL); figures in the README.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path

import requests

from game_master.client import PartyClient
from game_master.testing import Gunicorn

from .__main__ import log, pct
from .hosts import private_database


class Seat(threading.Thread):
    """One seat: follows the table, acts each round after thinking, records timings."""

    def __init__(self, client: PartyClient, party: Party, index: int) -> None:
        """A seat of ``party``."""
        super().__init__(daemon=True)
        self.client = client
        self.party = party
        self.index = index
        self.first_text: dict[str, float] = {}  # turn id → when its first delta arrived here
        self.ended = threading.Semaphore(0)  # released at each round's end seen here
        self.sent: dict[int, str] = {}  # round → the words answered 202

    def follow(self) -> None:
        """Read the table stream until the party is over."""
        for name, data in self.client.follow():
            if name == "text" and data["turn_id"] not in self.first_text:
                self.first_text[data["turn_id"]] = time.perf_counter()
            elif name in ("turn.completed", "error"):
                self.ended.release()
            if self.party.over.is_set():
                return

    def run(self) -> None:
        """Play the rounds."""
        threading.Thread(target=self.follow, daemon=True).start()
        for number in range(1, self.party.rounds + 1):
            time.sleep(self.party.think_s * random.uniform(0.5, 1.5))
            words = f"Seat {self.index} tries thing {number}"
            try:
                answer = self.client.act(words)
            except Exception as exc:  # a refused action is an error, not a lost one
                self.party.errors.append(repr(exc))
                return
            self.sent[answer["round"]] = words
            if answer["waiting_for"] == []:
                self.party.resolved_at[answer["round"]] = time.perf_counter()
            if not self.ended.acquire(timeout=120):
                self.party.errors.append(f"seat {self.index}: round {number} never ended")
                return


class Party:
    """A game with its seats."""

    def __init__(self, urls: list[str], players: int, rounds: int, think_s: float) -> None:
        """Create the game on the first app instance and seat everyone, seat ``i`` on
        instance ``i mod len(urls)`` (``--split``: the table spans two instances)."""
        url = urls[0]
        self.rounds = rounds
        self.think_s = think_s
        self.over = threading.Event()
        self.errors: list[str] = []
        self.resolved_at: dict[int, float] = {}
        host = PartyClient(url, timeout=300)
        self.game_id = host.create("Host", "fighter")
        clients = [host]
        for n in range(1, players):
            guest = PartyClient(urls[n % len(urls)], timeout=300)
            guest.join(host.invite(), character={"name": f"Guest{n}", "class": "rogue"})
            clients.append(guest)
        self.host = host
        self.seats = [Seat(c, self, i) for i, c in enumerate(clients)]

    def samples(self, url: str) -> tuple[list[float], int]:
        """Resolve → first text at each seat (ms), and the actions lost."""
        game = self.host.session.get(f"{url}/api/games/{self.game_id}", timeout=30).json()
        rounds = [t for t in game["turns"] if "actions" in t]
        samples = []
        for number, turn in enumerate(rounds, 1):
            start = self.resolved_at.get(number)
            for seat in self.seats:
                if start is not None and turn["id"] in seat.first_text:
                    samples.append((seat.first_text[turn["id"]] - start) * 1000)
        shown = {
            (n, a["player_id"]): a["message"] for n, t in enumerate(rounds, 1) for a in t["actions"]
        }
        lost = 0
        for seat in self.seats:
            for number, words in seat.sent.items():
                # A round that never resolved (a seat failed: see errors) is not a loss.
                if number <= len(rounds) and shown.get((number, seat.client.player_id)) != words:
                    lost += 1
        return samples, lost


def solo_first_text(url: str, model_ms: float, n: int) -> list[float]:
    """Time from sending a solo turn to its first text delta (ms), ``n`` games."""
    values = []
    for _ in range(n):
        gid = requests.post(f"{url}/api/games", json={}, timeout=30).json()["id"]
        sent = time.perf_counter()
        with requests.post(
            f"{url}/api/games/{gid}/turns",
            json={"message": "look around"},
            headers={"Accept": "text/event-stream"},
            stream=True,
            timeout=300,
        ) as resp:
            for line in resp.iter_lines(decode_unicode=True):
                if line == "event: text":
                    values.append((time.perf_counter() - sent) * 1000)
                    break
    return values


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--parties", type=int, default=8)
    parser.add_argument("--players", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--model-ms", type=float, default=1500)
    parser.add_argument("--think-s", type=float, default=3.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", default=None)
    parser.add_argument(
        "--split",
        action="store_true",
        help="two app instances (own data folders, one PostgreSQL): each party's seats "
        "alternate between them, so the table fans out across instances",
    )
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="gm-bench-party-"))
    env = {
        "DATABASE_URL": args.database_url or private_database(),
        "GM_OFFLINE_FIRST_TOKEN_MS": str(args.model_ms),
        "GM_OFFLINE_TOKENS_PER_S": "0",
        "GM_SSE_HEARTBEAT_S": "30",
        "GM_ROUND_SECONDS": "600",
        # Every seat's table stream holds a gunicorn thread while it is open: 32 seats on
        # 2 workers of the default 16 threads leave none for the API calls.
        "GM_THREADS": "64",
    }
    env["SECRET_KEY"] = uuid.uuid4().hex  # shared, as by hosts behind one proxy
    servers = [
        Gunicorn(work / f"data{i}", workers=args.workers, **env).start(timeout=60)
        for i in range(2 if args.split else 1)
    ]
    urls = [server.url for server in servers]
    try:
        log(f"{args.parties} parties x {args.players} players x {args.rounds} rounds")
        parties = [
            Party(urls, args.players, args.rounds, args.think_s) for _ in range(args.parties)
        ]
        for party in parties:
            for seat in party.seats:
                seat.start()
        for party in parties:
            for seat in party.seats:
                seat.join(args.rounds * (args.think_s * 2 + 120))
            party.over.set()
        samples: list[float] = []
        lost = 0
        errors: dict[str, int] = defaultdict(int)
        for party in parties:
            got, missing = party.samples(urls[0])
            samples += got
            lost += missing
            for error in party.errors:
                errors[error[:80]] += 1
        log(f"solo baseline: {args.parties} turns")
        solo = solo_first_text(urls[0], args.model_ms, args.parties)
    finally:
        for server in servers:
            server.stop()
    party_p50, solo_p50 = pct(samples, 50), pct(solo, 50)
    print(
        json.dumps(
            {
                "parties": args.parties,
                "players": args.players,
                "rounds": args.rounds,
                "workers": args.workers,
                "instances": len(urls),
                "model_ms": args.model_ms,
                "samples": len(samples),
                "resolve_to_first_text_ms_p50": party_p50,
                "resolve_to_first_text_ms_p99": pct(samples, 99),
                "solo_first_text_ms_p50": solo_p50,
                "fanout_cost_ms_p50": (
                    round(party_p50 - solo_p50, 1) if party_p50 is not None and solo_p50 else None
                ),
                "actions_lost": lost,
                "errors": dict(errors),
            }
        )
    )
    return 0 if lost == 0 and not errors else 1


if __name__ == "__main__":
    random.seed(7)
    raise SystemExit(main())
