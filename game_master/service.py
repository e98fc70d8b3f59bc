"""GameService: the long-lived objects of one process and the use cases views call.

Framework-free: the Flask views, the command line and the benchmark all go through it.
Start-up is lazy and fork-aware, so a gunicorn worker (``--preload`` or not) starts its
own agent loop, CLI pool and offline narrator after the fork.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import threading
from dataclasses import dataclass
from typing import Any

import tracing

from . import rules, spans
from .chapters import check_budget
from .errors import GameNotFound, InvalidInput, ScenarioUnavailable
from .lines import LineUseCases
from .master import GameMaster, MasterConfig
from .offline import OfflineNarrator
from .runtime import AgentRuntime, TurnHandle
from .saved import SavedGames
from .settings import Settings
from .store import GameRecord, Store
from .store.connection import disk_problem
from .views import GameViews, game_summary

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 2000
MAX_COMMENT_CHARS = 1000


@dataclass(frozen=True)
class NewGame:
    """Validated input for a new game."""

    name: str
    cls: str
    scenario: str
    method: str | None = None
    abilities: dict[str, Any] | None = None
    backstory: str = ""


class GameService:
    """Store, GameMaster, AgentRuntime and (offline) narrator for one process, the game use
    cases, and the other use cases composed of it: ``lines`` (retry, rewind, lines of play,
    paging) and ``saved`` (a browser's list of games)."""

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

    def owned_game(self, game_id: str, owner: str | None) -> GameRecord:
        """The game if ``owner`` may see it: a game made by a browser belongs to it alone.

        Games made by API clients (no browser cookie) have no owner; their 128-bit random
        id is the capability. Anyone else gets GameNotFound, as if the game did not exist.
        """
        # A turn whose worker died shows as interrupted from the first look at the game on.
        self.store.reap_dead_turns(game_id)
        game = self.store.get_game(game_id)
        if game.owner is not None and game.owner != owner:
            raise GameNotFound(f"No game {game_id!r}.")
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
        self.scenario_of(game.scenario)  # a removed adventure answers 409, before any turn
        runtime = self.ensure_started()
        self.lines.played_on_from(game_id)
        return runtime.start_turn(game_id, text, parent=parent)

    def rate_turn(self, game_id: str, turn_id: str, payload: Any, owner: str | None) -> None:
        """The player's rating of a turn: stored, and sent to Braintrust as feedback on the
        turn's span when tracing is on."""
        score, comment = validate_feedback(payload)
        self.owned_game(game_id, owner)
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


def parse_new_game(payload: Any) -> NewGame:
    """Validate the shape of ``{"character": {"name", "class", "method", "abilities",
    "backstory"}, "scenario"}`` (all optional); the rules judge the values."""
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise InvalidInput("body must be a JSON object")
    character = payload.get("character") or {}
    if not isinstance(character, dict):
        raise InvalidInput("'character' must be an object with 'name' and 'class'")
    name = character.get("name", "Wren")
    cls = character.get("class", "rogue")
    scenario = payload.get("scenario") or rules.DEFAULT_SCENARIO
    if not isinstance(name, str) or not isinstance(cls, str) or not isinstance(scenario, str):
        raise InvalidInput("'name', 'class' and 'scenario' must be strings")
    method = character.get("method")
    if method is not None and not isinstance(method, str):
        raise InvalidInput("'method' must be a string: standard_array or point_buy")
    abilities = character.get("abilities")
    if abilities is not None and not isinstance(abilities, dict):
        raise InvalidInput("'abilities' must be an object of ability name to score")
    backstory = character.get("backstory") or ""
    if not isinstance(backstory, str):
        raise InvalidInput("'backstory' must be a string")
    return NewGame(
        name=name,
        cls=cls,
        scenario=scenario,
        method=method,
        abilities=abilities,
        backstory=backstory,
    )


LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


def storable_text(text: str) -> str:
    """Text every database keeps byte for byte: lone surrogates (not valid Unicode) become
    U+FFFD and NUL is dropped (PostgreSQL text cannot hold it); nothing else changes."""
    return LONE_SURROGATE.sub("\ufffd", text).replace("\x00", "")


def validate_message(message: Any) -> str:
    """A player's message: a string of 1-2,000 characters after trimming."""
    if not isinstance(message, str):
        raise InvalidInput("'message' must be a string")
    text = storable_text(message).strip()
    if not text:
        raise InvalidInput("'message' must not be empty")
    if len(text) > MAX_MESSAGE_CHARS:
        raise InvalidInput(f"'message' must be at most {MAX_MESSAGE_CHARS} characters")
    return text


def validate_feedback(payload: Any) -> tuple[float, str | None]:
    """``{"score": 0..1, "comment": "..."}``."""
    if not isinstance(payload, dict):
        raise InvalidInput("body must be a JSON object")
    score = payload.get("score")
    if isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 1:
        raise InvalidInput("'score' must be a number from 0 to 1")
    comment = payload.get("comment")
    if comment is not None and not isinstance(comment, str):
        raise InvalidInput("'comment' must be a string")
    if comment is not None and len(comment) > MAX_COMMENT_CHARS:
        raise InvalidInput(f"'comment' must be at most {MAX_COMMENT_CHARS} characters")
    return float(score), (storable_text(comment).strip() or None) if comment else None
