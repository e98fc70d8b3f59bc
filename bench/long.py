"""One long campaign: ``python -m bench.long --turns 1000``.

Plays ONE game through ``GameService`` directly (no HTTP) with the offline narrator at zero
latency, and prints one JSON line to stdout (progress goes to stderr every 50 turns):

* ``input_tokens_at``: the narrator's estimate of the largest Messages request of turns 50,
  250, 500 and 1,000 (``request_input_tokens`` on the bodies the narrator received);
  ``input_tokens_mean_41_60`` / ``..._981_1000`` average a window, because chapters make the
  curve a sawtooth; ``input_tokens_max`` is the largest request of the whole game.
* ``turn_ms_p50_first_100`` / ``turn_ms_p50_last_100``: wall time of a turn (start to
  ``turn.completed``), turns 1-100 and the last 100.
* ``chapters``: chapters closed (``GM_CONTEXT_BUDGET_TOKENS`` = ``budget``).
* ``resume_ms_p50``: after the game, the service is shut down and a new app is built on the
  same data dir; a turn is played on the evicted game 5 times (the first one also starts
  the new runtime), p50 of the turn's wall time; ``connect_ms_p50`` is the CLI connect alone.
* ``db_bytes``: the SQLite file plus its WAL.
* ``recall_hit_rate``: facts the player states at turns 5-20 are asked back with "recall ..."
  every 50 turns; the share of those recalls whose tool result contains the fact.
* ``memory``: peak PSS of the game's CLI and of this Python process (sampled every 50 turns).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from game_master import create_app
from game_master.events import TurnCompleted, TurnError
from game_master.memory import cli_children, process_memory, total_memory
from game_master.offline.conversation import request_input_tokens
from game_master.service import GameService
from game_master.testing import base_config

# A walk around the village that never ends the game: moves, looks, takes and drops, skill
# checks and talk, as a player would mix them.
CYCLE = [
    "look around",
    "take the bread",
    "go east",
    "take the rope",
    "talk to mara about the bell",
    "drop the rope",
    "listen at the door",
    "go west",
    "drop the bread",
    "go north",
    "talk to odo about the crypt",
    "investigate the altar",
    "go south",
    "go west",
    "take the lantern",
    "look around",
    "drop the lantern",
    "go east",
]
# (what the player says early on, how they ask for it later, the words that prove recall)
FACTS = [
    ("The password for the crypt door is thornwick.", "recall the crypt door password",
     "thornwick"),
    ("My sister is named Ysolde and she lives in Carrow.", "remember my sister", "ysolde"),
    ("I buried forty silver coins under the oak by the ferry.", "recall the buried coins",
     "oak"),
    ("The merchant Alaric owes me nine crowns.", "recall what the merchant owes me",
     "nine crowns"),
    ("My old captain was Brannoc of the Grey Company.", "remember my old captain", "brannoc"),
    ("The smugglers' secret sign is a blue feather.", "recall the smugglers secret sign",
     "blue feather"),
]  # fmt: skip
PLANT_TURNS = [5, 8, 11, 14, 17, 20]
RECALL_EVERY = 50
RESUMES = 5
PROBE_TURNS = (50, 250, 500, 1000)


QUIET = {"on": False}


def log(message: str) -> None:
    """Progress to stderr (unless --json-only)."""
    if not QUIET["on"]:
        print(f"[bench.long] {message}", file=sys.stderr, flush=True)


def message_for(turn: int, recalls: list[int]) -> tuple[str, int | None]:
    """The player's message at ``turn`` and, for a recall, which fact it asks for."""
    if turn in PLANT_TURNS:
        return FACTS[PLANT_TURNS.index(turn)][0], None
    if turn % RECALL_EVERY == 0:
        fact = len(recalls) % len(FACTS)
        recalls.append(fact)
        return FACTS[fact][1], fact
    return CYCLE[turn % len(CYCLE)], None


def play(svc: GameService, gid: str, message: str) -> tuple[float, TurnCompleted]:
    """Play one turn; (wall milliseconds, its completion event)."""
    started = time.perf_counter()
    events = list(svc.start_turn(gid, message).events(timeout=120))
    elapsed = (time.perf_counter() - started) * 1000
    last = events[-1]
    if isinstance(last, TurnError):
        raise RuntimeError(f"turn {message!r} failed: {last.code}: {last.message}")
    assert isinstance(last, TurnCompleted)
    return elapsed, last


def largest_request(svc: GameService) -> int:
    """Estimated input tokens of the largest Messages request since the last call."""
    assert svc.narrator is not None
    bodies = [
        r["body"]
        for r in list(svc.narrator.requests)
        if r["path"].split("?")[0].endswith("/v1/messages") and isinstance(r["body"], dict)
    ]
    svc.narrator.requests.clear()
    return max((request_input_tokens(b) for b in bodies), default=0)


def recalled(event: TurnCompleted, words: str) -> bool:
    """True when a recall tool result of the turn contains ``words``."""
    for call in event.tool_calls:
        if call.get("name", "").endswith("recall"):
            blob = json.dumps(call.get("result"), ensure_ascii=False).lower()
            if words in blob:
                return True
    return False


