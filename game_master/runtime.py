"""AgentRuntime: the one asyncio loop thread that owns every ClaudeSDKClient; turn dispatch.

A ``ClaudeSDKClient`` must stay on the loop where it connected, while Flask views are
plain threads. Views call :meth:`AgentRuntime.start_turn`, which stores the player's
message, then runs the turn on the loop with a copy of the caller's ``contextvars`` (so
a tracing span current in the request is the parent of the SDK's spans) and hands back
a :class:`TurnHandle` whose thread-safe queue yields the turn's events.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import logging
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from . import memory
from .errors import AgentUnavailable, GameMasterError, turn_stumbled
from .events import GameEvent, TurnCompleted, TurnError
from .leases import LEASE_SECONDS, LeaseRenewer
from .master import GameMaster, LiveSession
from .pool import DEFAULT_IDLE_SECONDS, SessionPool
from .store import TurnRecord

log = logging.getLogger(__name__)


@dataclass
class PoolStats:
    """Figures for /healthz and /debug/tracing."""

    live: int
    busy: int
    max_live: int
    idle_seconds: float
    connects: int
    evictions: int
    idle_closed: int
    resumes: int
    turns: int
    failed_turns: int
    seat_waits: int
    # The summed PSS / private memory of this process's live CLIs (smaps_rollup, cached 5 s).
    cli_memory: dict[str, float | int] | None = None
    # How max_live was chosen: the figures of memory.pool_sizing, or the setting.
    sizing: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return dict(self.__dict__)


class TurnHandle:
    """The caller's side of a running turn: its stored record and a queue of events."""

    def __init__(self, turn: TurnRecord) -> None:
        """Wrap a stored turn."""
        self.turn = turn
        self._queue: queue.Queue[GameEvent] = queue.Queue()
        self.done = threading.Event()

    def put(self, event: GameEvent) -> None:
        """Called on the loop thread."""
        self._queue.put(event)
        if isinstance(event, TurnCompleted | TurnError):
            self.done.set()

    def next_event(self, timeout: float | None = None) -> GameEvent | None:
        """The next event, or None if none arrived within ``timeout`` seconds."""
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def events(self, timeout: float | None = None) -> Iterator[GameEvent]:
        """Every event through ``turn.completed`` or ``error``."""
        while True:
            event = self.next_event(timeout)
            if event is None:
                raise TimeoutError("no turn event within the timeout")
            yield event
            if isinstance(event, TurnCompleted | TurnError):
                return


