"""Trace fidelity at scale: ``python -m bench.traces --games 50``.

Starts the app under gunicorn, traced to the loopback Braintrust recorder, with a context
budget that closes a chapter after every turn; plays ``--games`` games at once, each mixing
turns, a retry, a rewind, a switch of line and chapter closes
(game_master.testing.traces); stops the server with SIGTERM; then checks that every span is
in its own game's trace under the right parent, none in another's, and that every turn's
spans arrived whole. Prints progress and a pass/fail summary to stderr, one JSON line to
stdout, and exits 0 on pass, 1 on fail. tests/tracing/test_traces_at_scale.py runs the same
with 6 games.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from game_master.testing import BraintrustRecorder
from game_master.testing.traces import run_games


def main(argv: list[str] | None = None) -> int:
    """Run, check, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=50)
    parser.add_argument(
        "--model-ms", type=float, default=0.0, help="offline narrator's delay per request"
    )
    parser.add_argument(
        "--turn-timeout-s",
        type=float,
        default=600.0,
        help="GM_TURN_TIMEOUT_S: every turn of the mix starts a CLI, 50 at once on 2 cores",
    )
    parser.add_argument(
        "--slow-uploads-s",
        type=float,
        default=0.3,
        help="each upload to the recorder takes this long, so spans are still queued at "
        "SIGTERM and only the worker's flush delivers them",
    )
    parser.add_argument("--database-url", default=None, help="e.g. PostgreSQL")
    args = parser.parse_args(argv)
    env = {
        "GM_OFFLINE_FIRST_TOKEN_MS": str(args.model_ms),
        "GM_TURN_TIMEOUT_S": str(args.turn_timeout_s),
    }
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    started = time.perf_counter()
    load_start = os.getloadavg()
    print(f"[traces] {args.games} mixed games at once", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(prefix="gm-traces-") as tmp, BraintrustRecorder() as rec:
        report = run_games(args.games, Path(tmp) / "server", rec, args.slow_uploads_s, env)
    for line in (report.errors + report.problems)[:20]:
        print(f"[traces]   {line}", file=sys.stderr)
    verdict = "PASS" if report.passed else "FAIL"
    print(
        f"[traces] {verdict}: {report.games} games, {report.spans} spans "
        f"({report.names.get('turn', 0)} turns, {report.names.get('chapter', 0)} chapters, "
        f"{report.names.get('arc', 0)} arcs, {report.names.get('rewind', 0)} rewinds), "
        f"{len(report.errors)} HTTP errors, {len(report.problems)} trace problems, "
        f"gunicorn exit {report.exit_code}",
        file=sys.stderr,
        flush=True,
    )
    print(
        json.dumps(
            {
                "passed": report.passed,
                "games": report.games,
                "spans": report.spans,
                "span_names": report.names,
                "http_errors": len(report.errors),
                "trace_problems": len(report.problems),
                "gunicorn_exit": report.exit_code,
                "wall_s": round(time.perf_counter() - started, 1),
                "loadavg_start": [round(x, 2) for x in load_start],
                "loadavg_end": [round(x, 2) for x in os.getloadavg()],
            }
        ),
        flush=True,
    )
    return 0 if report.passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
