"""The tool worker: game tools executed in another process, continuing the caller's trace.

Run it with ``python -m game_master.worker --port 8002`` and point the app at it with
``GM_TOOL_WORKER_URL=http://127.0.0.1:8002``. The app's tool handler exports the current
(tool) span in ``x-bt-parent-span``; the worker opens ``worker_execute_tool`` under it and
the tool's own span below that. Same rules engine and store (share ``DATABASE_URL``).
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import logging
import signal
from collections.abc import Mapping
from typing import Any

import requests
from flask import Flask, jsonify, request

from . import rules, spans
from .errors import GameMasterError
from .rules import refuse
from .settings import Settings
from .store import Store
from .tools import TOOLS, ToolExecutor, ToolOutcome, execute_tool

log = logging.getLogger(__name__)

WORKER_TIMEOUT_S = 15.0


# ---------------------------------------------------------------------- the app's side


def _failed(name: str, message: str) -> ToolOutcome:
    """A tool call that could not reach the rules: nothing happened, and the model is told."""
    return ToolOutcome.refused(name, refuse("tool_failed", message, tool=name))


def remote_executor(url: str, game_id: str, token: str | None = None) -> ToolExecutor:
    """Run tools on the worker at ``url`` (``token``: GM_TOOL_WORKER_TOKEN); any failure is
    a tool error the model can read."""

    def call(name: str, args: dict[str, Any]) -> ToolOutcome:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        exported = spans.current_span_export()
        if exported:
            headers["x-bt-parent-span"] = exported
        try:
            resp = requests.post(
                f"{url.rstrip('/')}/tools/{name}",
                json={"game_id": game_id, "args": args},
                headers=headers,
                timeout=WORKER_TIMEOUT_S,
            )
        except requests.RequestException as exc:
            log.warning("tool worker unreachable: %s", exc)
            return _failed(name, "the rules engine is unreachable; nothing happened")
        if resp.status_code != 200:
            return _failed(name, f"the rules engine failed ({resp.status_code}); nothing happened")
        body = resp.json()
        return ToolOutcome(name, body.get("result"), bool(body.get("is_error")))

    async def run(name: str, args: dict[str, Any]) -> ToolOutcome:
        # to_thread copies the context, so the current span is the SDK's tool span.
        return await asyncio.to_thread(call, name, args)

    return run


# ---------------------------------------------------------------------- the worker


def create_worker_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The worker's Flask app: ``POST /tools/<name>`` and ``GET /healthz``."""
    import tracing

    app = Flask(__name__)
    settings = Settings.load(app.instance_path, overrides=config)
    store = Store(settings.database_url, pool_size=settings.db_pool_size)
    store.migrate()
    token = settings.tool_worker_token
    scenarios = rules.ScenarioLibrary(settings.scenario_dir)
    app.extensions["game_master_store"] = store

    @app.before_request
    def restore_tracing_context() -> None:
        """Each request thread gets Braintrust's logger back."""
        tracing.restore_logger_context()

    @app.get("/healthz")
    def healthz() -> Any:
        """Liveness."""
        return jsonify({"status": "ok", "tools": sorted(TOOLS)})

    @app.post("/tools/<name>")
    def run_tool(name: str) -> Any:
        """Execute one tool for one game under the caller's span."""
        auth = request.headers.get("Authorization", "")
        if token and not hmac.compare_digest(auth, f"Bearer {token}"):
            return jsonify({"error": {"code": "forbidden", "message": "bad token"}}), 403
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("game_id"), str):
            return jsonify({"error": {"code": "invalid_input", "message": "need game_id"}}), 400
        raw_args = body.get("args")
        args: dict[str, Any] = raw_args if isinstance(raw_args, dict) else {}
        game_id = body["game_id"]
        try:
            scenario = scenarios.get(store.get_game(game_id).scenario)
        except KeyError:
            return jsonify(
                {"error": {"code": "scenario_unavailable", "message": "scenario not available"}}
            ), 409
        except GameMasterError as exc:
            return jsonify({"error": {"code": exc.code, "message": exc.message}}), exc.status
        parent = request.headers.get("x-bt-parent-span") if tracing.is_enabled() else None
        outcome = spans.worker_tool_call(
            name,
            args,
            game_id=game_id,
            parent=parent,
            execute=lambda: execute_tool(store, game_id, scenario, name, args),
        )
        return jsonify({"result": outcome.result, "is_error": outcome.is_error})

    return app


def _interrupt(signum: int, frame: object) -> None:
    """Turn a stop signal into KeyboardInterrupt, the one way out of ``serve_forever``."""
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    """Serve the worker until interrupted (Ctrl-C or SIGTERM); flush spans on the way out."""
    from dotenv import load_dotenv
    from werkzeug.serving import make_server

    load_dotenv(override=True)
    import tracing

    parser = argparse.ArgumentParser(description="Game Master tool worker")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8002)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    tracing.setup_tracing()
    app = create_worker_app()
    server = make_server(args.host, args.port, app, threaded=True)
    print(f"tool worker listening on http://{args.host}:{server.server_port}", flush=True)
    # A process manager stops us with SIGTERM: leave like Ctrl-C, flushing spans on the way.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        tracing.flush_tracing()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
