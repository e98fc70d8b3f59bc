"""Game Master: a browser role-playing game run by an AI game master (Claude Agent SDK)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask

from .config import ConfigError, load_settings, offline_mode
from .errors import GameMasterError
from .master import GameMaster, MasterConfig
from .runtime import AgentRuntime
from .service import GameService
from .store import Store

__all__ = [
    "AgentRuntime",
    "ConfigError",
    "GameMaster",
    "GameMasterError",
    "GameService",
    "MasterConfig",
    "Store",
    "create_app",
]

MAX_BODY_BYTES = 64 * 1024


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The Flask app: defaults, then the environment, then ``config`` (tests win)."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder="../templates",
        static_folder="../static",
    )
    settings = load_settings(app.instance_path, overrides=config)
    app.config.update(settings)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    if settings.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = settings["SECRET_KEY"]
    logging.getLogger("game_master").setLevel(logging.INFO)

    app.json.sort_keys = False  # type: ignore[attr-defined]  # keep the scenario's order

    offline = offline_mode(settings)
    app.extensions["game_master"] = GameService(settings, offline=offline)

    import tracing

    from .web import bp

    @app.before_request
    def restore_tracing_context() -> None:
        """Give each request thread Braintrust's logger back in its contextvar."""
        tracing.restore_logger_context()

    app.register_blueprint(bp)

    from .commands import gm

    app.cli.add_command(gm)
    return app
