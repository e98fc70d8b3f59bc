"""SessionPool: the live CLI seats of one process, sized by measured memory.

Every method runs on the runtime's event loop (a ``ClaudeSDKClient`` must stay on the loop
where it connected). At most ``max_live`` CLI processes exist, live plus connecting. A turn
takes its game's seat; a game without one gets a free seat, or the least recently used idle
one (evicted), or waits until a seat frees (up to the turn timeout). Idle seats close after
``idle_seconds``; a later turn of that game resumes its Claude session from the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from collections import OrderedDict
from collections.abc import Coroutine
from typing import Any

from . import memory
from .errors import AgentUnavailable
from .master import GameMaster, LiveSession

log = logging.getLogger(__name__)

DEFAULT_IDLE_SECONDS = 300.0


def default_pool_size(workers: int = 1) -> int:
    """Live CLI processes per worker, from measured memory (game_master.memory)."""
    return memory.default_pool_size(workers)


class SessionPool:
    """Seats for live CLI sessions: acquire, release, idle reaping, eviction, figures."""

    def __init__(
        self,
        master: GameMaster,
        *,
        max_live: int,
        idle_seconds: float = DEFAULT_IDLE_SECONDS,
    ) -> None:
        """Configure; :meth:`bind` attaches the pool to the running loop."""
        self.master = master
        self.max_live = max_live
        self.idle_seconds = idle_seconds
        self._live: OrderedDict[str, LiveSession] = OrderedDict()
        self._cond: asyncio.Condition | None = None
        self._base_context: contextvars.Context | None = None
        self._connecting = 0
        self._cleanups: set[asyncio.Task[Any]] = set()
        self.counts = dict.fromkeys(
            ("connects", "evictions", "idle_closed", "resumes", "seat_waits"), 0
        )

    def bind(self, base_context: contextvars.Context) -> None:
        """Called on the loop thread once it runs: the pool's condition and the clean
        context CLIs connect in (their reader tasks must never keep a request's span)."""
        self._cond = asyncio.Condition()
        self._base_context = base_context

    @property
    def busy_cleanups(self) -> bool:
        """True while a background disconnect is still running."""
        return bool(self._cleanups)

    def session(self, game_id: str) -> LiveSession | None:
        """The game's live session, if it has one (figures and benchmarks read it)."""
        return self._live.get(game_id)

    def live(self) -> list[LiveSession]:
        """Every live session."""
        return list(self._live.values())

    async def acquire(self, game_id: str, before_turn: int) -> LiveSession:
        """The game's live session, marked busy; connects (and resumes) one if needed.

        ``before_turn`` is the number of turns the conversation must hold. Connecting
        happens outside the pool lock, so a slow connect does not hold up other games.
        """
        assert self._cond is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.master.config.turn_timeout_s
        async with self._cond:
            own, victim = await self._seat(game_id, deadline)
            if own is not None:
                return own
            self._connecting += 1
        try:
            if victim is not None:
                await self.master.disconnect(victim)
            game = await asyncio.to_thread(self.master.store.get_game, game_id)
            assert self._base_context is not None
            session = await loop.create_task(
                self.master.connect(game, before_turn), context=self._base_context.copy()
            )
        except BaseException:
            async with self._cond:
                self._connecting -= 1
                self._cond.notify_all()
            raise
        async with self._cond:
            self._connecting -= 1
            self.counts["connects"] += 1
            if session.resumed:
                self.counts["resumes"] += 1
            session.busy = True
            self._live[game_id] = session
        return session

    async def _seat(
        self, game_id: str, deadline: float
    ) -> tuple[LiveSession | None, LiveSession | None]:
        """Under the lock: (the game's own session, now busy, None), or (None, None) for a
        free seat to connect in, or (None, an evicted idle session to disconnect first).
        Waits while every seat is busy; AgentUnavailable past the deadline."""
        assert self._cond is not None
        loop = asyncio.get_running_loop()
        while True:
            session = self._live.get(game_id)
            if session is not None and not session.broken and not session.busy:
                self._live.move_to_end(game_id)
                session.busy = True
                return session, None
            if session is not None and session.broken and not session.busy:
                del self._live[game_id]
                self._in_background(self.master.disconnect(session))
                continue
            if session is None:
                if len(self._live) + self._connecting < self.max_live:
                    return None, None
                victim = next((s for s in self._live.values() if not s.busy), None)
                if victim is not None:
                    del self._live[victim.game_id]
                    self.counts["evictions"] += 1
                    return None, victim
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AgentUnavailable(
                    "Every game-master seat is busy; try again in a moment.", retry_after=5
                )
            self.counts["seat_waits"] += 1
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await self._cond.wait()

    async def release(self, session: LiveSession) -> None:
        """Give a seat back, or close its CLI if the session broke during the turn."""
        assert self._cond is not None
        async with self._cond:
            session.busy = False
            session.last_used = time.monotonic()
            broken = session.broken
            if broken and self._live.get(session.game_id) is session:
                del self._live[session.game_id]
            self._cond.notify_all()
        if broken:
            await self.master.disconnect(session)

    async def reap_idle(self) -> None:
        """Forever: close sessions idle for longer than ``idle_seconds``."""
        while True:
            await asyncio.sleep(max(0.2, min(5.0, self.idle_seconds / 4)))
            now = time.monotonic()
            closed = []
            for session in list(self._live.values()):
                idle = not session.busy and now - session.last_used > self.idle_seconds
                if idle and self._live.get(session.game_id) is session:
                    del self._live[session.game_id]
                    self.counts["idle_closed"] += 1
                    closed.append(session)
            for session in closed:
                await self.master.disconnect(session)
            if closed and self._cond is not None:
                async with self._cond:
                    self._cond.notify_all()

    async def evict(self, game_id: str) -> bool:
        """Close a game's live session now (tests, operators, benchmarks)."""
        session = self._live.pop(game_id, None)
        if session is None:
            return False
        self.counts["evictions"] += 1
        await self.master.disconnect(session)
        return True

    async def close_all(self) -> None:
        """Disconnect every live session (shutdown)."""
        sessions = list(self._live.values())
        self._live.clear()
        await asyncio.gather(*(self.master.disconnect(s) for s in sessions))

    def _in_background(self, coro: Coroutine[Any, Any, Any]) -> None:
        """Run a cleanup coroutine in the background, keeping a reference until done."""
        task = asyncio.get_running_loop().create_task(coro)
        self._cleanups.add(task)
        task.add_done_callback(self._cleanups.discard)
