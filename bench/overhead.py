"""What HTTP adds to a turn: ``python -m bench.overhead --turns 40``.

Plays the same turns on one game three ways, with the offline narrator at zero latency, and
prints p50/p90 per way as JSON: the engine alone (``GameService.start_turn``), through
Flask over real loopback HTTP as one JSON answer, and as an SSE stream.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from game_master import create_app
from game_master.testing import LiveServer, base_config

MESSAGES = ["look around", "take the bread", "drop the bread"]


def timed(n: int, play: Callable[[str], None]) -> list[float]:
    """Milliseconds of ``n`` turns."""
    out = []
    for i in range(n):
        started = time.perf_counter()
        play(MESSAGES[i % len(MESSAGES)])
        out.append((time.perf_counter() - started) * 1000)
    return out


def summary(values: list[float]) -> dict[str, float]:
    """p50 and p90."""
    ordered = sorted(values)
    return {
        "p50": round(statistics.median(ordered), 1),
        "p90": round(ordered[int(0.9 * (len(ordered) - 1))], 1),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the three ways and print the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=40)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        # TESTING off: time the app as it runs in production.
        app = create_app(base_config(Path(tmp), TESTING=False))
        svc = app.extensions["game_master"]
        server = LiveServer(app).__enter__()
        url = server.url
        gid = svc.create_game({}).id
        http = requests.Session()
        try:
            list(svc.start_turn(gid, "look around").events(timeout=60))  # start the CLI

            def engine(message: str) -> None:
                list(svc.start_turn(gid, message).events(timeout=60))

            def as_json(message: str) -> None:
                resp = http.post(
                    f"{url}/api/games/{gid}/turns", json={"message": message}, timeout=60
                )
                resp.raise_for_status()

            def as_sse(message: str) -> None:
                with http.post(
                    f"{url}/api/games/{gid}/turns",
                    json={"message": message},
                    headers={"Accept": "text/event-stream"},
                    stream=True,
                    timeout=60,
                ) as resp:
                    resp.raise_for_status()
                    for _ in resp.iter_content(None):
                        pass

            results: dict[str, Any] = {
                name: summary(timed(args.turns, way))
                for name, way in (("engine", engine), ("http_json", as_json), ("http_sse", as_sse))
            }
        finally:
            server.__exit__()
            svc.shutdown()
    results["http_json_over_engine_ms_p50"] = round(
        results["http_json"]["p50"] - results["engine"]["p50"], 1
    )
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
