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

# A live CLI's PSS grows with its conversation: 141 MB after a turn (private 128 MB), 183 MB
# at ~20k tokens, 208 MB just before the chapter closes at the default 24k-token budget
# (python -m bench.memory --games 8 --turns 80; bundled CLI, 2-core 24 GiB host). A chapter
# close replaces the CLI with a fresh one, so 208 MB is the most one costs: the constant, so
# that a pool of CLIs all at the end of a chapter stays within the budget.
CLI_PSS_BYTES = 208 * 2**20
# The old rule's figure (RSS, shared binary included), kept for the comparison in bench.
OLD_CLI_RSS_BYTES = 220 * 2**20
# Share of physical RAM the live CLIs of one worker may use.
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


def pool_budget(total_bytes: int) -> int:
    """Bytes the live CLIs of one worker may use: a quarter of physical RAM."""
    return int(total_bytes * POOL_RAM_FRACTION)


def pool_size(budget_bytes: int, per_cli_bytes: int = CLI_PSS_BYTES, own_bytes: int = 0) -> int:
    """Seats for a budget: floor((budget - the worker's own PSS) / per-CLI PSS), at least 2."""
    return max(MIN_POOL, (budget_bytes - own_bytes) // per_cli_bytes)


def default_pool_size(workers: int = 1) -> int:
    """Seats for this worker: its share (of ``workers``) of the budget, less its own PSS,
    by CLI_PSS_BYTES."""
    host = host_memory()
    if host is None:
        return FALLBACK_POOL
    own = process_memory()
    share = pool_budget(host[0]) // max(1, workers)
    return pool_size(share, CLI_PSS_BYTES, own.pss if own else 0)


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
