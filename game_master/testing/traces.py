"""Trace fidelity under load: many games at once, each mixing turns, a retry, a rewind, a
switch of line and chapter closes, then a check that every span is in its own game's trace
under the right parent. Shared by tests/tracing/test_traces_at_scale.py and
``python -m bench.traces``.

The app runs under gunicorn with tracing to the loopback Braintrust recorder and a context
budget that closes a chapter after every turn (:func:`chapter_per_turn_budget`); it is
stopped with SIGTERM before the check, so the check also proves the worker flushed every
span on the way out.
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from .bt_recorder import BraintrustRecorder
from .env import chapter_per_turn_budget
from .servers import Gunicorn

PROJECT = "game-master-traces"
# Spans the app opens directly under a game's root span.
UNDER_ROOT = {"turn", "chapter", "arc", "rewind"}


@dataclass
class GameLog:
    """What one game did over HTTP: its turns (every telling) and what failed."""

    game_id: str
    turn_ids: list[str] = field(default_factory=list)
    root_span_id: str | None = None
    rewinds: int = 0
    switches: int = 0
    errors: list[str] = field(default_factory=list)


def _turn(url: str, log: GameLog, message: str) -> dict[str, Any] | None:
    """One JSON turn; its id recorded."""
    resp = requests.post(
        f"{url}/api/games/{log.game_id}/turns", json={"message": message}, timeout=300
    )
    if resp.status_code != 200:
        log.errors.append(f"turn {message!r}: {resp.status_code} {resp.text[:200]}")
        return None
    body = resp.json()
    log.turn_ids.append(body["turn_id"])
    if body.get("trace"):
        log.root_span_id = body["trace"]["root_span_id"]
    return dict(body)


def play_mixed_game(url: str, log: GameLog) -> None:
    """Two turns, a retry of the second, a turn on from it, a rewind to turn 1, a turn on the
    new line, a switch back to the first line and a turn there. With the chapter-per-turn
    budget every turn also closes a chapter (and rolls arcs as they fall due)."""
    try:
        _turn(url, log, "look around")
        second = _turn(url, log, "take the bread")
        if second is None:
            return
        resp = requests.post(
            f"{url}/api/games/{log.game_id}/turns/{second['turn_id']}/retry", json={}, timeout=300
        )
        if resp.status_code != 200:
            log.errors.append(f"retry: {resp.status_code} {resp.text[:200]}")
            return
        log.turn_ids.append(resp.json()["turn_id"])
        _turn(url, log, "go east")
        resp = requests.post(
            f"{url}/api/games/{log.game_id}/rewind", json={"to_turn": 1}, timeout=60
        )
        if resp.status_code != 200:
            log.errors.append(f"rewind: {resp.status_code} {resp.text[:200]}")
            return
        log.rewinds += 1
        _turn(url, log, "listen")
        lines = requests.get(f"{url}/api/games/{log.game_id}/branches", timeout=60).json()
        other = [b for b in lines if not b["active"]]
        resp = requests.post(
            f"{url}/api/games/{log.game_id}/branches/{other[0]['id']}/activate", timeout=60
        )
        if resp.status_code != 200:
            log.errors.append(f"switch: {resp.status_code} {resp.text[:200]}")
            return
        log.switches += 1
        _turn(url, log, "look around")
    except (requests.RequestException, ValueError, KeyError, IndexError) as exc:
        log.errors.append(repr(exc))


def name(span: dict[str, Any]) -> str:
    """A span's name."""
    return str((span.get("span_attributes") or {}).get("name"))


def parent_of(span: dict[str, Any]) -> str | None:
    """A span's direct parent span id."""
    parents = span.get("span_parents") or []
    return str(parents[0]) if parents else None


def check_traces(spans: dict[str, dict[str, Any]], games: list[GameLog]) -> list[str]:
    """Every problem with the recorded spans of ``games`` ([]: every span is in its own
    game's trace under the right parent, and every turn's spans arrived whole)."""
    problems: list[str] = []
    by_root: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for s in spans.values():
        by_root[str(s.get("root_span_id"))].append(s)
    game_of_root: dict[str, str] = {}
    for s in spans.values():
        if name(s) == "game":
            game_of_root[str(s["root_span_id"])] = str((s.get("metadata") or {}).get("game_id"))
    # Spans naming a game are in that game's trace; every parent is in the same trace.
    for s in spans.values():
        root = str(s.get("root_span_id"))
        gid = (s.get("metadata") or {}).get("game_id")
        if gid is not None and game_of_root.get(root) != gid:
            problems.append(f"{name(s)} span of game {gid} is in the trace of {root}")
        parent = parent_of(s)
        if parent is not None:
            if parent not in spans:
                problems.append(f"{name(s)} span {s['span_id']} has an unrecorded parent")
            elif str(spans[parent].get("root_span_id")) != root:
                problems.append(f"{name(s)} span {s['span_id']} has a parent in another trace")
    children: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for s in spans.values():
        if (p := parent_of(s)) is not None:
            children[p].append(s)
    for log in games:
        problems.extend(_check_game(log, by_root, game_of_root, children))
    return problems


