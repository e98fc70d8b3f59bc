"""What live games cost in memory: /proc/PID/smaps_rollup, and the pool size it allows.

RSS overstates a Claude CLI: about 92 MB of its ~220 MB RSS is the CLI binary, mapped once
and shared by every CLI on the host. What one more live game really costs is its private
memory (Private_Clean + Private_Dirty), and the fair share of a process in a pool is its
PSS (shared pages divided among the processes mapping them). The pool is sized from that.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# A live CLI's PSS grows with its conversation: 141 MB after a turn (private 128 MB), 183 MB
# at ~20k tokens, 208 MB just before the chapter closes at the default 24k-token budget
# (python -m bench.memory --games 8 --turns 80: a typical chapter's end). Over a long
# campaign it goes higher: python -m bench.long --turns 1000 (default budget) measured a peak
# of 314-319 MB PSS for the game's CLI (private 314-319 MB; 2-core 24 GiB host). The pool is
# sized on that PEAK, rounded up: a pool sized on the typical 208 MB overcommits by half.
CLI_PEAK_PSS_BYTES = 320 * 2**20
# The previous rule's figures (typical PSS; before it, RSS with the shared binary), kept for
# the comparisons in bench.
CLI_PSS_BYTES = 208 * 2**20
OLD_CLI_RSS_BYTES = 220 * 2**20
# Share of the memory available when a worker starts (MemAvailable: free memory plus what
# the kernel can reclaim, after everything else running on the host) that the live CLIs of
# all workers may use. The rest is headroom: the workers' own growth, the database's page
# cache, a CLI briefly over its measured peak.
POOL_AVAILABLE_FRACTION = 0.75
# The previous rule: a fixed quarter of physical RAM, whatever else runs on the host.
POOL_RAM_FRACTION = 0.25
MIN_POOL = 2
FALLBACK_POOL = 4  # when the host's memory cannot be read

_FIELDS = {
    "Rss": "rss",
    "Pss": "pss",
    "Shared_Clean": "shared_clean",
    "Shared_Dirty": "shared_dirty",
    "Private_Clean": "private_clean",
    "Private_Dirty": "private_dirty",
    "Swap": "swap",
}


@dataclass(frozen=True)
class MemoryUsage:
    """Bytes of one process (or a sum of processes) from smaps_rollup."""

    rss: int = 0
    pss: int = 0
    shared_clean: int = 0
    shared_dirty: int = 0
    private_clean: int = 0
    private_dirty: int = 0
    swap: int = 0
    processes: int = 1

    @property
    def private(self) -> int:
        """Memory no other process shares: what closing the process frees."""
        return self.private_clean + self.private_dirty

    def __add__(self, other: MemoryUsage) -> MemoryUsage:
        """Field-wise sum (a pool of processes)."""
        return MemoryUsage(
            rss=self.rss + other.rss,
            pss=self.pss + other.pss,
            shared_clean=self.shared_clean + other.shared_clean,
            shared_dirty=self.shared_dirty + other.shared_dirty,
            private_clean=self.private_clean + other.private_clean,
            private_dirty=self.private_dirty + other.private_dirty,
            swap=self.swap + other.swap,
            processes=self.processes + other.processes,
        )

    def to_mb(self) -> dict[str, float | int]:
        """JSON form in MiB (one decimal)."""
        mb = 2**20
        return {
            "processes": self.processes,
            "rss_mb": round(self.rss / mb, 1),
            "pss_mb": round(self.pss / mb, 1),
            "private_mb": round(self.private / mb, 1),
            "private_dirty_mb": round(self.private_dirty / mb, 1),
        }


NONE = MemoryUsage(processes=0)


def parse_smaps_rollup(text: str) -> MemoryUsage:
    """Parse the text of /proc/PID/smaps_rollup (values in kB) into bytes."""
    values: dict[str, int] = {}
    for line in text.splitlines():
        key, sep, rest = line.partition(":")
        field = _FIELDS.get(key.strip())
        if not sep or field is None:
            continue
        parts = rest.split()
        if parts and parts[0].isdigit():
            unit = parts[1].lower() if len(parts) > 1 else "kb"
            values[field] = int(parts[0]) * (1024 if unit == "kb" else 1)
    return MemoryUsage(**values)


def process_memory(pid: int | str = "self") -> MemoryUsage | None:
    """One process's memory, or None when it is gone or unreadable."""
    try:
        return parse_smaps_rollup(Path(f"/proc/{pid}/smaps_rollup").read_text())
    except (OSError, ValueError):
        return None


