"""CPU per turn by step: ``python -m bench.steps --turns 20``.

One game, one turn at a time (nothing overlaps, so each process's CPU over a phase is that
phase's), the app in this process, the offline narrator in its own (bench.narrator) at zero
latency. Three phases of ``--turns`` turns each:

* ``warm``: the game keeps its CLI (a seat); the context is measured from each turn's last
  response (the app's way);
* ``count_tokens``: the same, but the context is measured as it was before, by the SDK's
  ``get_context_usage()`` (the CLI sends two ``/v1/messages/count_tokens`` requests);
* ``resumed``: the game's CLI is closed before every turn, so each turn starts a CLI and
  resumes the Claude session, as for a player without a seat;
* ``resumed_count_tokens``: resumed turns measured the old way. The CLI answers
  ``get_context_usage()`` from its last response once it has one, so the two
  ``count_tokens`` requests are paid after the first turn of each CLI (a new game, a resume,
  a fresh chapter), not after every turn.

Each step's CPU per turn: the CLI's and the narrator's from /proc (bench.cpu); the app's
store writes and its reading of the SDK's messages timed on their own threads
(``time.thread_time``), the rest of the app (Flask, the SDK's transport, spans) as the
remainder of this process's CPU. The old measurement and ``resume`` are the differences
of their phases to ``warm`` (and ``resumed``). Prints progress to stderr and one JSON
line to stdout.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from game_master import create_app, turn_reader
from game_master.testing import base_config, new_game, play

from .cpu import KINDS, cpu_delta, snapshot
from .narrator import NarratorProcess

MESSAGES = ["look around", "take the bread", "go east", "listen", "go west", "look around"]


class StepClock:
    """Thread CPU spent inside wrapped functions, by step name."""

    def __init__(self) -> None:
        """Nothing counted yet."""
        self.spent: dict[str, float] = {}
        self._lock = threading.Lock()

    def add(self, step: str, seconds: float) -> None:
        """Count ``seconds`` of thread CPU against ``step``."""
        with self._lock:
            self.spent[step] = self.spent.get(step, 0.0) + seconds

    def wrap(self, step: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        """``fn``, its thread CPU counted against ``step``."""

        @functools.wraps(fn)
        def timed(*args: Any, **kw: Any) -> Any:
            started = time.thread_time()
            try:
                return fn(*args, **kw)
            finally:
                self.add(step, time.thread_time() - started)

        return timed

    def wrap_generator(self, step: str, fn: Callable[..., Iterator[Any]]) -> Callable[..., Any]:
        """A generator function, run to the end inside the clock."""

        @functools.wraps(fn)
        def timed(*args: Any, **kw: Any) -> Iterator[Any]:
            started = time.thread_time()
            try:
                out = list(fn(*args, **kw))
            finally:
                self.add(step, time.thread_time() - started)
            return iter(out)

        return timed


def instrument(store: Any, clock: StepClock) -> None:
    """Time every public method of the store (its writes and reads) and TurnReader.read."""
    for name in dir(store):
        attr = getattr(store, name)
        if not name.startswith("_") and callable(attr) and not isinstance(attr, type):
            setattr(store, name, clock.wrap("store", attr))
    turn_reader.TurnReader.read = clock.wrap_generator(  # type: ignore[method-assign]
        "reading_messages", turn_reader.TurnReader.read
    )


def phase(
    name: str,
    turns: int,
    play_one: Callable[[int], None],
    roots: dict[str, int],
    clock: StepClock,
) -> dict[str, Any]:
    """CPU per turn of ``turns`` turns, by process kind and by timed step."""
    print(f"[steps] {name}: {turns} turns", file=sys.stderr, flush=True)
    clock.spent.clear()
    before = snapshot(roots)
    started = time.perf_counter()
    for n in range(turns):
        play_one(n)
    wall = time.perf_counter() - started
    result = cpu_delta(before, snapshot(roots), turns)
    result["app_steps_cpu_s_per_turn"] = {
        k: round(v / turns, 4) for k, v in sorted(clock.spent.items())
    }
    result["wall_s_per_turn"] = round(wall / turns, 3)
    return result


def steps(phases: dict[str, dict[str, Any]]) -> dict[str, float]:
    """CPU-seconds per turn of each step, from the phases."""

    def per_turn(p: str, kind: str) -> float:
        return float(phases[p]["cpu_s_per_turn"][kind])

    def server(p: str) -> float:
        return sum(per_turn(p, k) for k in KINDS)

    warm = phases["warm"]["app_steps_cpu_s_per_turn"]
    app = per_turn("warm", "app")
    return {
        "cli: request building and streaming (a warm turn)": per_turn("warm", "cli"),
        "narrator: answering (a warm turn)": per_turn("warm", "narrator"),
        "app: store reads and writes": warm.get("store", 0.0),
        "app: reading the SDK's messages": warm.get("reading_messages", 0.0),
        "app: the rest (Flask, SDK transport, spans, events)": round(
            app - warm.get("store", 0.0) - warm.get("reading_messages", 0.0), 4
        ),
        "get_context_usage after a warm turn (the old measurement; all processes)": round(
            server("count_tokens") - server("warm"), 4
        ),
        "get_context_usage after a CLI's first turn (two count_tokens requests)": round(
            server("resumed_count_tokens") - server("resumed"), 4
        ),
        "resume: a CLI started and its session resumed (all processes)": round(
            server("resumed") - server("warm"), 4
        ),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the phases and print the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=20, help="turns per phase")
    args = parser.parse_args(argv)
    clock = StepClock()
    with tempfile.TemporaryDirectory(prefix="gm-steps-") as tmp:
        narrator = NarratorProcess(Path(tmp), first_token_ms=0).start()
        try:
            app = create_app(
                base_config(
                    Path(tmp) / "data",
                    TESTING=False,
                    GM_CONTEXT_BUDGET_TOKENS="1000000",  # measure after every turn, never close
                    **narrator.app_env(),
                )
            )
            svc = app.extensions["game_master"]
            runtime = svc.ensure_started()
            instrument(svc.store, clock)
            client = app.test_client()
            gid = new_game(client)
            play(client, gid, "look around")  # start the CLI
            roots = {"app": os.getpid(), "narrator": narrator.pid}

            def turn(n: int) -> None:
                play(client, gid, MESSAGES[n % len(MESSAGES)])
                # The measurement runs after the answer: wait until the seat is free.
                deadline = time.monotonic() + 30
                while any(s.busy for s in runtime.pool.live()):
                    if time.monotonic() > deadline:
                        raise RuntimeError("the seat stayed busy")
                    time.sleep(0.01)

            def resumed(n: int) -> None:
                runtime.evict(gid)
                turn(n)

            phases = {"warm": phase("warm", args.turns, turn, roots, clock)}
            phases["resumed"] = phase("resumed", args.turns, resumed, roots, clock)
            real = turn_reader.context_size
            turn_reader.context_size = lambda usage: None  # type: ignore[assignment]
            try:
                phases["count_tokens"] = phase("count_tokens", args.turns, turn, roots, clock)
                phases["resumed_count_tokens"] = phase(
                    "resumed_count_tokens", args.turns, resumed, roots, clock
                )
            finally:
                turn_reader.context_size = real
            svc.shutdown(grace_s=5)
        finally:
            narrator.stop()
    server = {p: sum(v["cpu_s_per_turn"][k] for k in KINDS) for p, v in phases.items()}
    result = {
        "turns_per_phase": args.turns,
        "steps_cpu_s_per_turn": steps(phases),
        "server_cpu_s_per_turn": {p: round(v, 4) for p, v in server.items()},
        "old_measurement_over_new": {
            "warm": round(server["count_tokens"] / server["warm"], 3),
            "resumed": round(server["resumed_count_tokens"] / server["resumed"], 3),
        },
        "resumed_over_warm": round(server["resumed"] / server["warm"], 3),
        "phases": phases,
        "loadavg": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
