"""The smaps_rollup parser, the pool-sizing rule, and the long benchmark's JSON line."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from game_master import memory
from game_master.memory import (
    CLI_PEAK_PSS_BYTES,
    CLI_PSS_BYTES,
    POOL_AVAILABLE_FRACTION,
    MemoryUsage,
    host_memory,
    parse_smaps_rollup,
    pool_budget,
    pool_size,
)
from game_master.testing import REPO, new_game, play

SAMPLE = """\
55d4c8a1b000-7ffd5b9f1000 ---p 00000000 00:00 0                          [rollup]
Rss:              232448 kB
Pss:              144384 kB
Pss_Dirty:        126976 kB
Pss_Anon:         126976 kB
Pss_File:          17408 kB
Pss_Shmem:             0 kB
Shared_Clean:      94208 kB
Shared_Dirty:          0 kB
Private_Clean:      4096 kB
Private_Dirty:    134144 kB
Referenced:       232448 kB
Anonymous:        126976 kB
Swap:                 12 kB
SwapPss:               0 kB
"""
KB = 1024
GIB = 2**30


def test_parse_smaps_rollup_reads_bytes() -> None:
    usage = parse_smaps_rollup(SAMPLE)
    assert usage.rss == 232448 * KB
    assert usage.pss == 144384 * KB
    assert usage.shared_clean == 94208 * KB
    assert usage.private == (4096 + 134144) * KB
    assert usage.swap == 12 * KB
    assert usage.to_mb()["pss_mb"] == 141.0


def test_parse_ignores_the_header_and_garbage() -> None:
    assert parse_smaps_rollup("") == MemoryUsage()
    assert parse_smaps_rollup("Pss: lots\nnonsense\nRss:  8 kB").rss == 8 * KB


def test_usages_add_up_over_a_pool() -> None:
    one = parse_smaps_rollup(SAMPLE)
    pool = memory.NONE + one + one
    assert pool.processes == 2 and pool.pss == 2 * one.pss


def test_this_process_can_be_read() -> None:
    own = memory.process_memory()
    assert own is not None and own.pss > 0
    assert memory.process_memory(0) is None  # no such process: None, not an error


def test_host_memory_from_meminfo_text() -> None:
    text = "MemTotal:       24684084 kB\nMemFree: 1 kB\nMemAvailable:   23607140 kB\n"
    assert host_memory(text) == (24684084 * KB, 23607140 * KB)
    assert host_memory("nothing") is None


def meminfo(total_gib: float, available_gib: float) -> str:
    """/proc/meminfo text of a host."""
    return (
        f"MemTotal: {int(total_gib * 2**20)} kB\nMemFree: 1 kB\n"
        f"MemAvailable: {int(available_gib * 2**20)} kB\n"
    )


@pytest.mark.parametrize(
    ("available_gib", "seats"),
    [(1, 2), (4, 9), (8, 19), (22, 52), (60, 144)],
)
def test_pool_size_is_three_quarters_of_available_memory_by_peak_cli_pss(
    available_gib: int, seats: int
) -> None:
    assert pool_size(pool_budget(available_gib * GIB)) == seats


def test_seats_follow_what_the_host_has_free_not_its_size() -> None:
    """A 24 GiB host where other work already holds 16 GiB gets the seats of 8 GiB."""
    quiet = memory.pool_sizing(1, meminfo(24, 22))
    busy = memory.pool_sizing(1, meminfo(24, 8))
    assert quiet.rule == busy.rule == "memory"
    assert busy.seats < quiet.seats / 2
    assert busy.mem_available_mb == 8 * 1024 and busy.mem_total_mb == 24 * 1024


@pytest.mark.parametrize("workers", [1, 2, 4])
@pytest.mark.parametrize("available_gib", [3, 8, 22, 60])
def test_a_full_pool_at_its_peak_fits_in_the_memory_it_was_given(
    workers: int, available_gib: int
) -> None:
    """Every seat holding a CLI at its measured peak PSS, plus the worker itself, stays
    within the worker's share of 3/4 of MemAvailable (above the two-seat floor)."""
    sizing = memory.pool_sizing(workers, meminfo(24, available_gib))
    assert sizing.budget_mb is not None and sizing.worker_pss_mb is not None
    used_mb = sizing.seats * CLI_PEAK_PSS_BYTES / 2**20 + sizing.worker_pss_mb
    if sizing.seats > memory.MIN_POOL:
        assert used_mb <= sizing.budget_mb
        assert used_mb * workers <= available_gib * 1024 * POOL_AVAILABLE_FRACTION
        # ...and one more seat would not fit: the pool uses what it was given.
        assert used_mb + CLI_PEAK_PSS_BYTES / 2**20 > sizing.budget_mb


def test_the_peak_per_cli_is_at_least_the_peak_the_readme_reports() -> None:
    """The sizing constant is never below a CLI peak the README's long benchmark figures
    show (a re-measured, higher peak must raise it), nor the typical figure it replaced."""
    readme = (REPO / "README.md").read_text()
    peaks = [float(m) for m in re.findall(r'"cli_pss_mb_peak": ([0-9.]+)', readme)]
    assert peaks, "the README shows bench.long's memory figures"
    assert max(peaks) <= CLI_PEAK_PSS_BYTES / 2**20
    assert CLI_PEAK_PSS_BYTES > CLI_PSS_BYTES


def test_pool_size_leaves_room_for_the_worker_and_never_drops_below_two() -> None:
    budget = pool_budget(22 * GIB)
    assert pool_size(budget, own_bytes=CLI_PEAK_PSS_BYTES) == pool_size(budget) - 1
    assert pool_size(0) == memory.MIN_POOL


def test_unreadable_host_memory_falls_back_to_a_few_seats() -> None:
    sizing = memory.pool_sizing(1, "nothing")
    assert (sizing.seats, sizing.rule) == (memory.FALLBACK_POOL, "fallback")


def test_default_pool_size_shares_the_budget_between_workers(
    make_app: Callable[..., Flask],
) -> None:
    """Four workers (WEB_CONCURRENCY) split a host's budget: each gets about a quarter."""
    alone = memory.default_pool_size(1)
    assert memory.default_pool_size(4) <= max(memory.MIN_POOL, alone // 4 + 1)
    svc = make_app(WEB_CONCURRENCY="4").extensions["game_master"]
    # The worker's own PSS moves a little between two reads: a seat either way.
    assert abs(svc.ensure_started().pool.max_live - memory.default_pool_size(4)) <= 1


def test_healthz_reports_the_memory_of_the_live_clis(client: FlaskClient) -> None:
    play(client, new_game(client), "look around")
    pool = client.get("/healthz").get_json()["pool"]
    assert pool["live"] == 1
    assert pool["cli_memory"]["processes"] >= 1 and pool["cli_memory"]["pss_mb"] > 50
    sizing = pool["sizing"]
    assert sizing["rule"] == "memory" and sizing["seats"] == pool["max_live"]
    assert sizing["cli_peak_pss_mb"] == CLI_PEAK_PSS_BYTES / 2**20
    assert 0 < sizing["budget_mb"] < sizing["mem_available_mb"] <= sizing["mem_total_mb"]


def test_long_benchmark_prints_one_json_line() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, "-m", "bench.long", "--turns", "15", "--json-only"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=True,
    )
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 1
    result = json.loads(lines[0])
    assert result["turns"] == 15
    assert result["recall_hit_rate"] is None  # the first recall is at turn 50
    assert result["resume_ms_p50"] > 0 and result["db_bytes"] > 0
    assert result["memory"]["cli_pss_mb_peak"] > 0
