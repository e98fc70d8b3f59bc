"""GameMaster: Claude Agent SDK options, connections (resumes and forks) and one turn."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import cli_sandbox, rules, spans, tools
from .chapters import Chapters
from .errors import AgentUnavailable, GameMasterError, turn_stumbled, turn_too_slow
from .events import GameEvent, StateEvent, ToolEvent, TurnCompleted, TurnStarted
from .player_words import envelope, round_message
from .prompts import RECAP_TURNS, story_recap, system_prompt
from .rules import Scenario
from .scoring import turn_scores
from .store import GameRecord, Store, TurnRecord
from .store.session import SqlSessionStore
from .turn_reader import TurnReader, usage_metrics

log = logging.getLogger(__name__)

MAX_AGENT_STEPS = 12
# Claude transcripts are mirrored to the database under this one project key. The SDK would
# derive the key from the CLI's cwd (<GM_DATA_DIR>/sandbox), which differs between hosts, and
# a resume on another host would then find nothing. Session ids are UUIDs, so sharing is safe.
SESSION_PROJECT_KEY = "game-master"


@dataclass(frozen=True)
class MasterConfig:
    """Everything the GameMaster needs from configuration."""

    data_dir: Path
    model: str | None = None
    cli_env: dict[str, str] = field(default_factory=dict)
    turn_timeout_s: float = 120.0
    cli_path: str | None = None
    # Tracing hooks, given by the app (tracing.py); both must swallow their own errors.
    trace_link: Callable[[str], str | None] | None = None
    on_turn_end: Callable[[str], None] | None = None
    tool_executor: Callable[[str, Scenario], tools.ToolExecutor] | None = None
    # Close a chapter past this many context tokens (0: never); the model writes its
    # summary unless summaries come from the turn log (the offline narrator).
    context_budget_tokens: int = 0
    model_summaries: bool = True
    # The scenario of a game by id (the service's ScenarioLibrary, with GM_SCENARIO_DIR).
    scenarios: Callable[[str], Scenario] = rules.load_scenario


@dataclass
class LiveSession:
    """A connected ClaudeSDKClient serving one game.

    ``line`` is the game's line as this CLI's conversation knows it: (Claude session id,
    number of turns). When the stored game says otherwise (a rewind, a retry, another worker
    played on), the conversation is stale and the runtime reconnects.
    """

    game_id: str
    client: Any
    session_id: str | None
    resumed: bool
    connect_ms: float
    turns_seen: int = 0
    forked: bool = False
    last_used: float = field(default_factory=time.monotonic)
    busy: bool = False
    broken: bool = False
    # This CLI's own CLAUDE_CONFIG_DIR (its transcript only), removed when it stops.
    config_dir: Path | None = None
    # The context's size after this conversation's last turn (chapters.py).
    context_tokens: int = 0

    def knows(self, game: GameRecord, before_turn: int) -> bool:
        """True when this conversation is exactly the game's line up to ``before_turn``."""
        return (
            game.fork_from is None
            and game.session_id == self.session_id
            and self.turns_seen == before_turn
        )


