"""One long campaign: ``python -m bench.long --turns 10000``.

Plays ONE game through ``GameService`` directly (no HTTP) with the offline narrator at zero
latency, every turn through the real CLI, and prints one JSON line to stdout (progress goes
to stderr every 50 turns):

* ``input_tokens_at``: the narrator's estimate of the largest Messages request of turns 50,
  250, 500, 1,000, 2,500, 5,000 and 10,000 (``request_input_tokens`` on the bodies it
  received); ``input_tokens_mean_first_1000`` / ``..._last_1000`` average whole stretches,
  because chapters make the curve a sawtooth (``..._41_60`` and ``..._last_20`` short
  windows); ``input_tokens_max`` is the largest request of the whole game.
* ``cost``: dollars at list prices for ``model`` (``game_master/prices.toml``) from each
  turn's usage as the narrator bills it (prompt cache included): the turns 50, 1,000 and
  10,000 alone, the mean per turn over the same stretches, and ``model_summaries_per_turn``,
  an estimate of what the summary requests would add with a model writing them (the
  narrator's summaries come from the turn log, without a request): per chapter and arc, the
  context read from the cache, the request written and 300 tokens of answer.
* ``turn_ms_p50_first_100`` / ``turn_ms_p50_last_100``: wall time of a turn (start to
  ``turn.completed``), turns 1-100 and the last 100.
* ``chapters`` / ``arcs`` / ``chronicle_entries``: chapters closed, arcs rolled up, and how
  many summaries a fresh session is told at the end (``GM_CONTEXT_BUDGET_TOKENS`` =
  ``budget_tokens``).
* ``facts_recall``: the player states ``--facts`` facts at turns 2, 3, ... (chapter 1 at the
  default budget; ``in_chapter_1`` says how many were) and, after the last turn, asks each
  one back ("recall the crypt door password"): ``found`` counts recall results holding the
  fact's words, ``planting_turn`` those that list the very turn it was stated on.
* ``recall_hit_rate``: every 50th turn asks one fact back too; the share found.
* ``resume_ms_p50``: after the game, the service is shut down and a new app is built on the
  same data dir; a turn is played on the evicted game 5 times (the first one also starts
  the new runtime), p50 of the turn's wall time; ``connect_ms_p50`` is the CLI connect alone.
* ``db_bytes``: the SQLite file plus its WAL; ``memory``: peak PSS of the game's CLI and of
  this Python process (sampled every 50 turns).
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
from game_master.chapters import MAX_MODEL_SUMMARY_CHARS
from game_master.chronicle import ARC_REQUEST, SUMMARY_REQUEST
from game_master.events import TurnCompleted, TurnError
from game_master.memory import cli_children, process_memory, total_memory
from game_master.offline.conversation import estimate_tokens, request_input_tokens
from game_master.pricing import DEFAULT_PRICED_MODEL, PRICES_CHECKED, cost_usd, price_of
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
    ("The ferryman's daughter is called Wenna.", "remember the ferryman's daughter", "wenna"),
    ("My father's sword was forged in Kellmoor.", "recall my father's sword", "kellmoor"),
    ("The marsh witch wants a raven skull.", "recall what the marsh witch wants",
     "raven skull"),
    ("I swore an oath to the goddess Ithra at sixteen.", "recall my oath", "ithra"),
    ("The granary key hangs behind the miller's clock.", "recall the granary key", "clock"),
    ("My horse is a grey mare called Pebble.", "remember my horse", "pebble"),
    ("The bandit chief has a scar shaped like a crescent.", "recall the bandit chief's scar",
     "crescent"),
    ("The toll bridge closes at the ninth bell.", "recall when the toll bridge closes",
     "ninth bell"),
    ("My mentor Osric taught me to read runes.", "remember my mentor", "osric"),
    ("The poisoned well lies east of the shrine.", "recall the poisoned well", "shrine"),
    ("The innkeeper hides letters in a hollow barrel.", "recall where the innkeeper hides "
     "letters", "hollow barrel"),
    ("My debt to the lamplighters guild is twelve marks.", "recall my debt to the "
     "lamplighters", "twelve marks"),
    ("The lighthouse keeper is Morwen Tallow.", "remember the lighthouse keeper", "morwen"),
    ("The danger signal is three knocks and a whistle.", "recall the danger signal",
     "whistle"),
]  # fmt: skip
FIRST_PLANT = 2
RECALL_EVERY = 50
RESUMES = 5
PROBE_TURNS = (50, 250, 500, 1000, 2500, 5000, 10000)
COST_TURNS = (50, 1000, 10000)
SUMMARY_OUTPUT_TOKENS = MAX_MODEL_SUMMARY_CHARS // 4

QUIET = {"on": False}


def log(message: str) -> None:
    """Progress to stderr (unless --json-only)."""
    if not QUIET["on"]:
        print(f"[bench.long] {message}", file=sys.stderr, flush=True)


def message_for(turn: int, facts: int, recalls: list[int]) -> tuple[str, int | None]:
    """The player's message at ``turn`` and, for a recall, which fact it asks for."""
    if FIRST_PLANT <= turn < FIRST_PLANT + facts:
        return FACTS[turn - FIRST_PLANT][0], None
    if turn % RECALL_EVERY == 0:
        fact = len(recalls) % facts
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