def total_memory(pids: Iterable[int]) -> MemoryUsage:
    """Summed memory of ``pids`` (processes that vanished meanwhile count as nothing)."""
    total = NONE
    for pid in pids:
        usage = process_memory(pid)
        if usage is not None:
            total = total + usage
    return total


def cli_children(pid: int | None = None) -> list[int]:
    """PIDs of the Claude CLI processes among the descendants of ``pid`` (default: this one).

    Reads /proc/PID/task/*/children, so it costs a few file reads, not a scan of /proc.
    """
    found: list[int] = []
    todo = [pid if pid is not None else os.getpid()]
    while todo:
        parent = todo.pop()
        try:
            tasks = list(Path(f"/proc/{parent}/task").iterdir())
        except OSError:
            continue
        for task in tasks:
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                todo.append(child)
                if _is_cli(child):
                    found.append(child)
    return found


def _is_cli(pid: int) -> bool:
    """True when the process runs a ``claude`` executable."""
    try:
        argv0 = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0", 1)[0]
    except OSError:
        return False
    return os.path.basename(argv0) == b"claude"


def host_memory(meminfo: str | None = None) -> tuple[int, int] | None:
    """(MemTotal, MemAvailable) in bytes from /proc/meminfo, or None when unreadable."""
    try:
        text = meminfo if meminfo is not None else Path("/proc/meminfo").read_text()
    except OSError:
        return None
    values: dict[str, int] = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            values[key.strip()] = int(parts[0]) * 1024
    if "MemTotal" not in values:
        return None
    return values["MemTotal"], values.get("MemAvailable", values["MemTotal"])


def pool_budget(available_bytes: int, workers: int = 1) -> int:
    """Bytes the live CLIs of one worker may use: its share of 3/4 of MemAvailable."""
    return int(available_bytes * POOL_AVAILABLE_FRACTION) // max(1, workers)


def pool_size(
    budget_bytes: int, per_cli_bytes: int = CLI_PEAK_PSS_BYTES, own_bytes: int = 0
) -> int:
    """Seats for a budget: floor((budget - the worker's own PSS) / per-CLI peak PSS), at
    least 2."""
    return max(MIN_POOL, (budget_bytes - own_bytes) // per_cli_bytes)


@dataclass(frozen=True)
class PoolSizing:
    """How a worker's seats were chosen (reported by /healthz as ``pool.sizing``)."""

    seats: int
    rule: str  # "memory" (from MemAvailable), "fallback" (unreadable), "setting"
    mem_available_mb: float | None = None
    mem_total_mb: float | None = None
    workers: int = 1
    budget_mb: float | None = None
    worker_pss_mb: float | None = None
    cli_peak_pss_mb: float = round(CLI_PEAK_PSS_BYTES / 2**20, 1)
    fraction_of_available: float = POOL_AVAILABLE_FRACTION

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return dict(self.__dict__)


def pool_sizing(workers: int = 1, meminfo: str | None = None) -> PoolSizing:
    """Seats for this worker: its share (of ``workers``) of 3/4 of MemAvailable, less its
    own PSS, by the CLI's peak PSS (CLI_PEAK_PSS_BYTES)."""
    host = host_memory(meminfo)
    if host is None:
        return PoolSizing(FALLBACK_POOL, "fallback", workers=workers)
    mb = 2**20
    own = process_memory()
    own_pss = own.pss if own else 0
    budget = pool_budget(host[1], workers)
    return PoolSizing(
        seats=pool_size(budget, CLI_PEAK_PSS_BYTES, own_pss),
        rule="memory",
        mem_available_mb=round(host[1] / mb, 1),
        mem_total_mb=round(host[0] / mb, 1),
        workers=workers,
        budget_mb=round(budget / mb, 1),
        worker_pss_mb=round(own_pss / mb, 1),
    )


def default_pool_size(workers: int = 1) -> int:
    """Seats for this worker (see :func:`pool_sizing`)."""
    return pool_sizing(workers).seats


_cache: dict[str, tuple[float, dict[str, float | int]]] = {}
POOL_MEMORY_MAX_AGE_S = 5.0


def pool_memory_mb() -> dict[str, float | int]:
    """Summed memory of this process's CLIs in MiB, re-read at most every 5 s (for /healthz)."""
    now = time.monotonic()
    cached = _cache.get("pool")
    if cached is not None and now - cached[0] < POOL_MEMORY_MAX_AGE_S:
        return cached[1]
    figures = total_memory(cli_children()).to_mb()
    _cache["pool"] = (now, figures)
    return figures
