"""GameService: the long-lived objects of one process and the use cases views call.

Framework-free: the Flask views, the command line and the benchmark all go through it.
Start-up is lazy and fork-aware, so a gunicorn worker (``--preload`` or not) starts its
own agent loop, CLI pool and offline narrator after the fork.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
from typing import Any

import tracing

from . import rules, spans
from .chapters import check_budget
from .errors import GameNotFound, InvalidInput, NotYourSeat, PlayInRounds, ScenarioUnavailable
from .inputs import (  # noqa: F401  (handed on: callers import them from here)
    MAX_COMMENT_CHARS,
    MAX_MESSAGE_CHARS,
    NewGame,
    parse_new_game,
    storable_text,
    validate_feedback,
    validate_message,
)
from .lines import LineUseCases
from .master import GameMaster, MasterConfig
from .offline import OfflineNarrator
from .party import PartyUseCases
from .runtime import AgentRuntime, TurnHandle
from .saved import SavedGames
from .settings import Settings
from .store import GameRecord, Store
from .store.connection import disk_problem
from .views import GameViews, game_summary

log = logging.getLogger(__name__)


class GameService:
    """Store, GameMaster, AgentRuntime and (offline) narrator for one process, the game use
    cases, and the other use cases composed of it: ``lines`` (retry, rewind, lines of play,
    paging), ``saved`` (a browser's list of games) and ``party`` (seats, invites, rounds,
    the table stream)."""

    def __init__(self, settings: Settings, *, offline: bool) -> None:
        """Configure only; nothing starts until :meth:`ensure_started`."""
        self.settings = settings
        self.offline = offline
        self.store = Store(
            settings.database_url,
            busy_timeout_ms=settings.db_busy_timeout_ms,
            pool_size=settings.db_pool_size,
        )
        self.store.migrate()
        # The adventures on offer, read once per process on first use.
        self.scenarios = rules.ScenarioLibrary(settings.scenario_dir)
        self.views = GameViews(self.store, self.scenarios, self.scenario_of, offline)
        self.lines = LineUseCases(self)
        self.saved = SavedGames(self)
        self.party = PartyUseCases(self)
        # A budget below what every request carries would close a chapter after each turn.
        check_budget(settings.context_budget_tokens, (e.scenario for e in self.scenarios.entries()))
        self.narrator: OfflineNarrator | None = None
        self.runtime: AgentRuntime | None = None
        self._pid: int | None = None
        self._store_pid = os.getpid()
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ lifecycle

    def ensure_started(self) -> AgentRuntime:
        """Start the narrator (offline) and the agent runtime in this process, once."""
        if self.runtime is not None and self._pid == os.getpid() and self.runtime.running:
            return self.runtime
        with self._lock:
            if self.runtime is not None and self._pid == os.getpid() and self.runtime.running:
                return self.runtime
            # After a fork the parent's connections must not be used (or closed: for
            # PostgreSQL that would end the parent's session); other threads of this
            # process may be using theirs right now, so only a fork resets them.
            if self._store_pid != os.getpid():
                self.store.forget_connections()
                self._store_pid = os.getpid()
            cli_env: dict[str, str] = {
                "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
                # The CLI's own retries for 429/5xx, not multiplied by ours (we retry none);
                # the turn deadline bounds the 529 back-off loop.
                "CLAUDE_CODE_MAX_RETRIES": str(self.settings.model_max_retries),
            }
            if self.offline:
                self.narrator = OfflineNarrator(
                    first_token_ms=self.settings.offline_first_token_ms,
                    tokens_per_s=self.settings.offline_tokens_per_s,
                    seed=self.settings.offline_seed,
                )
                cli_env["ANTHROPIC_BASE_URL"] = self.narrator.start()
                cli_env["ANTHROPIC_API_KEY"] = "offline-narrator"
            else:
                # Settings may come from create_app(config), not only the environment.
                cli_env.update(self.settings.anthropic_env())
            master = GameMaster(
                self.store,
                MasterConfig(
                    data_dir=self.settings.data_dir,
                    model=self.settings.model or ("offline-narrator" if self.offline else None),
                    cli_env=cli_env,
                    turn_timeout_s=self.settings.turn_timeout_s,
                    cli_path=self.settings.cli_path,
                    trace_link=tracing.permalink,
                    on_turn_end=self.update_game_trace,
                    tool_executor=self._tool_executor(),
                    context_budget_tokens=self.settings.context_budget_tokens,
                    model_summaries=not self.offline,
                    scenarios=self.scenario_of,
                ),
            )
            self.runtime = AgentRuntime(
                master,
                max_live=self.settings.max_live_sessions,
                workers=self.settings.web_concurrency,
                idle_seconds=self.settings.idle_seconds,
            ).start()
            self._pid = os.getpid()
            return self.runtime

    def shutdown(self, grace_s: float | None = None) -> None:
        """Finish running turns within the grace period and stop every CLI process."""
        grace = self.settings.shutdown_grace_s if grace_s is None else grace_s
        self.party.stop()
        if self.runtime is not None and self._pid == os.getpid():
            self.runtime.stop(grace)
        self.runtime = None
        if self.narrator is not None:
            self.narrator.stop()
            self.narrator = None
        self.store.close()

    # ------------------------------------------------------------------ use cases

    def scenario_of(self, scenario_id: str) -> rules.Scenario:
        """A stored game's scenario; ScenarioUnavailable once it is no longer on offer."""
        try:
            return self.scenarios.get(scenario_id)
        except KeyError:
            raise ScenarioUnavailable(
                f"This game's adventure {scenario_id!r} is no longer available on this server "
                "(its scenario file was removed or is broken); start a new game."
            ) from None

    def scenario_list(self) -> list[dict[str, Any]]:
        """The adventures on offer, as the scenario picker shows them."""
        return self.scenarios.summaries()

    def create_game(self, payload: Any, *, owner: str | None = None) -> GameRecord:
        """Validate a new-game request and store the game."""
        new = parse_new_game(payload)
        try:
            scenario = self.scenarios.get(new.scenario)
        except KeyError:
            choices = ", ".join(self.scenarios.ids())
            raise InvalidInput(
                f"unknown scenario {new.scenario!r}; choose one of: {choices}"
            ) from None
        try:
            state = rules.new_game_state(
                new.name,
                new.cls,
                scenario,
                method=new.method,
                abilities=new.abilities,
                backstory=new.backstory,
            )
        except rules.RuleError as exc:
            raise InvalidInput(str(exc), rule=exc.code) from exc
        game = self.store.create_game(state, owner=owner)
        exported = spans.start_game_trace(
            game.id,
            {
                "character": {"name": state.character.name, "class": state.character.cls},
                "scenario": scenario.id,
            },
        )
        if exported:
            self.store.set_trace_root(game.id, exported)
            game.trace_root = exported
        return game

    def update_game_trace(self, game_id: str) -> None:
        """Log the game's aggregated story on its root span (after every turn)."""
        try:
            game = self.store.get_game(game_id)
            if not game.trace_root:
                return
            output, metadata = game_summary(game, self.store.active_line(game_id))
            spans.update_game_trace(game.trace_root, output, metadata)
        except Exception:  # telemetry never breaks a turn
            log.warning("could not update the root span of game %s", game_id, exc_info=True)

    def _tool_executor(self) -> Any:
        """Run tools here, or on the tool worker when GM_TOOL_WORKER_URL is set."""
        url = self.settings.tool_worker_url
        if not url:
            return None
        from .worker import remote_executor

        token = self.settings.tool_worker_token
        return lambda game_id, scenario: remote_executor(url, game_id, token)

    def owned_game(self, game_id: str, owner: str | None, *, read: bool = False) -> GameRecord:
        """The game if ``owner`` may see it: a game made by a browser belongs to it alone.

        Games made by API clients (no browser cookie) have no owner; their 128-bit random
        id is the capability. A browser seated at the game by an invite may ``read`` it;
        changing its story (retry, rewind, lines) is the host's (NotYourSeat, 403). Anyone
        else gets GameNotFound, as if the game did not exist.
        """
        # A turn whose worker died shows as interrupted from the first look at the game on.
        self.store.reap_dead_turns(game_id)
        game = self.store.get_game(game_id)
        if game.owner is not None and game.owner != owner:
            if owner is None or game_id not in self.store.browser_games(owner):
                raise GameNotFound(f"No game {game_id!r}.")
            if not read:
                raise NotYourSeat("In a party game only the host can do that.")
        return game

    def start_turn(
        self,
        game_id: str,
        message: Any,
        *,
        parent: str | None = None,
        owner: str | None = None,
        check_owner: bool = False,
    ) -> TurnHandle:
        """Validate the message and start a turn (raises TurnInProgress, GameNotFound)."""
        text = validate_message(message)
        game = self.owned_game(game_id, owner) if check_owner else self.store.get_game(game_id)
        if sum(1 for seat in self.store.seats(game_id) if seat.acts) > 1:
            raise PlayInRounds("This game is played in rounds: send your action to .../actions.")
        self.scenario_of(game.scenario)  # a removed adventure answers 409, before any turn
        runtime = self.ensure_started()
        self.lines.played_on_from(game_id)
        return runtime.start_turn(game_id, text, parent=parent)

    def rate_turn(self, game_id: str, turn_id: str, payload: Any, owner: str | None) -> None:
        """The player's rating of a turn: stored, and sent to Braintrust as feedback on the
        turn's span when tracing is on."""
        score, comment = validate_feedback(payload)
        self.owned_game(game_id, owner, read=True)
        turn = self.store.get_turn(game_id, turn_id)
        self.store.add_feedback(turn.id, score, comment)
        if turn.span_id:
            spans.log_feedback(turn.span_id, score, comment)

    def health(self) -> dict[str, Any]:
        """Liveness figures: store reachable, CLI present, pool."""
        from claude_agent_sdk import __file__ as sdk_file

        bundled = os.path.join(os.path.dirname(sdk_file), "_bundled", "claude")
        cli = self.settings.cli_path or bundled
        cli_ok = os.path.exists(cli) or shutil.which(cli) is not None
        problem = None
        try:
            store_ok = self.store.ping()
            problem = self.store.write_problem()
        except Exception as exc:
            log.warning("health check: store unreachable: %s", exc)
            store_ok = False
        data_problem = disk_problem(self.settings.data_dir)
        if problem or data_problem:
            log.warning("health check: cannot write: %s", problem or data_problem)
        writable = store_ok and problem is None and data_problem is None
        store = {"ok": store_ok and writable, "dialect": self.store.dialect, "writable": writable}
        if problem or data_problem:
            store["problem"] = f"database: {problem}" if problem else f"data folder: {data_problem}"
        return {
            "status": "ok" if store["ok"] and cli_ok else "degraded",
            "store": store,
            "cli": {"ok": cli_ok},
            "offline": self.offline,
            "pool": self.runtime.stats().to_dict() if self.runtime is not None else None,
        }
