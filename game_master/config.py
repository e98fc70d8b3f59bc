"""Configuration: defaults, then the environment, then explicit overrides; read at start-up."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# name: (default, parser, description) — .env.example and the README table mirror this.
SETTINGS: dict[str, tuple[Any, str]] = {
    "GM_DATA_DIR": (None, "path"),
    "DATABASE_URL": (None, "str"),
    "GM_MODEL": (None, "str"),
    "GM_TURN_TIMEOUT_S": (120.0, "float"),
    "GM_MAX_LIVE_SESSIONS": (None, "int"),
    "GM_IDLE_SECONDS": (300.0, "float"),
    "GM_OFFLINE_FIRST_TOKEN_MS": (350.0, "float"),
    "GM_OFFLINE_TOKENS_PER_S": (40.0, "float"),
    "GM_OFFLINE_SEED": (0, "int"),
    "GM_DEBUG_TOKEN": (None, "str"),
    "GM_CLI_PATH": (None, "str"),
    "GM_SHUTDOWN_GRACE_S": (20.0, "float"),
    "GM_TOOL_WORKER_URL": (None, "str"),
    "GM_ENV": ("development", "str"),
    "REDIS_URL": (None, "str"),
    "GM_RATE_TURNS_PER_MIN": (30, "int"),
    "GM_RATE_GAMES_PER_MIN": (20, "int"),
    "GM_RATE_API_PER_MIN": (600, "int"),
    "GM_RATE_LIMIT_LOOPBACK": (False, "bool"),
    "GM_DB_BUSY_TIMEOUT_MS": (5000, "int"),
    "GM_MODEL_MAX_RETRIES": (2, "int"),
    "GM_SSE_HEARTBEAT_S": (15.0, "float"),
    "GM_COOKIE_SECURE": (False, "bool"),
    "GM_PROXY_FIX": (0, "int"),
    "SECRET_KEY": (None, "str"),
    "ANTHROPIC_API_KEY": (None, "str"),
    "ANTHROPIC_AUTH_TOKEN": (None, "str"),
    "ANTHROPIC_BASE_URL": (None, "str"),
}


class ConfigError(ValueError):
    """A setting has a value the app cannot use; the message names it."""


def _parse(name: str, raw: Any, kind: str) -> Any:
    """Convert one raw value; raises ConfigError naming the setting."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if not isinstance(raw, str):
        return raw
    raw = raw.strip()
    try:
        if kind == "float":
            value: Any = float(raw)
            if value < 0:
                raise ValueError("must not be negative")
            return value
        if kind == "int":
            value = int(raw)
            if value < 0:
                raise ValueError("must not be negative")
            return value
        if kind == "path":
            return Path(raw).expanduser()
        if kind == "bool":
            if raw.lower() in ("1", "true", "yes", "on"):
                return True
            if raw.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError("must be true or false")
    except ValueError as exc:
        raise ConfigError(f"{name}={raw!r} is not a valid {kind}: {exc}") from exc
    return raw


def load_settings(
    instance_path: str | Path,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Defaults, then ``environ``, then ``overrides`` (tests win); validated."""
    env = os.environ if environ is None else environ
    overrides = overrides or {}
    settings: dict[str, Any] = {}
    for name, (default, kind) in SETTINGS.items():
        value = default
        if name in env:
            parsed = _parse(name, env[name], kind)
            value = default if parsed is None else parsed
        if name in overrides:
            value = _parse(name, overrides[name], kind)
        settings[name] = value
    for name, value in overrides.items():
        settings.setdefault(name, value)
    if settings["GM_DATA_DIR"] is None:
        settings["GM_DATA_DIR"] = Path(instance_path)
    settings["GM_DATA_DIR"] = Path(settings["GM_DATA_DIR"]).resolve()
    if not settings["DATABASE_URL"]:
        settings["DATABASE_URL"] = f"sqlite:///{settings['GM_DATA_DIR'] / 'game_master.db'}"
    elif not str(settings["DATABASE_URL"]).startswith(
        ("postgres://", "postgresql://", "sqlite:///")
    ):
        raise ConfigError("DATABASE_URL must start with postgresql:// or sqlite:///")
    if settings["GM_TURN_TIMEOUT_S"] <= 0:
        raise ConfigError("GM_TURN_TIMEOUT_S must be above 0")
    if settings["GM_ENV"] not in ("development", "production"):
        raise ConfigError("GM_ENV must be 'development' or 'production'")
    if settings["GM_ENV"] == "production" and not settings["SECRET_KEY"]:
        raise ConfigError(
            "SECRET_KEY must be set in production (GM_ENV=production, the default under "
            "gunicorn.conf.py): it signs the cookie that ties games to browsers"
        )
    return settings


def offline_mode(settings: Mapping[str, Any]) -> bool:
    """True when no Anthropic credentials or gateway are configured: use the narrator."""
    return not (
        settings.get("ANTHROPIC_API_KEY")
        or settings.get("ANTHROPIC_AUTH_TOKEN")
        or settings.get("ANTHROPIC_BASE_URL")
    )
