"""bench.cpu: CPU by process kind from /proc, exited children included."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from bench.cpu import CLOCK_TICKS, cpu_delta, parse_stat, snapshot
from game_master.testing import REPO

BURN = "import time\nend = time.process_time() + 0.4\nwhile time.process_time() < end: pass"


def test_a_stat_line_with_spaces_and_parentheses_in_the_command() -> None:
    ticks = CLOCK_TICKS
    line = f"42 (tricky (name) x) S 7 1 1 0 -1 0 0 0 0 0 {ticks} {ticks * 2} {ticks} 0 20 0"
    stat = parse_stat(line)
    assert (stat.pid, stat.ppid) == (42, 7)
    assert stat.own_s == 3.0 and stat.reaped_s == 1.0


def test_cpu_of_a_child_that_ran_and_exited_is_counted() -> None:
    """A child started, burning 0.4 s of CPU and reaped between two snapshots counts under
    the children of an app process (its CLIs), not lost, not the app's own."""
    roots = {"app": os.getpid()}
    before = snapshot(roots)
    subprocess.run([sys.executable, "-c", BURN], check=True, timeout=60)
    after = snapshot(roots)
    spent = cpu_delta(before, after, turns=2)
    assert spent["cpu_s"]["cli"] >= 0.35  # type: ignore[index]
    assert spent["cpu_s"]["app"] < 0.35  # type: ignore[index]
    assert spent["cpu_s_per_turn"]["cli"] >= 0.17  # type: ignore[index]


def test_a_live_narrator_root_counts_once_as_the_narrator() -> None:
    """A process given as the narrator's root is counted there only, even when it is also a
    child of the app root (bench.steps starts the narrator from the app's own process)."""
    burn_then_wait = BURN + "\nprint('burnt', flush=True)\nimport sys\nsys.stdin.read()"
    child = subprocess.Popen(
        [sys.executable, "-c", burn_then_wait],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "burnt"
        alone = snapshot({"app": os.getpid()})
        both = snapshot({"app": os.getpid(), "narrator": child.pid})
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(30)
    assert both["narrator"] >= 0.35
    # Moved from the app root's children to the narrator, not counted twice.
    moved = (alone["app"] + alone["cli"]) - (both["app"] + both["cli"])
    assert abs(moved - both["narrator"]) < 0.05


def test_shares_add_up_to_the_server() -> None:
    before = {"app": 1.0, "cli": 2.0, "narrator": 0.0, "bench": 0.0}
    after = {"app": 2.0, "cli": 10.0, "narrator": 1.0, "bench": 3.0}
    out = cpu_delta(before, after, turns=10)
    assert out["server_cpu_s_per_turn"] == 1.0
    assert out["without_narrator_cpu_s_per_turn"] == 0.9
    assert out["share"] == {"app": 0.1, "cli": 0.8, "narrator": 0.1}


def test_the_load_benchmark_prints_cpu_by_process_with_the_narrator_apart() -> None:
    """``python -m bench`` on a tiny load: its JSON line has CPU per turn for the app, the
    CLIs and the narrator (its own process), every turn the server played counted."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--players",
            "2",
            "--turns",
            "1",
            "--model-ms",
            "0",
            "--resume-samples",
            "1",
            "--no-tracing-phase",
        ],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["errors"] == 0 and result["narrator"] == "own process"
    cpu = result["cpu"]
    assert cpu["turns"] == 4  # two warm-up turns (each starts a CLI) and two measured
    assert cpu["cpu_s"]["cli"] > cpu["cpu_s"]["app"] > 0
    assert cpu["cpu_s"]["narrator"] > 0
    assert sum(cpu["share"].values()) == pytest.approx(1, abs=0.01)
    assert result["cpu_resumed_turn"]["turns"] == 1
    assert result["pool_counts"]["connects"] == 2
    assert len(result["loadavg"]["start"]) == 3