def _check_game(
    log: GameLog,
    by_root: dict[str, list[dict[str, Any]]],
    game_of_root: dict[str, str],
    children: dict[str, list[dict[str, Any]]],
) -> list[str]:
    """The problems of one game's trace."""
    gid = log.game_id
    roots = [r for r, g in game_of_root.items() if g == gid]
    if len(roots) != 1:
        return [f"game {gid}: {len(roots)} game root spans"]
    root = roots[0]
    if log.root_span_id is not None and log.root_span_id != root:
        return [f"game {gid}: its turns answered with root {log.root_span_id}, not {root}"]
    tree = by_root[root]
    [game_span] = [s for s in tree if name(s) == "game"]
    problems = []
    for s in tree:
        if name(s) in UNDER_ROOT and parent_of(s) != game_span["span_id"]:
            problems.append(f"game {gid}: a {name(s)} span is not under the game's root")
    turns = [s for s in tree if name(s) == "turn"]
    seen = Counter(str((t.get("metadata") or {}).get("turn_id")) for t in turns)
    for turn_id in log.turn_ids:
        if seen[turn_id] != 1:
            problems.append(f"game {gid}: turn {turn_id} has {seen[turn_id]} turn spans")
    if len(turns) != len(log.turn_ids):
        problems.append(f"game {gid}: {len(turns)} turn spans for {len(log.turn_ids)} turns")
    for t in turns:
        agents = [c for c in children[t["span_id"]] if name(c) == "Claude Agent"]
        if len(agents) != 1:
            problems.append(f"game {gid}: a turn span has {len(agents)} Claude Agent spans")
        if not (t.get("metrics") or {}).get("end"):
            problems.append(f"game {gid}: turn {t['metadata'].get('turn_id')} never ended")
        elif not t.get("output"):
            problems.append(f"game {gid}: turn {t['metadata'].get('turn_id')} has no output")
        for agent in agents:
            llm = [c for c in children[agent["span_id"]] if name(c).startswith("anthropic.")]
            if not llm:
                problems.append(f"game {gid}: a Claude Agent span has no model call under it")
    if not any(name(s) == "chapter" for s in tree):
        problems.append(f"game {gid}: no chapter span")
    if sum(name(s) == "rewind" for s in tree) != log.rewinds:
        problems.append(f"game {gid}: rewind spans do not match the {log.rewinds} rewinds")
    return problems


@dataclass
class Report:
    """Outcome of a run: games, spans, what each kind counted, and the problems."""

    games: int
    spans: int
    names: dict[str, int]
    errors: list[str]
    problems: list[str]
    exit_code: int

    @property
    def passed(self) -> bool:
        """No HTTP error, a clean SIGTERM exit and no trace problem."""
        return not self.errors and not self.problems and self.exit_code == 0


def run_games(
    n_games: int,
    data_dir: Path,
    recorder: BraintrustRecorder,
    slow_uploads_s: float = 0.3,
    env: dict[str, str] | None = None,
) -> Report:
    """Start gunicorn traced to ``recorder``, play ``n_games`` mixed games at once, stop it
    with SIGTERM, and check the recorded traces.

    Every upload to the recorder takes ``slow_uploads_s``, so spans queue up in the worker
    while the games play and the last ones are still queued when SIGTERM comes: only the
    worker's flush on the way out delivers them."""
    settings = {
        "GM_THREADS": str(max(16, n_games + 4)),
        "GM_MAX_LIVE_SESSIONS": str(n_games + 2),
        "GM_CONTEXT_BUDGET_TOKENS": chapter_per_turn_budget(),
        "BRAINTRUST_PROJECT": PROJECT,
        **recorder.env(),
        **(env or {}),
    }
    if slow_uploads_s > 0:
        recorder.set_fault("slow", seconds=slow_uploads_s)
    server = Gunicorn(data_dir, workers=1, **settings).start(timeout=60)
    logs: list[GameLog] = []
    try:
        for _ in range(n_games):
            resp = requests.post(f"{server.url}/api/games", json={}, timeout=60)
            logs.append(GameLog(resp.json()["id"]))
        threads = [threading.Thread(target=play_mixed_game, args=(server.url, log)) for log in logs]
        for t in threads:
            t.start()
        for t in threads:
            t.join(900)
    finally:
        code = server.stop()  # SIGTERM: the worker must flush every span before it exits
    spans = recorder.spans()
    return Report(
        games=n_games,
        spans=len(spans),
        names=dict(Counter(name(s) for s in spans.values())),
        errors=[f"{log.game_id}: {e}" for log in logs for e in log.errors],
        problems=check_traces(spans, logs),
        exit_code=code,
    )
