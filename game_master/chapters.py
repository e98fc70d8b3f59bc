"""Chapters: when a game's context closes a chapter, and arcs that keep the chronicle bounded.

After each turn the SDK reports the context's size; past the budget the chapter closes with a
summary (the model's, or one written from the turn log) and the next turn starts a fresh
Claude session primed with the chronicle. The chronicle stays bounded at any length: once
:data:`KEEP_CHAPTERS` + :data:`ARC_SPAN` chapters stand on their own, the oldest
:data:`ARC_SPAN` roll into an arc (level 1) with its own summary, and :data:`ARC_SPAN` arcs of
a level roll into one of the level above. A fresh session is told the top arcs, then each
lower level's, then the newest chapters: at most ``KEEP_CHAPTERS + ARC_SPAN - 1`` chapters
and ``ARC_SPAN - 1`` arcs per level, and the levels grow as the logarithm of the game's length
(at most 13 summaries through 130 chapters, about 10,000 turns at the default budget; 18
through 1,000 chapters; 23 through 10,000). ``recall`` still finds every turn and every
chapter and arc summary. The game state never depends on a summary.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import spans, tools
from .chronicle import ARC_REQUEST, SUMMARY_REQUEST, log_summary
from .offline.conversation import estimate_tokens
from .prompts import system_prompt
from .rules import Scenario, new_game_state
from .rules.character import MAX_BACKSTORY
from .settings import ConfigError
from .store import ArcRecord, ChapterRecord, GameRecord, Store, TurnRecord
from .turn_reader import TurnReader

if TYPE_CHECKING:
    from .master import LiveSession

log = logging.getLogger(__name__)

KEEP_CHAPTERS = 4  # the newest chapters a fresh session is always told one by one
ARC_SPAN = 4  # how many chapters (or arcs of one level) roll into one arc
MAX_MODEL_SUMMARY_CHARS = 1200
MAX_TRACKED_GAMES = 10_000
Entry = ChapterRecord | ArcRecord


def _covered(arcs: Iterable[ArcRecord], level: int) -> int:
    """The last turn the arcs of ``level`` cover (0: none)."""
    return max((a.last_turn for a in arcs if a.level == level), default=0)


def open_entries(
    chapters: Sequence[ChapterRecord], arcs: Sequence[ArcRecord], level: int
) -> list[Entry]:
    """The chapters (level 0) or arcs of ``level`` not yet rolled into the level above."""
    above = _covered(arcs, level + 1)
    own: Sequence[Entry] = chapters if level == 0 else [a for a in arcs if a.level == level]
    return [e for e in own if e.first_turn > above]


def due_roll_up(
    chapters: Sequence[ChapterRecord], arcs: Sequence[ArcRecord]
) -> tuple[int, list[Entry]] | None:
    """(level of the new arc, the entries it rolls up, oldest first), or None when none is due."""
    top = max((a.level for a in arcs), default=0)
    for level in range(top + 1):
        entries = open_entries(chapters, arcs, level)
        keep = KEEP_CHAPTERS if level == 0 else 0
        if len(entries) >= keep + ARC_SPAN:
            return level + 1, entries[:ARC_SPAN]
    return None


def story_so_far(chapters: Sequence[ChapterRecord], arcs: Sequence[ArcRecord]) -> list[Entry]:
    """The bounded chronicle, oldest first: the top arcs, each lower level's, the chapters."""
    told: list[Entry] = []
    covered = 0
    for level in range(max((a.level for a in arcs), default=0), 0, -1):
        fresh = [a for a in arcs if a.level == level and a.first_turn > covered]
        told.extend(fresh)
        covered = max([covered] + [a.last_turn for a in fresh])
    told.extend(c for c in chapters if c.first_turn > covered)
    return told


def chapters_of(entries: Sequence[Entry]) -> tuple[int, int]:
    """The first and last chapter numbers a run of entries covers."""
    first, last = entries[0], entries[-1]
    start = first.number if isinstance(first, ChapterRecord) else first.first_chapter
    end = last.number if isinstance(last, ChapterRecord) else last.last_chapter
    return start, end


# ---------------------------------------------------------------------- the budget


def fixed_prompt_tokens(scenario: Scenario) -> int:
    """Tokens every request of a game carries whatever the story: the system prompt (for a
    character with the longest backstory) and the game tools' definitions, counted as the
    offline narrator counts (four characters a token)."""
    state = new_game_state("Wren", "rogue", scenario, seed=0, backstory="x" * MAX_BACKSTORY)
    game = GameRecord("", None, scenario.id, state, None, None, "active", 0, 0.0, 0.0)
    definitions = [
        {"name": s.full_name, "description": s.description, "input_schema": s.schema}
        for s in tools.TOOLS.values()
    ]
    return estimate_tokens(system_prompt(scenario, game)) + estimate_tokens(
        json.dumps(definitions, ensure_ascii=False)
    )


def check_budget(budget: int, scenarios: Iterable[Scenario]) -> None:
    """Refuse a context budget below the fixed prompt: every turn would close a chapter."""
    if budget <= 0:
        return
    fixed = max((fixed_prompt_tokens(s) for s in scenarios), default=0)
    if budget < fixed:
        raise ConfigError(
            f"GM_CONTEXT_BUDGET_TOKENS is {budget}, below the fixed prompt every request "
            f"carries (system prompt and tool definitions: {fixed} tokens), so every turn "
            f"would close a chapter; set it well above {fixed} (the default is 24000), or 0 "
            "to never close chapters"
        )


# ---------------------------------------------------------------------- closing