def p50(values: list[float]) -> float | None:
    """Median, rounded; None for no data."""
    return round(statistics.median(values), 1) if values else None


def mean(values: list[int]) -> float | None:
    """Mean, rounded; None for no data."""
    return round(statistics.fmean(values), 0) if values else None


def db_bytes(data_dir: Path) -> int:
    """Size of the SQLite database and its WAL."""
    return sum(p.stat().st_size for p in data_dir.glob("*.db*") if not p.name.endswith("-shm"))


def make_service(data_dir: Path, budget: int | None) -> GameService:
    """A production-like app (TESTING off) on ``data_dir``, offline at zero latency."""
    overrides: dict[str, Any] = {"TESTING": False}
    if budget is not None:
        overrides["GM_CONTEXT_BUDGET_TOKENS"] = str(budget)
    app = create_app(base_config(data_dir, **overrides))
    svc: GameService = app.extensions["game_master"]
    return svc


def run(turns: int, budget: int | None, data_dir: Path) -> dict[str, Any]:
    """Play the campaign, restart, resume; the figures as a dict."""
    svc = make_service(data_dir, budget)
    gid = svc.create_game({}).id
    times: list[float] = []
    tokens: list[int] = []
    recalls: list[int] = []
    hits: list[bool] = []
    peak_cli_pss = peak_py_pss = peak_cli_private = 0
    started = time.perf_counter()
    try:
        for turn in range(1, turns + 1):
            message, fact = message_for(turn, recalls)
            elapsed, done = play(svc, gid, message)
            times.append(elapsed)
            tokens.append(largest_request(svc))
            if fact is not None:
                hits.append(recalled(done, FACTS[fact][2]))
            if turn % 50 == 0 or turn == turns:
                clis = total_memory(cli_children())
                own = process_memory() or clis
                peak_cli_pss = max(peak_cli_pss, clis.pss)
                peak_cli_private = max(peak_cli_private, clis.private)
                peak_py_pss = max(peak_py_pss, own.pss)
                log(
                    f"turn {turn}: {elapsed:.0f} ms, {tokens[-1]} input tokens, "
                    f"chapters {len(svc.store.chronicle(gid))}, recalls {sum(hits)}/{len(hits)}, "
                    f"CLI PSS {clis.pss / 2**20:.0f} MB, {time.perf_counter() - started:.0f} s"
                )
        chapters = len(svc.store.chronicle(gid))
        used_budget = svc.settings.context_budget_tokens
    finally:
        svc.shutdown()
    resume_ms, connect_ms = resume(data_dir, gid, budget)
    last = max(1, turns - 99)
    mb = 2**20
    return {
        "turns": turns,
        "budget_tokens": used_budget,
        "input_tokens_at": {str(t): tokens[t - 1] for t in PROBE_TURNS if t <= turns},
        "input_tokens_mean_41_60": mean(tokens[40:60]),
        "input_tokens_mean_981_1000": mean(tokens[980:1000]),
        "input_tokens_max": max(tokens, default=0),
        "turn_ms_p50_first_100": p50(times[:100]),
        "turn_ms_p50_last_100": p50(times[last - 1 :]),
        "chapters": chapters,
        "resume_ms_p50": p50(resume_ms),
        "connect_ms_p50": p50(connect_ms),
        "db_bytes": db_bytes(data_dir),
        "recall_hit_rate": round(sum(hits) / len(hits), 3) if hits else None,
        "recalls": len(hits),
        "memory": {
            "cli_pss_mb_peak": round(peak_cli_pss / mb, 1),
            "cli_private_mb_peak": round(peak_cli_private / mb, 1),
            "python_pss_mb_peak": round(peak_py_pss / mb, 1),
        },
        "wall_s": round(time.perf_counter() - started, 1),
    }


def resume(data_dir: Path, gid: str, budget: int | None) -> tuple[list[float], list[float]]:
    """A new app on the same data: play a turn on the evicted game ``RESUMES`` times."""
    svc = make_service(data_dir, budget)
    turn_ms: list[float] = []
    connect_ms: list[float] = []
    try:
        for _ in range(RESUMES):
            elapsed, _done = play(svc, gid, "look around")
            turn_ms.append(elapsed)
            runtime = svc.ensure_started()
            session = runtime.pool.session(gid)  # the bench reads the pool's own figure
            if session is not None:
                connect_ms.append(session.connect_ms)
                # The turn measures its context after turn.completed: let it finish first.
                deadline = time.monotonic() + 30
                while session.busy and time.monotonic() < deadline:
                    time.sleep(0.01)
            runtime.evict(gid)
    finally:
        svc.shutdown()
    return turn_ms, connect_ms


def main(argv: list[str] | None = None) -> int:
    """Parse options, run, print the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=1000)
    parser.add_argument(
        "--budget", type=int, default=None, help="GM_CONTEXT_BUDGET_TOKENS (default: the app's)"
    )
    parser.add_argument("--json-only", action="store_true", help="no progress on stderr")
    args = parser.parse_args(argv)
    QUIET["on"] = args.json_only
    with tempfile.TemporaryDirectory() as tmp:
        result = run(args.turns, args.budget, Path(tmp))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
