"""Lore search: an in-memory SQLite FTS5 index (BM25) over a scenario's text."""

from __future__ import annotations

import re
import sqlite3
import threading
from typing import Any

from .rules import Scenario

MAX_RESULTS = 5


class LoreIndex:
    """Full-text index of one scenario's lore, locations, items and NPCs."""

    def __init__(self, scenario: Scenario) -> None:
        """Build the index; it lives in memory for the life of the process."""
        self._lock = threading.Lock()
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._db.execute(
            "CREATE VIRTUAL TABLE lore USING fts5(kind, ref, title, body, tokenize='porter')"
        )
        rows: list[tuple[str, str, str, str]] = []
        rows += [("lore", f"lore:{i}", e["title"], e["text"]) for i, e in enumerate(scenario.lore)]
        rows += [("location", k, v.name, v.description) for k, v in scenario.locations.items()]
        rows += [("item", k, v.name, v.description) for k, v in scenario.items.items()]
        rows += [("npc", k, v.name, f"{v.description} {v.lore}") for k, v in scenario.npcs.items()]
        self._db.executemany("INSERT INTO lore VALUES (?, ?, ?, ?)", rows)

    def search(self, query: str, limit: int = MAX_RESULTS) -> list[dict[str, Any]]:
        """Best matches for free text, ranked by BM25 (title weighted over body)."""
        words = re.findall(r"\w+", query.lower())[:12]
        if not words:
            return []
        # Quote every word so user text can never be read as FTS5 query syntax.
        match = " OR ".join(f'"{w}"' for w in words)
        with self._lock:
            cur = self._db.execute(
                "SELECT kind, ref, title, body, bm25(lore, 0, 0, 4.0, 1.0) AS score FROM lore "
                "WHERE lore MATCH ? ORDER BY score LIMIT ?",
                (match, max(1, min(limit, MAX_RESULTS))),
            )
            return [
                {"kind": k, "ref": r, "title": t, "text": b, "score": round(-s, 3)}
                for k, r, t, b, s in cur.fetchall()
            ]


_INDEXES: dict[str, LoreIndex] = {}
_INDEX_LOCK = threading.Lock()


def lore_index(scenario: Scenario) -> LoreIndex:
    """The shared index for a scenario, built on first use."""
    with _INDEX_LOCK:
        if scenario.id not in _INDEXES:
            _INDEXES[scenario.id] = LoreIndex(scenario)
        return _INDEXES[scenario.id]
