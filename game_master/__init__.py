"""Game Master: a browser role-playing game run by an AI game master (Claude Agent SDK)."""

from __future__ import annotations

import logging
import os
import secrets
import time
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask

from .errors import GameMasterError
from .master import GameMaster, MasterConfig
from .runtime import AgentRuntime
from .service import GameService
from .settings import ConfigError, Settings
from .store import Store

__all__ = [
    "AgentRuntime",
    "ConfigError",
    "GameMaster",
    "GameMasterError",
    "GameService",
    "MasterConfig",
    "Settings",
    "Store",
    "create_app",
]

MAX_BODY_BYTES = 64 * 1024
# All request headers together; more is a 431 (gunicorn also refuses one over 8 KiB, in JSON).
MAX_HEADER_BYTES = 16 * 1024


def dev_secret_key(data_dir: Path) -> str:
    """A secret kept in the data folder, so development cookies survive restarts.

    Production (GM_ENV=production) refuses to start without SECRET_KEY instead.
    """
    path = Path(data_dir) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # another worker may be writing it right now
            secret = path.read_text().strip()
            if secret:
                return secret
            time.sleep(0.01)
        raise ConfigError(f"{path} is empty; delete it or set SECRET_KEY") from None
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32))
    return path.read_text().strip()


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The Flask app: defaults, then the environment, then ``config`` (tests win)."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder="../templates",
        static_folder="../static",
    )
    settings = Settings.load(app.instance_path, overrides=config)
    # Names that are not settings are Flask's own (TESTING, SERVER_NAME...): pass them on.
    app.config.update({k: v for k, v in (config or {}).items() if k not in Settings.env_names()})
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.config["MAX_HEADER_BYTES"] = MAX_HEADER_BYTES
    app.config["SECRET_KEY"] = settings.secret_key or dev_secret_key(settings.data_dir)
    app.config.update(
        SESSION_COOKIE_NAME="gm_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.cookie_secure,
        PERMANENT_SESSION_LIFETIME=timedelta(days=365),
    )
    if settings.production:
        app.config.update(DEBUG=False, PROPAGATE_EXCEPTIONS=False)
    if settings.proxy_fix:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = settings.proxy_fix
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )
    logging.getLogger("game_master").setLevel(logging.INFO)

    app.json.sort_keys = False  # type: ignore[attr-defined]  # keep the scenario's order

    offline = not settings.has_anthropic_credentials
    app.extensions["game_master"] = GameService(settings, offline=offline)

    import tracing

    from . import party_views  # noqa: F401  (its routes join the blueprint)
    from .http_policy import init_http_policy
    from .web import bp

    @app.before_request
    def restore_tracing_context() -> None:
        """Give each request thread Braintrust's logger back in its contextvar."""
        tracing.restore_logger_context()

    init_http_policy(app, bp)
    app.register_blueprint(bp)

    from .commands import gm

    app.cli.add_command(gm)
    return app