class GameMaster:
    """Builds SDK options for a game, connects clients and plays turns."""

    def __init__(self, store: Store, config: MasterConfig) -> None:
        """``config.tool_executor(game_id, scenario)`` decides where tools run (default: here)."""
        self.store = store
        self.config = config
        self._executor_factory = config.tool_executor or (
            lambda gid, sc: tools.local_executor(store, gid, sc)
        )
        self.sandbox_dir = config.data_dir / "sandbox"
        self.claude_config_dir = config.data_dir / "claude"
        self.sandbox_dir.mkdir(parents=True, exist_ok=True)
        self.claude_config_dir.mkdir(parents=True, exist_ok=True)
        cli_sandbox.sweep_config_dirs(self.claude_config_dir)
        self.session_store = SqlSessionStore(store, project_key=SESSION_PROJECT_KEY)
        self.chapters = Chapters(
            store,
            budget=config.context_budget_tokens,
            model_summaries=config.model_summaries,
            timeout_s=config.turn_timeout_s,
        )

    def options(
        self,
        game: GameRecord,
        *,
        recap: str = "",
        resume: str | None = None,
        fork_at: str | None = None,
        config_dir: Path | None = None,
    ) -> Any:
        """ClaudeAgentOptions for one game: game tools only, no host tools, no settings.

        ``resume`` continues a Claude session; with ``fork_at`` (a transcript entry uuid)
        it is forked there instead, so the model sees the line only up to that point.
        Every prompt is delivered verbatim: the CLI never expands ``@path`` or runs a slash
        command from what a player typed. ``config_dir`` is this CLI's own config folder.
        """
        import claude_agent_sdk

        scenario = self.config.scenarios(game.scenario)
        server = tools.build_mcp_server(self._executor_factory(game.id, scenario))
        env = dict.fromkeys(cli_sandbox.SCRUBBED_ENV, "")
        env.update(self.config.cli_env)
        env["CLAUDE_CONFIG_DIR"] = str(config_dir or self.claude_config_dir)
        fork: dict[str, Any] = {}
        if resume and fork_at:
            fork = {"fork_session": True, "resume_session_at": fork_at}
        return claude_agent_sdk.ClaudeAgentOptions(
            tools=[],
            allowed_tools=list(tools.ALLOWED_TOOL_NAMES),
            mcp_servers={tools.SERVER_NAME: server},
            strict_mcp_config=True,
            setting_sources=[],
            skills=[],
            permission_mode="dontAsk",
            settings=cli_sandbox.CLI_SETTINGS,
            extra_args=dict(cli_sandbox.CLI_FLAGS),
            verbatim_prompts=cli_sandbox.VERBATIM_PROMPTS,
            system_prompt=system_prompt(scenario, game, recap),
            model=self.config.model,
            cwd=str(self.sandbox_dir),
            env=env,
            resume=resume,
            session_store=self.session_store,
            include_partial_messages=True,
            max_turns=MAX_AGENT_STEPS,
            cli_path=self.config.cli_path,
            stderr=lambda line: log.debug("claude cli: %s", line.rstrip()),
            **fork,
        )

    async def connect(self, game: GameRecord, before_turn: int | None = None) -> LiveSession:
        """Start a CLI for a game: resume its Claude session, fork it, or start afresh.

        A pending fork (after a rewind, retry or switch of line) branches the session at
        the line's last turn. When the transcript cannot be resumed or forked (lost, or the
        CLI refuses), a new session starts primed with a recap of the line's turns.
        """
        started = time.perf_counter()
        fork = game.fork_from
        resume = fork["session_id"] if fork is not None else game.session_id
        # The turns the conversation must already hold (all of the line's but a running one).
        line = (
            await asyncio.to_thread(self.store.count_line, game.id)
            if before_turn is None
            else before_turn
        )
        config_dir = await asyncio.to_thread(cli_sandbox.new_config_dir, self.claude_config_dir)
        try:
            return await self._connect_session(game, resume, fork, line, config_dir, started)
        except BaseException:
            await asyncio.to_thread(shutil.rmtree, config_dir, True)
            raise

    async def _connect_session(
        self,
        game: GameRecord,
        resume: str | None,
        fork: dict[str, Any] | None,
        line: int,
        config_dir: Path,
        started: float,
    ) -> LiveSession:
        """connect() once this CLI's own config folder exists."""
        import claude_agent_sdk

        fork_at = fork["at"] if fork is not None else None
        try:
            if resume is None and line:
                raise LookupError("no Claude session ends where this line does")
            client = await self._connect(
                self.options(game, resume=resume, fork_at=fork_at, config_dir=config_dir)
            )
            resumed = resume is not None
        except claude_agent_sdk.CLINotFoundError as exc:
            raise AgentUnavailable("The game master's Claude CLI is not installed.") from exc
        except (claude_agent_sdk.ClaudeSDKError, RuntimeError, LookupError) as exc:
            # RuntimeError: the session store could not be read while materialising a resume.
            if resume is None and not line:
                raise AgentUnavailable(f"The game master could not start: {exc}") from exc
            if fork is not None and fork.get("chapter"):
                log.info("game %s: chapter %s closed; a new session", game.id, fork["chapter"])
            else:
                log.warning("resuming game %s failed (%s); starting a new session", game.id, exc)
            recap = await asyncio.to_thread(self._recap, game)
            try:
                client = await self._connect(self.options(game, recap=recap, config_dir=config_dir))
            except claude_agent_sdk.ClaudeSDKError as exc2:
                raise AgentUnavailable(f"The game master could not start: {exc2}") from exc2
            resumed, fork_at = False, None
        return LiveSession(
            game_id=game.id,
            client=client,
            # A fork or a fresh start gets its session id with the first turn's result.
            session_id=game.session_id if resumed and not fork_at else None,
            resumed=resumed,
            connect_ms=(time.perf_counter() - started) * 1000,
            turns_seen=line,
            forked=bool(fork_at),
            config_dir=config_dir,
        )

    def _recap(self, game: GameRecord) -> str:
        """The story so far for a new session: chronicle, the state now, the last turns."""
        return story_recap(
            self.store.active_line(game.id, limit=RECAP_TURNS),
            self.chapters.story_so_far(game.id),
            game.state,
            self.config.scenarios(game.scenario),
        )

    async def _connect(self, options: Any) -> Any:
        """A connected client; a half-started CLI is cleaned up on failure."""
        import claude_agent_sdk

        client = claude_agent_sdk.ClaudeSDKClient(options=options)
        try:
            await client.connect()
        except BaseException:
            with contextlib.suppress(Exception):
                await client.disconnect()
            raise
        return client

    async def disconnect(self, session: LiveSession) -> None:
        """Stop a session's CLI process; errors are logged, never raised."""
        try:
            await session.client.disconnect()
        except Exception:
            log.warning("disconnecting the CLI of game %s failed", session.game_id, exc_info=True)
        if session.config_dir is not None:
            await asyncio.to_thread(shutil.rmtree, session.config_dir, True)

    async def play_turn(
        self,
        session: LiveSession,
        turn: TurnRecord,
        *,
        parent: str | None = None,
        actions: list[dict[str, Any]] | None = None,
    ) -> AsyncIterator[GameEvent]:
        """Play one stored turn; yields events and stores how it ended.

        The turn's span (``turn``) is the parent of the SDK's spans; its parent is
        ``parent`` (an exported span) or the current span of the caller's context.
        ``actions`` (a party round: ``{player_id, character_name, message}`` in seat order)
        reach the model as one round message, each in its player's envelope, and each is a
        child span of the turn's span.
        """
        game = await asyncio.to_thread(self.store.get_game, turn.game_id)
        yield TurnStarted(turn_id=turn.id, number=turn.number)
        reader = TurnReader(turn.game_id, session_id=session.session_id)
        line = {
            "branch_id": game.active_branch,
            "alternative_of": turn.alt_of,
            "alternative_index": turn.alt_index,
        }
        with spans.turn_span(
            game_id=game.id,
            turn_id=turn.id,
            turn_number=turn.number,
            player_message=turn.player_message,
            model=self.config.model,
            game_root=game.trace_root,
            parent=parent,
            line=line,
        ) as span:
            if actions is not None:
                spans.action_spans(span, actions)
            prompt = (
                round_message(turn.number, actions)
                if actions is not None
                else envelope(turn.player_message)
            )
            try:
                async for event in self._stream(session, turn, reader, prompt):
                    yield event
                yield StateEvent(state=await self._public_state(game))
                yield await self._complete(session, game, turn, reader, span)
                # The player has the whole answer; measuring the context (and maybe closing
                # a chapter) happens after, while this CLI is still held for the game.
                await self.chapters.after_turn(
                    session, game, turn, span, context_tokens=reader.context_tokens
                )
            except GameMasterError as exc:
                await self._fail(turn, reader, span, exc)
                raise

    async def _stream(
        self, session: LiveSession, turn: TurnRecord, reader: TurnReader, prompt: str
    ) -> AsyncIterator[GameEvent]:
        """Send the player's words and yield the answer's events as they come; what the
        player has seen is saved at each tool result, else each second. Any failure marks
        the CLI broken and becomes a typed ``GameMasterError``."""
        try:
            async with asyncio.timeout(self.config.turn_timeout_s):
                await session.client.query(prompt)
                saved = time.monotonic()
                async for msg in session.client.receive_response():
                    tool_done = False
                    for event in reader.read(msg):
                        tool_done = tool_done or isinstance(event, ToolEvent)
                        yield event
                    if reader.text and (tool_done or time.monotonic() - saved > 1.0):
                        saved = time.monotonic()
                        await asyncio.to_thread(self.store.note_narration, turn.id, reader.text)
        except TimeoutError as exc:
            session.broken = True
            raise turn_too_slow() from exc
        except GameMasterError:
            session.broken = True
            raise
        except Exception as exc:
            session.broken = True
            log.exception("turn %s of game %s failed", turn.id, turn.game_id)
            raise turn_stumbled() from exc
        finally:
            await self._note_session(session, reader, turn)

    async def _public_state(self, game: GameRecord) -> dict[str, Any]:
        """The state the page shows after a turn."""
        return rules.public_state(
            await asyncio.to_thread(self.store.read_state, game.id),
            self.config.scenarios(game.scenario),
        )

    async def _complete(
        self,
        session: LiveSession,
        game: GameRecord,
        turn: TurnRecord,
        reader: TurnReader,
        span: spans.Span,
    ) -> TurnCompleted:
        """Log the turn's span, store the turn as completed, and say so."""
        text = reader.text
        span.log(
            output=text,
            metrics=usage_metrics(reader.usage),
            scores=turn_scores(text, reader.tool_calls),
        )
        trace = spans.trace_info(span)
        if trace and self.config.trace_link:
            trace["url"] = await asyncio.to_thread(self.config.trace_link, span.export())
        done = await asyncio.to_thread(
            self.store.finish_turn,
            turn.id,
            status="completed",
            narration=text,
            tool_calls=reader.tool_calls,
            usage=reader.usage,
            span_id=trace["id"] if trace else None,
            trace=trace,
            session_after=session.session_id,
            session_at=reader.last_entry,
        )
        if self.config.on_turn_end:
            await asyncio.to_thread(self.config.on_turn_end, game.id)
        return TurnCompleted(
            turn_id=turn.id,
            narration=text,
            usage=reader.usage,
            trace=trace,
            tool_calls=reader.tool_calls,
            duration_ms=done.duration_ms,
        )

    async def _fail(
        self, turn: TurnRecord, reader: TurnReader, span: spans.Span, exc: GameMasterError
    ) -> None:
        """Store the turn as failed with what the player saw of it: nothing is lost."""
        span.log(error=f"{exc.code}: {exc.message}")
        await asyncio.to_thread(
            self.store.finish_turn,
            turn.id,
            status="failed",
            narration=reader.text or None,
            tool_calls=reader.tool_calls,
            usage=reader.usage,
            error_code=exc.code,
            error_message=exc.message,
            trace=spans.trace_info(span),
            session_after=reader.session_id if reader.last_entry else None,
            session_at=reader.last_entry,
        )

    async def _note_session(
        self, session: LiveSession, reader: TurnReader, turn: TurnRecord
    ) -> None:
        """Remember the Claude session the turn ended in (a fork's id arrives with it)."""
        if reader.session_id and reader.session_id != session.session_id:
            session.session_id = reader.session_id
            await asyncio.to_thread(self.store.set_session_id, turn.game_id, reader.session_id)
        session.turns_seen = turn.number
