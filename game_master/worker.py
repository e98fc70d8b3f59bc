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
import os
from collections.abc import Mapping
from typing import Any

import requests
from flask import Flask, jsonify, request

from . import rules
from .config import load_settings
from .errors import GameMasterError
from .store import Store
from .tools import TOOLS, ToolExecutor, ToolOutcome, execute_tool

try:  # tracing is optional at run time
    import braintrust
    from braintrust.span_types import SpanTypeAttribute
except ImportError:  # pragma: no cover - braintrust is a declared dependency
    braintrust = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

WORKER_TIMEOUT_S = 15.0


# ---------------------------------------------------------------------- the app's side


def remote_executor(url: str, game_id: str, token: str | None = None) -> ToolExecutor:
    """Run tools on the worker at ``url``; any failure is a tool error the model can read."""
    token = token if token is not None else os.environ.get("GM_TOOL_WORKER_TOKEN")

    def call(name: str, args: dict[str, Any]) -> ToolOutcome:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if braintrust is not None:
            try:
                exported = braintrust.current_span().export()
                if exported:
                    headers["x-bt-parent-span"] = exported
            except Exception:  # telemetry never breaks a tool
                log.debug("could not export the tool span", exc_info=True)
        try:
            resp = requests.post(
                f"{url.rstrip('/')}/tools/{name}",
                json={"game_id": game_id, "args": args},
                headers=headers,
                timeout=WORKER_TIMEOUT_S,
            )
        except requests.RequestException as exc:
            log.warning("tool worker unreachable: %s", exc)
            return ToolOutcome(
                name, {"error": "the rules engine is unreachable; nothing happened"}, True
            )
        if resp.status_code != 200:
            return ToolOutcome(
                name,
                {"error": f"the rules engine failed ({resp.status_code}); nothing happened"},
                True,
            )
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
    settings = load_settings(app.instance_path, overrides=config)
    store = Store(settings["DATABASE_URL"])
    store.migrate()
    token = (config or {}).get("GM_TOOL_WORKER_TOKEN") or os.environ.get("GM_TOOL_WORKER_TOKEN")
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
            scenario = rules.load_scenario(store.get_game(game_id).scenario)
        except GameMasterError as exc:
            return jsonify({"error": {"code": exc.code, "message": exc.message}}), exc.status
        parent = request.headers.get("x-bt-parent-span") if tracing.is_enabled() else None
        outcome = _traced_execute(store, game_id, scenario, name, args, parent)
        return jsonify({"result": outcome.result, "is_error": outcome.is_error})

    return app


def _traced_execute(
    store: Store,
    game_id: str,
    scenario: rules.Scenario,
    name: str,
    args: dict[str, Any],
    parent: str | None,
) -> ToolOutcome:
    """``worker_execute_tool`` → the tool's span → the rules engine."""
    if braintrust is None:
        return execute_tool(store, game_id, scenario, name, args)
    kwargs: dict[str, Any] = {"parent": parent} if parent else {}
    with braintrust.start_span(
        name="worker_execute_tool",
        type=SpanTypeAttribute.TASK,
        input={"tool": name, "args": args},
        metadata={"game_id": game_id, "worker_pid": os.getpid()},
        **kwargs,
    ) as outer:
        with braintrust.start_span(name=name, type=SpanTypeAttribute.TOOL, input=args) as span:
            outcome = execute_tool(store, game_id, scenario, name, args)
            span.log(output=outcome.result, metadata={"is_error": outcome.is_error})
        outer.log(output={"is_error": outcome.is_error})
    return outcome


def main(argv: list[str] | None = None) -> int:
    """Serve the worker until interrupted."""
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