def recall_results(event: TurnCompleted) -> list[dict[str, Any]]:
    """The results of the turn's recall calls."""
    found: list[dict[str, Any]] = []
    for call in event.tool_calls:
        result = call.get("result")
        if call.get("name", "").endswith("recall") and isinstance(result, dict):
            found.extend(r for r in result.get("results") or [] if isinstance(r, dict))
    return found


def recalled(event: TurnCompleted, words: str) -> bool:
    """True when a recall result of the turn contains ``words``."""
    return any(words in json.dumps(r, ensure_ascii=False).lower() for r in recall_results(event))


def p50(values: list[float]) -> float | None:
    """Median, rounded; None for no data."""
    return round(statistics.median(values), 1) if values else None


def mean(values: list[float], digits: int = 0) -> float | None:
    """Mean, rounded; None for no data."""
    return round(statistics.fmean(values), digits) if values else None


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


def summary_cost(svc: GameService, gid: str, model: str) -> float:
    """Dollars the chapter and arc summary requests would cost with a model writing them:
    each reads the context at the close from the cache, writes its request (an arc's holds
    the summaries it rolls up) and gets ``SUMMARY_OUTPUT_TOKENS`` back."""
    price = price_of(model)
    assert price is not None
    chapters, arcs = svc.store.chronicle(gid), svc.store.arcs(gid)
    contexts = [c.context_tokens or 0 for c in chapters]
    at_close = statistics.fmean(contexts) if contexts else 0.0
    ask = estimate_tokens(SUMMARY_REQUEST)
    arc_ask = estimate_tokens(ARC_REQUEST) + 4 * SUMMARY_OUTPUT_TOKENS
    total = 0.0
    for context in contexts:
        usage = {"cache_read_input_tokens": context, "cache_creation_input_tokens": ask}
        total += cost_usd(usage | {"output_tokens": SUMMARY_OUTPUT_TOKENS}, price)
    for _ in arcs:  # asked after a chapter's summary, in the session that closed it
        read = int(at_close) + ask + SUMMARY_OUTPUT_TOKENS
        usage = {"cache_read_input_tokens": read, "cache_creation_input_tokens": arc_ask}
        total += cost_usd(usage | {"output_tokens": SUMMARY_OUTPUT_TOKENS}, price)
    return total


def costs(dollars: list[float], turns: int, extra: float, model: str) -> dict[str, Any]:
    """The cost figures: single turns, stretches, and the summaries' estimate."""
    out: dict[str, Any] = {"model": model, "prices_checked": PRICES_CHECKED}
    out["turn_usd"] = {str(t): round(dollars[t - 1], 6) for t in COST_TURNS if t <= turns}
    out["mean_usd_per_turn"] = {
        "first_1000": mean(dollars[:1000], 6),
        "last_1000": mean(dollars[-1000:], 6),
        "whole_game": mean(dollars, 6),
    }
    out["model_summaries_per_turn"] = round(extra / max(1, turns), 6)
    return out


def final_recall(svc: GameService, gid: str, facts: int, planted: dict[int, int]) -> dict[str, Any]:
    """Ask every planted fact back after the last turn: how many were found, and how many
    results listed the turn the fact was stated on."""
    chapter_1 = svc.store.chronicle(gid)[:1]
    end_1 = chapter_1[0].last_turn if chapter_1 else 10**9
    found = at_turn = 0
    for fact in range(facts):
        _, done = play(svc, gid, FACTS[fact][1])
        found += recalled(done, FACTS[fact][2])
        at_turn += any(r.get("turn") == planted[fact] for r in recall_results(done))
    return {
        "facts": facts,
        "in_chapter_1": sum(1 for t in planted.values() if t <= end_1),
        "found": found,
        "planting_turn": at_turn,
        "rate": round(found / facts, 3) if facts else None,
    }


