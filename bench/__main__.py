"""Load benchmark: ``python -m bench --players 20 --turns 3``.

Starts the app under gunicorn with the offline narrator and a fixed simulated model
latency, drives N concurrent players over real HTTP (SSE), and prints progress to stderr
and one JSON line to stdout:

``{"players", "turns", "errors", "overhead_ms_p50", "overhead_ms_p99",
"ttfb_after_model_ms_p50", "turns_per_s", "rss_mb_total", "open_games", "resume_ms_p50",
"tracing_ratio", ...}``

* overhead = turn latency - simulated model time. The narrator waits ``--model-ms`` before
  the first token of every Messages request and streams instantly after it; a turn with k
  tool calls makes k + 1 requests, so its model time is (k + 1) * model-ms.
* ttfb_after_model = time to the first streamed word - one model-ms.
* rss_mb_total = peak RSS of gunicorn, its workers and every Claude CLI they started.
* resume_ms_p50 = turn latency (minus model time) of games whose CLI process is gone,
  measured after restarting the server, so every sampled turn resumes its session.
* tracing_ratio = p50 turn latency with tracing to a loopback Braintrust recorder / p50
  with tracing off, the same load in the same run.
* cpu, cpu_traced, cpu_resumed_turn = CPU-seconds of the load, the traced load and the
  resumed turns, by process kind (app, cli, narrator; bench = this load generator), per
  turn the server played (warm-up turns included) and as shares (bench.cpu). The offline
  narrator runs as its own process (bench.narrator) unless ``--narrator-in-app``.
* pool_counts = the pool's seats, connects, resumes and evictions after the load;
  loadavg = the host's load average at the start and end of the load.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from game_master.testing import BraintrustRecorder, Gunicorn

from .cpu import cpu_delta, snapshot
from .narrator import NarratorProcess

SCRIPT = [
    "look around",
    "take the bread",
    "go west",
    "take the lantern",
    "go east",
    "listen at the door",
]


def log(message: str) -> None:
    """Progress to stderr."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def pct(values: list[float], q: float) -> float | None:
    """The q-th percentile (nearest rank), rounded; None for no data."""
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return round(ordered[index], 1)


