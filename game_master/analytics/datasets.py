"""Dataset builders: turns from the game database → a Braintrust dataset or versioned JSONL.

Turns are read from the game database, the authoritative turn log (the same turns the traces
show, with every tool call's input and result). One record per turn, its id the turn id, so
re-running a builder never duplicates: Braintrust upserts by id, and the JSONL writer merges
by id and writes a new version file only when something changed.

Record shape::

    {"id": turn_id, "input": player_message,
     "expected": {"narration": ..., "tool_calls": [...]},   # the logged answer
     "metadata": {"game_id", "turn_id", "turn_number", "character", "scenario", "tools",
                  "player_rating", "span_id"},
     "tags": ["multi-tool", ...]}

Preference records (``analytics.preferences``) carry ``chosen``/``rejected`` instead of
``expected``; in Braintrust the pair is stored as ``expected`` and read back as the pair.
JSONL versions live in ``<dir>/<name>.v<N>.jsonl``; each file is a full snapshot.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..store import Store, TurnRecord
from .local import find_turn_ids, latest_ratings, load_turns
from .scorers import score_turn

Record = dict[str, Any]
VERSION_RE = re.compile(r"^(?P<name>.+)\.v(?P<version>\d+)\.jsonl$")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,80}$")


@dataclass(frozen=True)
class Criteria:
    """Which turns a builder selects (all given conditions must hold)."""

    text: str | None = None
    tool: str | None = None
    min_tools: int = 0
    score: str | None = None
    min_score: float | None = None
    max_score: float | None = None
    since: float | None = None
    until: float | None = None
    limit: int = 100


RECENT = Criteria()
MULTI_TOOL = Criteria(min_tools=2)


def validate_name(name: str) -> str:
    """A dataset name safe for file names and Braintrust (letters, digits, _ . -)."""
    if not NAME_RE.match(name):
        raise ValueError(f"invalid dataset name {name!r}: use letters, digits, '_', '.', '-'")
    return name


def turn_scores_for(turn: TurnRecord, rating: float | None) -> dict[str, float]:
    """The rule scorers' values for a stored turn, plus the player's rating if any."""
    results = score_turn(turn.player_message, turn.narration or "", turn.tool_calls)
    scores = {name: float(r["score"]) for name, r in results.items()}
    if rating is not None:
        scores["player_rating"] = rating
    return scores


def _matches(
    turn: TurnRecord, criteria: Criteria, rating: float | None
) -> tuple[bool, dict[str, float]]:
    """Whether a completed turn meets the criteria (and its scores, when computed)."""
    names = [c.get("name") for c in turn.tool_calls]
    if len(names) < criteria.min_tools:
        return False, {}
    if criteria.tool and criteria.tool not in names:
        return False, {}
    if criteria.score is None:
        return True, {}
    scores = turn_scores_for(turn, rating)
    value = scores.get(criteria.score)
    if value is None:
        return False, scores
    if criteria.min_score is not None and value < criteria.min_score:
        return False, scores
    if criteria.max_score is not None and value > criteria.max_score:
        return False, scores
    return True, scores


def select_turns(store: Store, criteria: Criteria) -> list[TurnRecord]:
    """Completed turns meeting ``criteria``, oldest first (game by game, in turn order)."""
    ids = find_turn_ids(
        store,
        text=criteria.text,
        since=criteria.since,
        until=criteria.until,
        status="completed",
        limit=None,
    )
    turns = load_turns(store, ids)
    ratings = latest_ratings(store, [t.id for t in turns])
    chosen = [t for t in turns if _matches(t, criteria, ratings.get(t.id))[0]]
    chosen = chosen[: criteria.limit]
    return sorted(chosen, key=lambda t: (t.started_at, t.number))


def build_records(store: Store, turns: list[TurnRecord]) -> list[Record]:
    """Dataset records for stored turns (stable ids: the turn ids)."""
    ratings = latest_ratings(store, [t.id for t in turns])
    games: dict[str, Any] = {}
    records = []
    for turn in turns:
        if turn.game_id not in games:
            games[turn.game_id] = store.get_game(turn.game_id)
        game = games[turn.game_id]
        char = game.state.character
        tools = [c.get("name") for c in turn.tool_calls]
        tags = ["multi-tool"] if len(tools) >= 2 else []
        if any(c.get("is_error") for c in turn.tool_calls):
            tags.append("tool-refused")
        records.append(
            {
                "id": turn.id,
                "input": turn.player_message,
                "expected": {"narration": turn.narration, "tool_calls": turn.tool_calls},
                "metadata": {
                    "game_id": turn.game_id,
                    "turn_id": turn.id,
                    "turn_number": turn.number,
                    "character": {"name": char.name, "class": char.cls},
                    "scenario": game.scenario,
                    "tools": tools,
                    "player_rating": ratings.get(turn.id),
                    "span_id": turn.span_id,
                },
                "tags": tags,
            }
        )
    return records


# ---------------------------------------------------------------------------- JSONL


def versions(directory: Path, name: str) -> list[int]:
    """Existing version numbers of a JSONL dataset, ascending."""
    found = []
    for path in directory.glob(f"{name}.v*.jsonl"):
        m = VERSION_RE.match(path.name)
        if m and m.group("name") == name:
            found.append(int(m.group("version")))
    return sorted(found)


def jsonl_path(directory: Path, name: str, version: int) -> Path:
    """The file of one version."""
    return directory / f"{name}.v{version}.jsonl"


def load_jsonl(directory: Path, name: str, version: int | None = None) -> list[Record]:
    """The records of a version (default: the latest); FileNotFoundError when absent."""
    validate_name(name)
    known = versions(directory, name)
    if not known:
        raise FileNotFoundError(f"no dataset {name!r} in {directory}")
    chosen = version if version is not None else known[-1]
    path = jsonl_path(directory, name, chosen)
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@dataclass(frozen=True)
class WriteResult:
    """What a builder run did."""

    destination: str
    version: int | None
    total: int
    added: int
    updated: int


def write_jsonl(directory: Path, name: str, records: list[Record]) -> WriteResult:
    """Merge ``records`` into the latest version by id; write v<N+1> only if anything changed."""
    validate_name(name)
    directory.mkdir(parents=True, exist_ok=True)
    known = versions(directory, name)
    merged: dict[str, Record] = {}
    if known:
        merged = {r["id"]: r for r in load_jsonl(directory, name, known[-1])}
    added = updated = 0
    for record in records:
        old = merged.get(record["id"])
        if old is None:
            added += 1
        elif old != record:
            updated += 1
        merged[record["id"]] = record
    if known and not added and not updated:
        path = jsonl_path(directory, name, known[-1])
        return WriteResult(str(path), known[-1], len(merged), 0, 0)
    version = (known[-1] if known else 0) + 1
    path = jsonl_path(directory, name, version)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for record in merged.values():
            fh.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
    tmp.replace(path)
    return WriteResult(str(path), version, len(merged), added, updated)


# ---------------------------------------------------------------------------- Braintrust


def push_braintrust(
    project: str,
    name: str,
    records: list[Record],
    progress: Callable[[int], None] | None = None,
) -> WriteResult:
    """Insert records into the Braintrust dataset ``name`` (upserts by id: no duplicates)."""
    import braintrust

    validate_name(name)
    dataset = braintrust.init_dataset(project=project, name=name)
    for record in records:
        dataset.insert(
            input=record["input"],
            expected=_expected_of(record),
            metadata=record["metadata"],
            tags=record.get("tags") or None,
            id=record["id"],
        )
        if progress:
            progress(1)
    dataset.flush()
    return WriteResult(f"braintrust:{project}/{name}", None, len(records), len(records), 0)


def _expected_of(record: Record) -> Any:
    """What Braintrust keeps as ``expected``: a preference record's pair, else ``expected``."""
    if "chosen" in record:
        return {"chosen": record["chosen"], "rejected": record.get("rejected")}
    return record.get("expected")


def _from_row(row: Mapping[str, Any]) -> Record:
    """A Braintrust dataset row in the shape the JSONL files use (either kind)."""
    record: Record = {"id": row["id"], "input": row.get("input")}
    expected = row.get("expected")
    if isinstance(expected, dict) and set(expected) == {"chosen", "rejected"}:
        record.update(chosen=expected["chosen"], rejected=expected["rejected"])
    else:
        record["expected"] = expected
    record.update(metadata=row.get("metadata") or {}, tags=row.get("tags") or [])
    return record


def load_braintrust(project: str, name: str) -> list[Record]:
    """Every record of a Braintrust dataset, in the shape the JSONL files use."""
    import braintrust

    dataset = braintrust.init_dataset(project=project, name=name)
    return [_from_row(row) for row in dataset]
