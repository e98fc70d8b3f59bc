"""CPU seconds by process kind, from /proc/PID/stat: the app, its CLIs, the offline narrator.

A snapshot walks the process tree under each root and files every process's own CPU (utime +
stime) under its kind: ``cli`` (a ``claude`` executable), ``narrator`` (the offline narrator
run as its own process, or a process under a ``narrator`` root) or ``app`` (gunicorn's master
and workers). A child that has exited and been waited for is no longer in /proc: the kernel
adds its CPU to its parent's cutime + cstime, which is filed under the kind of the children
the parent starts (a worker's children are its CLIs, and so are those of a benchmark that
runs the app in its own process). The difference of two snapshots
(:func:`cpu_delta`) is then each kind's CPU over the interval, processes that started or
ended in it included. CPU of the load generator itself (this process) is ``bench``.
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
KINDS = ("app", "cli", "narrator")


@dataclass(frozen=True)
class ProcStat:
    """One process's CPU from /proc/PID/stat, in seconds."""

    pid: int
    ppid: int
    own_s: float  # utime + stime
    reaped_s: float  # cutime + cstime: its exited, waited-for children


def parse_stat(text: str) -> ProcStat:
    """Parse /proc/PID/stat (the command, in parentheses, may hold spaces)."""
    head, _, rest = text.rpartition(")")
    pid = int(head.split("(", 1)[0])
    fields = rest.split()
    # After the command: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14).
    utime, stime, cutime, cstime = (int(f) for f in fields[11:15])
    return ProcStat(
        pid, int(fields[1]), (utime + stime) / CLOCK_TICKS, (cutime + cstime) / CLOCK_TICKS
    )


def _all_processes() -> dict[int, ProcStat]:
    """Every readable process on the host."""
    found: dict[int, ProcStat] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                found[int(entry)] = parse_stat(Path(f"/proc/{entry}/stat").read_text())
            except (OSError, ValueError, IndexError):
                continue
    return found


def kind_of(pid: int) -> str:
    """``cli``, ``narrator`` or ``app`` from the process's command line."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "app"
    if os.path.basename(argv[0]) == b"claude":
        return "cli"
    if b"game_master.offline" in argv:
        return "narrator"
    return "app"


def snapshot(roots: dict[str, int]) -> dict[str, float]:
    """CPU seconds so far of every kind under ``roots`` ({"app": gunicorn's pid,
    "narrator": the narrator's pid}), plus ``bench``: this process's own."""
    procs = _all_processes()
    children: dict[int, list[int]] = {}
    for stat in procs.values():
        children.setdefault(stat.ppid, []).append(stat.pid)
    totals = dict.fromkeys(KINDS, 0.0)
    seen: set[int] = set()
    # Other roots first: a narrator started by the process that is the app root is its own.
    for root_kind, root in sorted(roots.items(), key=lambda r: r[0] == "app"):
        todo = [(root, root_kind)]
        while todo:
            pid, parent_kind = todo.pop()
            found = procs.get(pid)
            if found is None or pid in seen:
                continue
            seen.add(pid)
            kind = kind_of(pid) if parent_kind == "app" else parent_kind
            totals[kind] += found.own_s
            # Exited children of an app process were CLIs (gunicorn's master reaps only
            # workers that died, which a sound run does not see); of a CLI or narrator, its own.
            totals["cli" if kind == "app" else kind] += found.reaped_s
            todo.extend((child, kind) for child in children.get(pid, []))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    totals["bench"] = usage.ru_utime + usage.ru_stime
    return totals


def cpu_delta(before: dict[str, float], after: dict[str, float], turns: int) -> dict[str, object]:
    """CPU seconds per turn by kind, the server's total and each kind's share of it."""
    spent = {k: max(0.0, after.get(k, 0.0) - before.get(k, 0.0)) for k in (*KINDS, "bench")}
    server = sum(spent[k] for k in KINDS)
    per_turn = {k: round(v / turns, 4) if turns else None for k, v in spent.items()}
    return {
        "turns": turns,
        "cpu_s": {k: round(v, 2) for k, v in spent.items()},
        "cpu_s_per_turn": per_turn,
        "server_cpu_s_per_turn": round(server / turns, 4) if turns else None,
        "without_narrator_cpu_s_per_turn": (
            round((server - spent["narrator"]) / turns, 4) if turns else None
        ),
        "share": {k: round(spent[k] / server, 3) if server else None for k in KINDS},
    }