@dataclass
class Results:
    """Measurements of one phase."""

    latency_ms: list[float] = field(default_factory=list)
    overhead_ms: list[float] = field(default_factory=list)
    ttfb_after_model_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    games: int = 0
    wall_s: float = 0.0
    rss_peak_mb: float = 0.0
    warmups: int = 0
    pool: dict[str, Any] = field(default_factory=dict)
    cpu: dict[str, Any] = field(default_factory=dict)
    loadavg: dict[str, list[float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def play_turn(url: str, gid: str, message: str, model_ms: float, res: Results) -> None:
    """One SSE turn, timed."""
    start = time.perf_counter()
    first_text = None
    body = ""
    try:
        with requests.post(
            f"{url}/api/games/{gid}/turns",
            json={"message": message},
            headers={"Accept": "text/event-stream"},
            stream=True,
            timeout=300,
        ) as resp:
            if resp.status_code != 200:
                with res.lock:
                    res.errors.append(f"{resp.status_code} {resp.text[:120]}")
                return
            for chunk in resp.iter_content(None, decode_unicode=True):
                if first_text is None and "event: text" in chunk:
                    first_text = time.perf_counter()
                body += str(chunk)  # decode_unicode: text, whatever the stubs say
    except requests.RequestException as exc:
        with res.lock:
            res.errors.append(repr(exc))
        return
    end = time.perf_counter()
    done = [f for f in body.split("\n\n") if f.startswith("event: turn.completed")]
    if not done:
        with res.lock:
            res.errors.append(body[-200:])
        return
    data = json.loads(done[0].split("data: ", 1)[1])
    model = model_ms * (len(data["tool_calls"]) + 1)
    latency = (end - start) * 1000
    with res.lock:
        res.latency_ms.append(latency)
        res.overhead_ms.append(latency - model)
        if first_text is not None:
            res.ttfb_after_model_ms.append((first_text - start) * 1000 - model_ms)


def process_tree_rss_mb(root_pid: int) -> float:
    """RSS of a process and all its descendants, in MB."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
        except (OSError, ValueError, IndexError):
            continue
    total_kb, todo = 0, [root_pid]
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total_kb += int(line.split()[1])
        except OSError:
            continue
    return total_kb / 1024


def drive(
    url: str, pid: int, args: argparse.Namespace, res: Results, narrator_pid: int | None = None
) -> list[str]:
    """N players, each playing ``games`` games of ``turns`` turns; returns the game ids.

    CPU of the server's processes (and the narrator's, when it runs apart) is read before
    the first player starts and after the last one ends (bench.cpu)."""
    game_ids: list[str] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            res.rss_peak_mb = max(res.rss_peak_mb, process_tree_rss_mb(pid))
            stop.wait(0.5)

    def player(n: int) -> None:
        rng = random.Random(n)
        for _ in range(args.games):
            try:
                resp = requests.post(
                    f"{url}/api/games",
                    json={"character": {"name": f"P{n}", "class": "rogue"}},
                    timeout=60,
                )
                gid = resp.json()["id"]
            except (requests.RequestException, ValueError, KeyError) as exc:
                with res.lock:
                    res.errors.append(f"create: {exc!r}")
                continue
            with res.lock:
                game_ids.append(gid)
                res.games += 1
            if args.warmup:
                # The game's first turn starts its CLI process (~0.5 s); resume_ms_p50
                # reports that cost, so it is kept out of the steady-state figures.
                play_turn(url, gid, "help", args.model_ms, Results())
                with res.lock:
                    res.warmups += 1
            for t in range(args.turns):
                if args.think_ms:
                    # Players read before they type: a random pause, so turns do not arrive
                    # in lock-step bursts.
                    time.sleep(rng.uniform(0, 2 * args.think_ms) / 1000)
                play_turn(url, gid, SCRIPT[t % len(SCRIPT)], args.model_ms, res)

    roots = {"app": pid, **({"narrator": narrator_pid} if narrator_pid else {})}
    cpu_before = snapshot(roots)
    res.loadavg["start"] = [round(x, 2) for x in os.getloadavg()]
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    threads = [threading.Thread(target=player, args=(n,)) for n in range(args.players)]
    for t in threads:
        t.start()
    total = args.players * args.games * args.turns
    while any(t.is_alive() for t in threads):
        time.sleep(2)
        log(
            f"  {len(res.latency_ms) + len(res.errors)}/{total} turns, "
            f"{len(res.errors)} errors, rss {res.rss_peak_mb:.0f} MB"
        )
    res.wall_s = time.perf_counter() - started
    # Every turn the server played, a game's first (warm-up) turn included: they all cost CPU.
    played = len(res.latency_ms) + len(res.errors) + res.warmups
    res.cpu = cpu_delta(cpu_before, snapshot(roots), played)
    res.loadavg["end"] = [round(x, 2) for x in os.getloadavg()]
    stop.set()
    sampler.join()
    res.rss_peak_mb = max(res.rss_peak_mb, process_tree_rss_mb(pid))
    return game_ids


def server_env(args: argparse.Namespace) -> dict[str, str]:
    """Settings every phase's server shares."""
    env = {
        "GM_OFFLINE_FIRST_TOKEN_MS": str(args.model_ms),
        "GM_OFFLINE_TOKENS_PER_S": "0",
        "GM_THREADS": str(args.threads),
        "GM_LOG_LEVEL": "warning",
    }
    if args.pool:
        env["GM_MAX_LIVE_SESSIONS"] = str(args.pool)
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    return env


def run_phase(args: argparse.Namespace, work: Path, *, tracing: bool) -> tuple[Results, Any]:
    """One load run on a fresh server; returns results and the (stopped) server's data."""
    res = Results()
    env = server_env(args)
    recorder = None
    if tracing:
        recorder = BraintrustRecorder()
        recorder.start()
        env.update(recorder.env())
        env["BRAINTRUST_PROJECT"] = "game-master-bench"
    data = work / ("traced" if tracing else "plain")
    narrator = None
    if not args.narrator_in_app:
        narrator = NarratorProcess(work, args.model_ms).start()
        env.update(narrator.app_env())
    try:
        server = Gunicorn(data, workers=args.workers, **env).start(timeout=60)
    except BaseException:
        if narrator is not None:
            narrator.stop()
        raise
    try:
        log(
            f"phase tracing={'on' if tracing else 'off'}: {args.players} players x "
            f"{args.games} games x {args.turns} turns on {server.url}"
        )
        assert server.proc is not None
        games = drive(server.url, server.proc.pid, args, res, narrator.pid if narrator else None)
        res.pool = requests.get(f"{server.url}/healthz", timeout=10).json()["pool"]
    finally:
        server.stop()
        if narrator is not None:
            narrator.stop()
        if recorder is not None:
            log(f"  recorder received {len(recorder.rows())} rows")
            recorder.stop()
    return res, (data, env, games)


def resume_phase(
    args: argparse.Namespace, work: Path, data: Path, env: dict[str, str], games: list[str]
) -> Results:
    """Restart the server (no CLI process survives) and time one turn on sampled games;
    the CPU of those turns is what a resume costs (each starts a CLI and resumes)."""
    env = dict(env)
    narrator = None
    if not args.narrator_in_app:
        narrator = NarratorProcess(work, args.model_ms).start()
        env.update(narrator.app_env())
    res = Results()
    try:
        server = Gunicorn(data, workers=args.workers, **env).start(timeout=60)
        try:
            sample = games[: args.resume_samples]
            log(f"resume: one turn on {len(sample)} games after a restart")
            assert server.proc is not None
            roots = {"app": server.proc.pid, **({"narrator": narrator.pid} if narrator else {})}
            before = snapshot(roots)
            for gid in sample:
                play_turn(server.url, gid, "look around", args.model_ms, res)
            res.cpu = cpu_delta(before, snapshot(roots), len(sample))
            pool = requests.get(f"{server.url}/healthz", timeout=10).json()["pool"]
            log(f"  pool after resume phase: {pool}")
        finally:
            server.stop()
    finally:
        if narrator is not None:
            narrator.stop()
    return res


def main(argv: list[str] | None = None) -> int:
    """Run the phases and print the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=20)
    parser.add_argument("--turns", type=int, default=3, help="turns per game")
    parser.add_argument("--games", type=int, default=1, help="games per player")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=64)
    parser.add_argument(
        "--pool",
        type=int,
        default=None,
        help="GM_MAX_LIVE_SESSIONS per worker (default: the app's default)",
    )
    parser.add_argument(
        "--model-ms",
        type=float,
        default=300.0,
        help="simulated time to first token of each model request",
    )
    parser.add_argument(
        "--think-ms",
        type=float,
        default=0.0,
        help="mean pause before each turn (uniform 0..2x), as players read",
    )
    parser.add_argument("--resume-samples", type=int, default=20)
    parser.add_argument(
        "--no-warmup",
        dest="warmup",
        action="store_false",
        help="count each game's first turn (CLI start-up) in the figures",
    )
    parser.add_argument(
        "--no-tracing-phase",
        action="store_true",
        help="skip the tracing-on run (tracing_ratio is then null)",
    )
    parser.add_argument("--database-url", default=None, help="e.g. PostgreSQL to share")
    parser.add_argument(
        "--narrator-in-app",
        action="store_true",
        help="run the offline narrator inside each worker, as the app does offline (its CPU "
        "then counts as the app's); by default it runs as its own process, so its CPU is "
        "counted apart: a production host does not run it",
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="gm-bench-") as tmp:
        work = Path(tmp)
        off, (data, env, games) = run_phase(args, work, tracing=False)
        resume = resume_phase(args, work, data, env, games)
        on = None if args.no_tracing_phase else run_phase(args, work, tracing=True)[0]

    p50_off = statistics.median(off.latency_ms) if off.latency_ms else None
    p50_on = statistics.median(on.latency_ms) if on and on.latency_ms else None
    result = {
        "players": args.players,
        "turns": len(off.latency_ms) + len(off.errors),
        "errors": len(off.errors) + (len(on.errors) if on else 0),
        "overhead_ms_p50": pct(off.overhead_ms, 50),
        "overhead_ms_p99": pct(off.overhead_ms, 99),
        "ttfb_after_model_ms_p50": pct(off.ttfb_after_model_ms, 50),
        "turns_per_s": round(len(off.latency_ms) / off.wall_s, 2) if off.wall_s else None,
        "rss_mb_total": round(off.rss_peak_mb),
        "open_games": off.games,
        "resume_ms_p50": pct(resume.overhead_ms, 50),
        "tracing_ratio": round(p50_on / p50_off, 3) if p50_on and p50_off else None,
        "latency_ms_p50": round(p50_off, 1) if p50_off else None,
        "traced_overhead_ms_p50": pct(on.overhead_ms, 50) if on else None,
        "cpu": off.cpu,
        "cpu_traced": on.cpu if on else None,
        "cpu_resumed_turn": resume.cpu,
        "loadavg": off.loadavg,
        "pool_counts": {
            k: off.pool.get(k)
            for k in ("max_live", "connects", "resumes", "evictions", "seat_waits")
        },
        "narrator": "in app" if args.narrator_in_app else "own process",
        "workers": args.workers,
        "threads": args.threads,
        "pool": args.pool,
        "model_ms": args.model_ms,
        "warmup": args.warmup,
        "think_ms": args.think_ms,
    }
    for err in (off.errors + (on.errors if on else []))[:5]:
        log(f"error: {err}")
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