class AgentRuntime:
    """One event-loop thread per process and turn dispatch; the seats are its SessionPool."""

    def __init__(
        self,
        master: GameMaster,
        *,
        max_live: int | None = None,
        workers: int = 1,
        idle_seconds: float = DEFAULT_IDLE_SECONDS,
        lease_seconds: float | None = None,
    ) -> None:
        """Configure; call :meth:`start` (after any fork) before use."""
        self.master = master
        self.store = master.store
        self.sizing = (
            memory.PoolSizing(max_live, "setting", workers=workers)
            if max_live
            else memory.pool_sizing(workers)
        )
        self.pool = SessionPool(master, max_live=self.sizing.seats, idle_seconds=idle_seconds)
        self.leases = LeaseRenewer(
            self.store, lease_seconds or LEASE_SECONDS, master.config.turn_timeout_s + 30
        )
        self.owner_id = self.leases.owner_id
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._stats = {"turns": 0, "failed_turns": 0}

    @property
    def lease_seconds(self) -> float:
        """How long a turn's lease lasts unrenewed; the renewer renews it every quarter."""
        return self.leases.seconds

    @lease_seconds.setter
    def lease_seconds(self, seconds: float) -> None:
        """Change it (tests); the renewer's interval follows when it next starts."""
        self.leases.seconds = seconds

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> AgentRuntime:
        """Start the loop thread (idempotent)."""
        if self._thread is not None:
            return self
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            # A clean context for connecting clients, so their reader tasks never inherit
            # a request's span.
            self.pool.bind(contextvars.copy_context())
            reaper = loop.create_task(self.pool.reap_idle())
            ready.set()
            try:
                loop.run_forever()
            finally:
                reaper.cancel()
                loop.run_until_complete(asyncio.sleep(0))
                loop.close()

        self._thread = threading.Thread(target=run, name="agent-runtime", daemon=True)
        self._thread.start()
        ready.wait()
        self.leases.start()
        return self

    @property
    def running(self) -> bool:
        """True while the loop thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def stop(self, grace_s: float = 10.0) -> None:
        """Let running turns finish within ``grace_s``, then close every CLI process."""
        if self._loop is None or self._thread is None:
            return
        loop = self._loop
        deadline = time.monotonic() + grace_s
        while (self._tasks or self.pool.busy_cleanups) and time.monotonic() < deadline:
            time.sleep(0.05)
        fut = asyncio.run_coroutine_threadsafe(self.pool.close_all(), loop)
        try:
            fut.result(timeout=max(1.0, deadline - time.monotonic() + 5))
        except (concurrent.futures.TimeoutError, Exception):
            log.warning("closing CLI processes at shutdown did not finish", exc_info=True)
        loop.call_soon_threadsafe(loop.stop)
        self._thread.join(timeout=5)
        self._thread = None
        self._loop = None
        self.leases.stop()

    def call(self, coro: Any, timeout: float | None = None) -> Any:
        """Run a coroutine on the loop from another thread, with the caller's context."""
        if self._loop is None:
            raise RuntimeError("AgentRuntime is not started")
        ctx = contextvars.copy_context()
        fut: concurrent.futures.Future[Any] = concurrent.futures.Future()

        loop = self._loop

        def settle(task: asyncio.Task[Any]) -> None:
            if task.cancelled():
                fut.cancel()
            elif task.exception() is not None:
                fut.set_exception(task.exception())  # type: ignore[arg-type]
            else:
                fut.set_result(task.result())

        def schedule() -> None:
            loop.create_task(coro, context=ctx).add_done_callback(settle)

        loop.call_soon_threadsafe(schedule)
        return fut.result(timeout)

    # ------------------------------------------------------------------ turns

    def start_turn(
        self,
        game_id: str,
        message: str,
        *,
        parent: str | None = None,
        retry_of: str | None = None,
        actions: list[dict[str, Any]] | None = None,
    ) -> TurnHandle:
        """Store the message, take the game's lease and run the turn on the loop.

        ``actions``: the turn resolves a party round (master.play_turn says how).

        ``retry_of`` tells the line's latest turn again (a new alternative of it). Raises
        GameNotFound, TurnInProgress or TurnNotLatest synchronously, before anything streams.
        """
        if self._loop is None:
            raise AgentUnavailable("The game master is not running.")
        turn = self.store.begin_turn(
            game_id,
            message,
            lease_owner=self.owner_id,
            lease_seconds=self.lease_seconds,
            retry_of=retry_of,
        )
        self.leases.hold(game_id)
        handle = TurnHandle(turn)
        # Copy the caller's contextvars (Braintrust's current span and logger among them)
        # into the task, explicitly rather than relying on call_soon_threadsafe doing it.
        ctx = contextvars.copy_context()
        loop = self._loop

        def schedule() -> None:
            task = loop.create_task(self._run_turn(handle, parent, actions), context=ctx)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        loop.call_soon_threadsafe(schedule)
        return handle

    async def _run_turn(
        self,
        handle: TurnHandle,
        parent: str | None,
        actions: list[dict[str, Any]] | None = None,
    ) -> None:
        """Acquire a live session, play the turn, push events; never raises.

        Invariant (issue 15): once ``begin_turn`` has stored the player's message, every
        way this coroutine ends leaves the turn ``completed`` or ``failed`` with its error,
        the game's lease released, and a log line naming the game and the turn. play_turn
        records the endings it sees; anything that escapes it, or happens before it starts
        (a seat, a CLI connect, reading the game) or while it records the result, is
        recorded here by :meth:`_fail_stored` (a no-op for a turn already ended). If even
        that cannot be written (the database is gone), the lease stops being renewed when
        this coroutine returns, lapses within ``lease_seconds``, and the next request for
        the game marks the turn interrupted.
        """
        turn = handle.turn
        session: LiveSession | None = None
        self._stats["turns"] += 1
        try:
            session = await self.pool.acquire(turn.game_id, turn.number - 1)
            game = await asyncio.to_thread(self.store.get_game, turn.game_id)
            if not session.knows(game, turn.number - 1):
                # The line moved under this CLI (a rewind, a retry, another worker's turn):
                # its conversation is stale, so connect again where the line now ends.
                session.broken = True
                await self.pool.release(session)
                session = None
                session = await self.pool.acquire(turn.game_id, turn.number - 1)
            async for event in self.master.play_turn(session, turn, parent=parent, actions=actions):
                handle.put(event)
        except GameMasterError as exc:
            self._stats["failed_turns"] += 1
            log.warning(
                "turn %s of game %s failed: %s: %s", turn.id, turn.game_id, exc.code, exc.message
            )
            # Store the failure before the error event, so a client that reloads on it sees
            # the turn as failed.
            await asyncio.to_thread(self._fail_stored, turn, exc)
            handle.put(
                TurnError(
                    code=exc.code,
                    message=exc.message,
                    turn_id=turn.id,
                    retry_after=exc.retry_after,
                )
            )
        except BaseException as exc:
            self._stats["failed_turns"] += 1
            log.exception("turn %s of game %s crashed", turn.id, turn.game_id)
            err = turn_stumbled()
            await asyncio.to_thread(self._fail_stored, turn, err)
            handle.put(TurnError(code=err.code, message=err.message, turn_id=turn.id))
            if isinstance(exc, asyncio.CancelledError):
                raise
        finally:
            try:
                if session is not None:
                    await self.pool.release(session)
            finally:
                self.leases.let_go(turn.game_id)

    FAIL_ATTEMPTS = (0.0, 0.5, 1.5)  # delays before each try of recording a failure

    def _fail_stored(self, turn: TurnRecord, exc: GameMasterError) -> None:
        """Mark a turn failed and free its lease unless it already ended; retried briefly.

        A turn that play_turn recorded (completed or failed) is left alone by finish_turn.
        """
        for delay in self.FAIL_ATTEMPTS:
            time.sleep(delay)
            try:
                self.store.finish_turn(
                    turn.id,
                    status="failed",
                    narration=None,
                    tool_calls=[],
                    error_code=exc.code,
                    error_message=exc.message,
                )
                return
            except Exception:
                log.warning(
                    "could not mark turn %s of game %s failed", turn.id, turn.game_id, exc_info=True
                )
        log.error(
            "turn %s of game %s stays running until its lease lapses (%.0f s)",
            turn.id,
            turn.game_id,
            self.lease_seconds,
        )

    # ------------------------------------------------------------------ pool

    def evict(self, game_id: str) -> bool:
        """Close a game's live session now (used by tests and operators)."""
        return bool(self.call(self.pool.evict(game_id), timeout=30))

    def stats(self) -> PoolStats:
        """Current pool figures."""
        live = self.pool.live()
        return PoolStats(
            live=len(live),
            busy=sum(1 for s in live if s.busy),
            max_live=self.pool.max_live,
            idle_seconds=self.pool.idle_seconds,
            **self.pool.counts,
            **self._stats,
            cli_memory=memory.pool_memory_mb() if live else None,
            sizing=self.sizing.to_dict(),
        )