@dataclass
class Chapters:
    """Closes a game's chapters and rolls them into arcs, through the store and the
    session's own CLI (for the model's summaries)."""

    store: Store
    budget: int
    model_summaries: bool = True
    timeout_s: float = 120.0
    # Game id -> the most its context grew in one turn, newest games last (bounded).
    _growth: OrderedDict[str, int] = field(default_factory=OrderedDict, init=False, repr=False)

    def story_so_far(self, game_id: str) -> list[Entry]:
        """The bounded chronicle of the game's active line."""
        return story_so_far(self.store.chronicle(game_id), self.store.arcs(game_id))

    async def after_turn(
        self,
        session: LiveSession,
        game: GameRecord,
        turn: TurnRecord,
        span: Any,
        context_tokens: int | None = None,
    ) -> None:
        """Take the context size (``context_tokens``: what the turn's last model request
        carried, from its usage) or, when the turn brought no usage, ask the SDK to count it;
        when the next turn could pass the budget, close the chapter.

        Never fails the turn: a failed measurement or summary is logged and traced, and the
        next turn measures (and tries) again; a failed model summary falls back to one
        written from the turn log.
        """
        if self.budget <= 0:
            return
        source = "response" if context_tokens is not None else "count_tokens"
        try:
            tokens = context_tokens if context_tokens is not None else await self.measure(session)
            latest = await asyncio.to_thread(self.store.latest_chapter, game.id)
        except Exception as exc:
            log.warning("could not measure the context of game %s: %s", game.id, exc)
            span.log(metadata={"context_error": str(exc)[:200]})
            return
        since = latest.last_turn if latest is not None else 0
        chapter = latest.number + 1 if latest is not None else 1
        span.log(metadata={"chapter": chapter, "context_tokens": tokens, "context_source": source})
        # Close one turn early rather than late: the next turn's requests must fit the budget
        # too, so leave room for a turn a quarter larger than the largest this game has
        # played (in this process).
        growth = self._growth.pop(game.id, 0)
        if session.context_tokens:
            growth = max(growth, tokens - session.context_tokens)
        self._growth[game.id] = growth
        while len(self._growth) > MAX_TRACKED_GAMES:
            self._growth.popitem(last=False)
        session.context_tokens = tokens
        if tokens + growth * 5 // 4 < self.budget:
            return
        turns = await asyncio.to_thread(self.store.line_turns, game.id, since + 1, turn.number)
        if not turns:
            return
        fallback = log_summary(turns, game.state.character.name)
        summary, source = await self._summary(session, game, SUMMARY_REQUEST, fallback)
        closed = await asyncio.to_thread(
            self.store.close_chapter, game.id, turn.id, summary, tokens
        )
        if closed is None:
            return  # the line moved on meanwhile; the next turn measures again
        # The next turn starts a fresh session carrying the chronicle and the last turns.
        session.broken = True
        spans.chapter_span(
            game.trace_root,
            game.id,
            closed.number,
            summary,
            {
                "first_turn": closed.first_turn,
                "last_turn": closed.last_turn,
                "context_tokens": tokens,
                "summary_source": source,
            },
        )
        await self._roll_up(session, game)

    async def measure(self, session: LiveSession) -> int:
        """The context's size as the CLI counts it: two ``count_tokens`` requests to the
        model's API (about as much work as the turn's own requests), so only when a turn's
        responses carried no usage (an older CLI, a gateway that strips it)."""
        usage = await asyncio.wait_for(session.client.get_context_usage(), 15)
        return int(usage["totalTokens"])

    async def _roll_up(self, session: LiveSession, game: GameRecord) -> None:
        """Roll the oldest chapters (and arcs) into arcs while a roll-up is due."""
        while True:
            chapters = await asyncio.to_thread(self.store.chronicle, game.id)
            arcs = await asyncio.to_thread(self.store.arcs, game.id)
            due = due_roll_up(chapters, arcs)
            if due is None:
                return
            level, entries = due
            first, last = entries[0].first_turn, entries[-1].last_turn
            span_of = chapters_of(entries)
            turns = await asyncio.to_thread(self.store.line_turns, game.id, first, last)
            fallback = log_summary(turns, game.state.character.name) if turns else ""
            told = "\n".join(f"- {e.heading}: {e.summary}" for e in entries)
            request = ARC_REQUEST.format(first=span_of[0], last=span_of[1], summaries=told)
            summary, source = await self._summary(session, game, request, fallback)
            arc = await asyncio.to_thread(
                self.store.close_arc,
                game.id,
                level,
                span_of,
                first,
                entries[-1].last_turn_id,
                summary,
            )
            if arc is None:
                return  # the line moved on meanwhile; the next close tries again
            spans.arc_span(
                game.trace_root,
                game.id,
                summary,
                {
                    "level": arc.level,
                    "first_chapter": arc.first_chapter,
                    "last_chapter": arc.last_chapter,
                    "first_turn": arc.first_turn,
                    "last_turn": arc.last_turn,
                    "summary_source": source,
                },
            )

    async def _summary(
        self, session: LiveSession, game: GameRecord, request: str, fallback: str
    ) -> tuple[str, str]:
        """(summary, "model" | "log"): the model's answer to ``request``, else ``fallback``."""
        if not self.model_summaries:
            return fallback, "log"
        try:
            async with asyncio.timeout(self.timeout_s):
                await session.client.query(request)
                reader = TurnReader(game.id)
                async for msg in session.client.receive_response():
                    for _ in reader.read(msg):
                        pass
            text = " ".join(reader.text.split())
            if text:
                return text[:MAX_MODEL_SUMMARY_CHARS], "model"
        except Exception as exc:
            log.warning("the model could not summarise part of game %s: %s", game.id, exc)
        return fallback, "log"