def run(
    turns: int, budget: int | None, data_dir: Path, model: str | None, facts: int
) -> dict[str, Any]:
    """Play the campaign, ask the facts back, restart, resume; the figures as a dict."""
    svc = make_service(data_dir, budget)
    model = model or svc.settings.model or DEFAULT_PRICED_MODEL
    price = price_of(model)
    if price is None:
        svc.shutdown()
        raise SystemExit(f"no list price for model {model!r}; see game_master/prices.toml")
    gid = svc.create_game({}).id
    times: list[float] = []
    tokens: list[int] = []
    dollars: list[float] = []
    recalls: list[int] = []
    hits: list[bool] = []
    planted = {f: FIRST_PLANT + f for f in range(facts)}
    peak_cli_pss = peak_py_pss = peak_cli_private = 0
    started = time.perf_counter()
    try:
        for turn in range(1, turns + 1):
            message, fact = message_for(turn, facts, recalls)
            elapsed, done = play(svc, gid, message)
            times.append(elapsed)
            tokens.append(largest_request(svc))
            dollars.append(cost_usd(done.usage, price))
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
                    f"${dollars[-1]:.4f}, chapters {len(svc.store.chronicle(gid))}, "
                    f"arcs {len(svc.store.arcs(gid))}, recalls {sum(hits)}/{len(hits)}, "
                    f"CLI PSS {clis.pss / 2**20:.0f} MB, {time.perf_counter() - started:.0f} s"
                )
        chapters, arcs = svc.store.chronicle(gid), svc.store.arcs(gid)
        told = svc.ensure_started().master.chapters.story_so_far(gid)
        extra = summary_cost(svc, gid, model)
        used_budget = svc.settings.context_budget_tokens
        fact_recall = final_recall(svc, gid, facts, planted)
    finally:
        svc.shutdown()
    wall = time.perf_counter() - started
    resume_ms, connect_ms = resume(data_dir, gid, budget)
    mb = 2**20
    return {
        "turns": turns,
        "budget_tokens": used_budget,
        "input_tokens_at": {str(t): tokens[t - 1] for t in PROBE_TURNS if t <= turns},
        "input_tokens_mean_41_60": mean([float(t) for t in tokens[40:60]]),
        "input_tokens_mean_last_20": mean([float(t) for t in tokens[-20:]]),
        "input_tokens_mean_first_1000": mean([float(t) for t in tokens[:1000]]),
        "input_tokens_mean_last_1000": mean([float(t) for t in tokens[-1000:]]),
        "input_tokens_max": max(tokens, default=0),
        "cost": costs(dollars, turns, extra, model),
        "turn_ms_p50_first_100": p50(times[:100]),
        "turn_ms_p50_last_100": p50(times[-100:]),
        "chapters": len(chapters),
        "arcs": len(arcs),
        "chronicle_entries": len(told),
        "facts_recall": fact_recall,
        "recall_hit_rate": round(sum(hits) / len(hits), 3) if hits else None,
        "recalls": len(hits),
        "resume_ms_p50": p50(resume_ms),
        "connect_ms_p50": p50(connect_ms),
        "db_bytes": db_bytes(data_dir),
        "memory": {
            "cli_pss_mb_peak": round(peak_cli_pss / mb, 1),
            "cli_private_mb_peak": round(peak_cli_private / mb, 1),
            "python_pss_mb_peak": round(peak_py_pss / mb, 1),
        },
        "wall_s": round(wall, 1),
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
    parser.add_argument(
        "--model",
        default=None,
        help=f"price the turns at this model's list prices (default: GM_MODEL, else "
        f"{DEFAULT_PRICED_MODEL})",
    )
    parser.add_argument("--facts", type=int, default=len(FACTS), choices=range(1, len(FACTS) + 1))
    parser.add_argument("--json-only", action="store_true", help="no progress on stderr")
    args = parser.parse_args(argv)
    QUIET["on"] = args.json_only
    with tempfile.TemporaryDirectory() as tmp:
        result = run(args.turns, args.budget, Path(tmp), args.model, args.facts)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
