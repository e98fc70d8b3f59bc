"""The analytics questions answered from the game database, for when tracing is off.

All SQL lives in :mod:`game_master.store`; this module shapes its answers.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from ..scoring import turn_scores
from ..store import GameRecord, Store, TurnRecord
from ..views import game_summary
from .models import GameRow, SpanRow, ToolStat, TurnRow


def recent_game_ids(
    store: Store, limit: int = 20, since: float | None = None, until: float | None = None
) -> list[str]:
    """Ids of the newest games, optionally created within [since, until)."""
    return store.recent_game_ids(limit, since, until)


def find_turn_ids(store: Store, **criteria: Any) -> list[tuple[str, str]]:
    """(game_id, turn_id) of matching turns, newest first (see Store.find_turn_ids)."""
    return store.find_turn_ids(**criteria)


def latest_ratings(store: Store, turn_ids: Iterable[str]) -> dict[str, float]:
    """The newest player rating of each given turn that has one."""
    return store.latest_ratings(list(dict.fromkeys(turn_ids)))


def load_turns(store: Store, ids: list[tuple[str, str]]) -> list[TurnRecord]:
    """TurnRecords for (game_id, turn_id) pairs, in the given order."""
    return [store.get_turn(gid, tid) for gid, tid in ids]


def turn_row(turn: TurnRecord, rating: float | None = None) -> TurnRow:
    """A TurnRow with the turn's heuristic scores (and the player's rating, if any)."""
    scores = turn_scores(turn.narration or "", turn.tool_calls) if turn.narration else {}
    if rating is not None:
        scores["player_rating"] = rating
    return TurnRow(
        turn_id=turn.id,
        game_id=turn.game_id,
        number=turn.number,
        player_message=turn.player_message,
        narration=turn.narration,
        tools=[c.get("name", "?") for c in turn.tool_calls],
        scores=scores,
        created=turn.started_at,
        span_id=turn.span_id,
        source="local",
    )


def game_row(game: GameRecord, turns: list[TurnRecord]) -> GameRow:
    """A GameRow from the same aggregate the game's root span carries."""
    output, _ = game_summary(game, turns)
    return GameRow(
        game_id=game.id,
        created=game.created_at,
        character=output["character"],
        total_turns=output["total_turns"],
        completed_turns=output["completed_turns"],
        outcome=output["outcome"],
        location=output["location"],
        first_message=output["first_message"],
        latest_narration=output["latest_narration"],
        source="local",
    )


class LocalAnalytics:
    """The analytics questions answered from the local game database."""

    source = "local"

    def __init__(self, store: Store) -> None:
        """Answer from ``store``."""
        self.store = store

    def _rows(self, ids: list[tuple[str, str]]) -> list[TurnRow]:
        """TurnRows (with ratings) for (game_id, turn_id) pairs."""
        turns = load_turns(self.store, ids)
        ratings = latest_ratings(self.store, [t.id for t in turns])
        return [turn_row(t, ratings.get(t.id)) for t in turns]

    def recent_games(
        self, limit: int = 20, since: float | None = None, until: float | None = None
    ) -> list[GameRow]:
        """Newest games with their aggregated story."""
        rows = []
        for gid in recent_game_ids(self.store, limit, since, until):
            rows.append(game_row(self.store.get_game(gid), self.store.list_turns(gid)))
        return rows

    def search(self, text: str, limit: int = 20) -> list[TurnRow]:
        """Turns whose player message or narration contains ``text`` (case-insensitive)."""
        return self._rows(find_turn_ids(self.store, text=text, status=None, limit=limit))

    def turns(
        self, since: float | None = None, until: float | None = None, limit: int = 100
    ) -> list[TurnRow]:
        """Turns in a time window, newest first."""
        ids = find_turn_ids(self.store, since=since, until=until, status=None, limit=limit)
        return self._rows(ids)

    def tool_stats(self, since: float | None = None, until: float | None = None) -> list[ToolStat]:
        """Calls and refusals per tool (latency is not stored locally: None)."""
        stats: dict[str, ToolStat] = {}
        ids = find_turn_ids(self.store, since=since, until=until, status=None, limit=None)
        for turn in load_turns(self.store, ids):
            for call in turn.tool_calls:
                stat = stats.setdefault(
                    call.get("name", "?"), ToolStat(call.get("name", "?"), 0, 0)
                )
                stat.calls += 1
                stat.errors += 1 if call.get("is_error") else 0
        return sorted(stats.values(), key=lambda s: (-s.calls, s.tool))

    def low_rated(self, threshold: float = 0.5, limit: int = 50) -> list[TurnRow]:
        """Turns rated or scored below ``threshold``, newest first."""
        found = []
        for row in self._rows(find_turn_ids(self.store, limit=None)):
            if any(v < threshold for v in row.scores.values()):
                found.append(row)
                if len(found) >= limit:
                    break
        return found

    def game_trace(self, game_id: str) -> list[SpanRow]:
        """The game as a synthesized trace: the game, its turns, each turn's tool calls."""
        game = self.store.get_game(game_id)
        turns = self.store.list_turns(game_id)
        output, metadata = game_summary(game, turns)
        root = f"game:{game.id}"
        spans = [
            SpanRow(
                root,
                None,
                "game",
                "task",
                output={"outcome": output["outcome"]},
                metadata=metadata,
                start=game.created_at,
                end=game.updated_at,
            )
        ]
        ratings = latest_ratings(self.store, [t.id for t in turns])
        for turn in turns:
            row = turn_row(turn, ratings.get(turn.id))
            tid = f"turn:{turn.id}"
            end = turn.completed_at or time.time()
            spans.append(
                SpanRow(
                    tid,
                    root,
                    "turn",
                    "task",
                    input=turn.player_message,
                    output=turn.narration,
                    error=turn.error_message,
                    scores=row.scores,
                    metadata={"turn_number": turn.number, "status": turn.status},
                    start=turn.started_at,
                    end=end,
                )
            )
            for i, call in enumerate(turn.tool_calls):
                spans.append(
                    SpanRow(
                        f"{tid}:tool:{i}",
                        tid,
                        call.get("name", "?"),
                        "tool",
                        input=call.get("input"),
                        output=call.get("result"),
                        error=call.get("result") if call.get("is_error") else None,
                    )
                )
        return spans
