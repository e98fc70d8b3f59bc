"""Settings: one typed, frozen object built from defaults, then the environment, then overrides.

This is the only module of the package (and of ``tracing.py``) that reads ``os.environ``.
Each field of :class:`Settings` is one row of the settings table: its environment variable,
its default and a one-line description (``.env.example`` and the README table mirror it;
``tests/test_settings.py`` checks they name the same variables). The field name is the
variable's name without the ``GM_`` prefix, in lower case.
"""

from __future__ import annotations

import dataclasses
import os
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Flask's instance folder for this package (create_app passes app.instance_path, the same).
DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / "instance"
ENVIRONMENTS = ("development", "production")
DATABASE_SCHEMES = ("postgres://", "postgresql://", "sqlite:///")


class ConfigError(ValueError):
    """A setting has a value the app cannot use; the message names it."""


def _setting(env: str, help: str, default: Any = None, *, secret: bool = False) -> Any:
    """One row of the settings table: environment variable, default, description."""
    # Secrets stay out of repr() so a logged Settings never leaks them.
    return field(default=default, repr=not secret, metadata={"env": env, "help": help})


@dataclass(frozen=True)
class Settings:
    """Every setting of the app, typed. Build it with :meth:`load` or :meth:`from_env`."""

    # --- storage
    data_dir: Path = _setting(
        "GM_DATA_DIR", "SQLite file, CLI config folder, the agent's sandbox.", DEFAULT_DATA_DIR
    )
    database_url: str = _setting(
        "DATABASE_URL",
        "postgresql://… to share games between workers and hosts (default: SQLite in GM_DATA_DIR).",
        "",
    )
    # --- the model
    anthropic_api_key: str | None = _setting(
        "ANTHROPIC_API_KEY", "Claude API key; unset (with the two below): offline.", secret=True
    )
    anthropic_auth_token: str | None = _setting(
        "ANTHROPIC_AUTH_TOKEN", "Bearer token instead of a key (gateways).", secret=True
    )
    anthropic_base_url: str | None = _setting(
        "ANTHROPIC_BASE_URL", "Any Anthropic-compatible endpoint; also turns offline off."
    )
    model: str | None = _setting("GM_MODEL", "Model name passed to the CLI (CLI default).")
    cli_path: str | None = _setting("GM_CLI_PATH", "Another Claude Code CLI binary to use.")
    model_max_retries: int = _setting(
        "GM_MODEL_MAX_RETRIES", "The CLI's own retries of a failed model request.", 2
    )
    # --- turns and the live-client pool
    turn_timeout_s: float = _setting("GM_TURN_TIMEOUT_S", "Deadline of one turn (seconds).", 120.0)
    web_concurrency: int = _setting(
        "WEB_CONCURRENCY", "gunicorn worker processes (they share the pool's memory budget).", 1
    )
    max_live_sessions: int | None = _setting(
        "GM_MAX_LIVE_SESSIONS", "Live CLI processes per worker (default: from RAM)."
    )
    context_budget_tokens: int = _setting(
        "GM_CONTEXT_BUDGET_TOKENS",
        "Close a chapter when a game's context passes this many tokens (0 = never).",
        24000,
    )
    idle_seconds: float = _setting(
        "GM_IDLE_SECONDS", "Close a game's CLI after this long idle (seconds).", 300.0
    )
    shutdown_grace_s: float = _setting(
        "GM_SHUTDOWN_GRACE_S", "On shutdown, how long running turns may finish.", 20.0
    )
    sse_heartbeat_s: float = _setting(
        "GM_SSE_HEARTBEAT_S", "SSE comment interval while the model is silent.", 15.0
    )
    party_seats: int = _setting(
        "GM_PARTY_SEATS", "Players (host included) one party game seats.", 6
    )
    round_seconds: float = _setting(
        "GM_ROUND_SECONDS",
        "A party round resolves after this long; who has not acted passes.",
        90.0,
    )
    db_busy_timeout_ms: int = _setting(
        "GM_DB_BUSY_TIMEOUT_MS", "How long a write waits for a locked database.", 5000
    )
    db_pool_size: int = _setting(
        "GM_DB_POOL_SIZE", "PostgreSQL connections per worker process (a pool).", 8
    )
    # --- offline narrator
    offline_first_token_ms: float = _setting(
        "GM_OFFLINE_FIRST_TOKEN_MS", "Offline narrator: delay before the first word.", 350.0
    )
    offline_tokens_per_s: float = _setting(
        "GM_OFFLINE_TOKENS_PER_S", "Offline narrator: streaming speed (0 = instant).", 40.0
    )
    offline_seed: int = _setting("GM_OFFLINE_SEED", "Offline narrator: wording seed.", 0)
    # --- security
    env: str = _setting("GM_ENV", "development or production (SECRET_KEY required).", "development")
    secret_key: str | None = _setting(
        "SECRET_KEY", "Signs the cookie that ties a game to its browser.", secret=True
    )
    debug_token: str | None = _setting(
        "GM_DEBUG_TOKEN", "Bearer token that opens /debug/tracing to other hosts.", secret=True
    )
    cookie_secure: bool = _setting("GM_COOKIE_SECURE", "Send the cookie over TLS only.", False)
    proxy_fix: int = _setting("GM_PROXY_FIX", "Reverse proxies whose X-Forwarded-* to trust.", 0)
    redis_url: str | None = _setting("REDIS_URL", "Share rate-limit counters through Redis.")
    rate_turns_per_min: int = _setting(
        "GM_RATE_TURNS_PER_MIN", "Turns per client address per minute (0 = no limit).", 30
    )
    rate_games_per_min: int = _setting(
        "GM_RATE_GAMES_PER_MIN", "New games per client address per minute.", 20
    )
    rate_api_per_min: int = _setting(
        "GM_RATE_API_PER_MIN", "Other API requests per client address per minute.", 600
    )
    rate_limit_loopback: bool = _setting(
        "GM_RATE_LIMIT_LOOPBACK", "Also rate-limit loopback callers.", False
    )
    # --- tool worker
    tool_worker_url: str | None = _setting(
        "GM_TOOL_WORKER_URL", "Run game tools on the tool worker at this URL."
    )
    tool_worker_token: str | None = _setting(
        "GM_TOOL_WORKER_TOKEN", "Shared bearer token between app and tool worker.", secret=True
    )
    # --- tracing, analytics and evals
    braintrust_api_key: str | None = _setting(
        "BRAINTRUST_API_KEY", "Turns tracing (and Braintrust analytics) on.", secret=True
    )
    braintrust_project: str = _setting(
        "BRAINTRUST_PROJECT", "Braintrust project for logs, datasets, experiments.", "game-master"
    )
    braintrust_api_url: str = _setting(
        "BRAINTRUST_API_URL", "Braintrust API for BTQL queries.", "https://api.braintrust.dev"
    )
    scenario_dir: Path | None = _setting(
        "GM_SCENARIO_DIR",
        "A folder of extra scenario files (<id>.json, see docs/scenarios.md) beside the bundled.",
    )
    dataset_dir: Path = _setting(
        "GM_DATASET_DIR",
        "Where JSONL datasets go (default: GM_DATA_DIR/datasets).",
        DEFAULT_DATA_DIR / "datasets",
    )
    # No dated model name as a default: dated models retire, and the judge would break with
    # them. Unset, the judges use the game's model (GM_MODEL).
    judge_model: str | None = _setting(
        "GM_JUDGE_MODEL", "Model of the LLM judges (default: GM_MODEL)."
    )

    # ------------------------------------------------------------------ decisions

    @property
    def has_anthropic_credentials(self) -> bool:
        """True when a Claude key, token or gateway is configured (else: offline narrator)."""
        return bool(self.anthropic_api_key or self.anthropic_auth_token or self.anthropic_base_url)

    @property
    def production(self) -> bool:
        """True under GM_ENV=production."""
        return self.env == "production"

    @property
    def has_braintrust_key(self) -> bool:
        """True when a Braintrust key is set (tracing, BTQL analytics, experiments)."""
        return bool(self.braintrust_api_key)

    def anthropic_env(self) -> dict[str, str]:
        """The Anthropic variables that are set, by name (for the CLI's environment)."""
        values = {
            "ANTHROPIC_API_KEY": self.anthropic_api_key,
            "ANTHROPIC_AUTH_TOKEN": self.anthropic_auth_token,
            "ANTHROPIC_BASE_URL": self.anthropic_base_url,
        }
        return {name: value for name, value in values.items() if value}

    # ------------------------------------------------------------------ building

    @classmethod
    def load(
        cls,
        instance_path: str | Path | None = None,
        environ: Mapping[str, str] | None = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> Settings:
        """Defaults, then ``environ`` (os.environ), then ``overrides`` (env-style names).

        Raises :class:`ConfigError` naming the variable for a value the app cannot use.
        Override names that are not settings (Flask's ``TESTING``...) are ignored here.
        """
        env = os.environ if environ is None else environ
        overrides = overrides or {}
        hints = typing.get_type_hints(cls)
        values: dict[str, Any] = {}
        given: set[str] = set()
        for f in dataclasses.fields(cls):
            name = f.metadata["env"]
            kind = _kind(hints[f.name])
            value = f.default
            for source in (env, overrides):
                if name in source:
                    parsed = _parse(name, source[name], kind)
                    if parsed is not None:
                        value = parsed
                        given.add(f.name)
            values[f.name] = value
        if "data_dir" not in given:
            values["data_dir"] = Path(instance_path) if instance_path else DEFAULT_DATA_DIR
        values["data_dir"] = Path(values["data_dir"]).resolve()
        if "dataset_dir" not in given:
            values["dataset_dir"] = values["data_dir"] / "datasets"
        if "database_url" not in given:
            values["database_url"] = f"sqlite:///{values['data_dir'] / 'game_master.db'}"
        settings = cls(**values)
        settings._validate()
        return settings

    @classmethod
    def from_env(cls) -> Settings:
        """Defaults, then the process environment."""
        return cls.load()

    def _validate(self) -> None:
        """Checks on the combined values; each message names the variable."""
        if not self.database_url.startswith(DATABASE_SCHEMES):
            raise ConfigError("DATABASE_URL must start with postgresql:// or sqlite:///")
        if self.db_pool_size < 1:
            raise ConfigError("GM_DB_POOL_SIZE must be at least 1")
        if self.turn_timeout_s <= 0:
            raise ConfigError("GM_TURN_TIMEOUT_S must be above 0")
        if self.env not in ENVIRONMENTS:
            raise ConfigError("GM_ENV must be 'development' or 'production'")
        if self.production and not self.secret_key:
            raise ConfigError(
                "SECRET_KEY must be set in production (GM_ENV=production, the default under "
                "gunicorn.conf.py): it signs the cookie that ties games to browsers"
            )

    # ------------------------------------------------------------------ the table

    @classmethod
    def env_names(cls) -> frozenset[str]:
        """Every environment variable a setting reads."""
        return frozenset(f.metadata["env"] for f in dataclasses.fields(cls))


@dataclass(frozen=True)
class SettingInfo:
    """One row of the settings table, for documentation and checks."""

    name: str
    env: str
    default: Any
    help: str


def settings_table() -> Iterator[SettingInfo]:
    """The settings table in declaration order."""
    for f in dataclasses.fields(Settings):
        yield SettingInfo(f.name, f.metadata["env"], f.default, f.metadata["help"])


def _kind(hint: Any) -> type:
    """The value type of a field's annotation (``X | None`` → ``X``)."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    return args[0] if args else hint  # type: ignore[no-any-return]


def _parse(name: str, raw: Any, kind: type) -> Any:
    """Convert one raw value (a string from the environment, or a typed override).

    None or a blank string means "not set" (the default stays); anything unusable raises
    ConfigError naming the variable.
    """
    if isinstance(raw, str):
        raw = raw.strip()
        if not raw:
            return None
    if raw is None:
        return None
    try:
        if kind is bool:
            if isinstance(raw, bool):
                return raw
            text = str(raw).lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError("must be true or false")
        if kind is int or kind is float:
            if isinstance(raw, bool) or (
                kind is int and isinstance(raw, float) and not raw.is_integer()
            ):
                raise ValueError("not a number of this kind")
            number = kind(raw)
            if number < 0:
                raise ValueError("must not be negative")
            return number
        if kind is Path:
            return Path(raw).expanduser()
        return str(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{name}={raw!r} is not a valid {kind.__name__}: {exc}") from exc
