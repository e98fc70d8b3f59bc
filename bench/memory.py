"""Memory of a full pool: ``python -m bench.memory --games 42 --turns 20``.

Opens ``--games`` games on one ``GameService`` (offline narrator at zero latency, pool size =
the number of games, default: the default pool size of this machine), plays ``--turns``
turns on each, round robin, so every game keeps a live CLI, and prints one JSON line:

* ``per_cli``: mean PSS and private bytes of one live CLI (from /proc/PID/smaps_rollup);
* ``peak``: the largest sum of PSS of the CLIs plus this Python process, sampled after every
  round, against ``budget_mb`` (3/4 of MemAvailable, see game_master.memory);
* ``games_per_gb``: live games per GB of budget under the old rule (220 MB RSS each), the
  typical rule (``CLI_PSS_BYTES``), the peak rule (``CLI_PEAK_PSS_BYTES``), and what was
  measured (games / peak GB).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from game_master import create_app
from game_master.memory import (
    CLI_PEAK_PSS_BYTES,
    CLI_PSS_BYTES,
    OLD_CLI_RSS_BYTES,
    cli_children,
    host_memory,
    pool_budget,
    process_memory,
    total_memory,
)
from game_master.pool import default_pool_size
from game_master.service import GameService
from game_master.testing import base_config

from .long import CYCLE, play

MB = 2**20
GB = 2**30


def log(message: str) -> None:
    """Progress to stderr."""
    print(f"[bench.memory] {message}", file=sys.stderr, flush=True)


def measure(games: int, turns: int, data_dir: Path) -> dict[str, Any]:
    """Fill the pool, play, sample memory after every round."""
    app = create_app(base_config(data_dir, TESTING=False, GM_MAX_LIVE_SESSIONS=str(games)))
    svc: GameService = app.extensions["game_master"]
    ids = [svc.create_game({}).id for _ in range(games)]
    peak_total = 0
    peak: dict[str, Any] = {}
    started = time.perf_counter()
    try:
        for turn in range(turns):
            for gid in ids:
                play(svc, gid, CYCLE[turn % len(CYCLE)])
            pids = cli_children()
            clis = total_memory(pids)
            own = process_memory()
            total = clis.pss + (own.pss if own else 0)
            if total >= peak_total:
                peak_total = total
                peak = {
                    "round": turn + 1,
                    "clis": clis.to_mb(),
                    "python": own.to_mb() if own else None,
                    "total_pss_mb": round(total / MB, 1),
                }
            log(
                f"round {turn + 1}: {len(pids)} CLIs, PSS {clis.pss / MB:.0f} MB "
                f"(private {clis.private / MB:.0f} MB), total {total / MB:.0f} MB, "
                f"{time.perf_counter() - started:.0f} s"
            )
        live = svc.ensure_started().stats().live
    finally:
        svc.shutdown()
    host = host_memory()
    budget = pool_budget(host[1]) if host else 0
    clis_peak = peak["clis"]
    n = max(1, clis_peak["processes"])
    return {
        "games": games,
        "turns_per_game": turns,
        "live_at_end": live,
        "per_cli": {
            "pss_mb": round(clis_peak["pss_mb"] / n, 1),
            "private_mb": round(clis_peak["private_mb"] / n, 1),
            "rss_mb": round(clis_peak["rss_mb"] / n, 1),
        },
        "peak": peak,
        "budget_mb": round(budget / MB, 1),
        "within_budget": peak_total <= budget,
        "default_pool_size": default_pool_size(),
        "games_per_gb": {
            "old_rule": round(GB / OLD_CLI_RSS_BYTES, 2),
            "typical_rule": round(GB / CLI_PSS_BYTES, 2),
            "peak_rule": round(GB / CLI_PEAK_PSS_BYTES, 2),
            "measured": round(games / (peak_total / GB), 2) if peak_total else None,
        },
        "wall_s": round(time.perf_counter() - started, 1),
    }


def main(argv: list[str] | None = None) -> int:
    """Parse options, run, print the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=None, help="default: default pool size")
    parser.add_argument("--turns", type=int, default=3, help="turns per game")
    args = parser.parse_args(argv)
    games = args.games or default_pool_size()
    with tempfile.TemporaryDirectory() as tmp:
        result = measure(games, args.turns, Path(tmp))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
