"""HTTP views: parse, validate, call the GameService, stream events. No game rules here."""

from __future__ import annotations

import hmac
import json
import logging
import secrets
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, jsonify, render_template, request, session
from werkzeug.exceptions import HTTPException

import tracing

from .errors import (
    Forbidden,
    GameMasterError,
    InvalidInput,
    RateLimited,
    UnsupportedMediaType,
)
from .events import GameEvent, TurnCompleted, TurnError
from .ratelimit import Limit, RateLimiter
from .service import GameService, validate_feedback

log = logging.getLogger(__name__)
bp = Blueprint("game_master", __name__)

LOOPBACK = {"127.0.0.1", "::1", "localhost"}
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def service() -> GameService:
    """This app's GameService."""
    return current_app.extensions["game_master"]


def json_body() -> Any:
    """The request's JSON body; 415 when it is not JSON, 400 when it does not parse."""
    if not request.is_json:
        raise UnsupportedMediaType("Send the body as JSON (Content-Type: application/json).")
    data = request.get_json(silent=True)
    if data is None:
        raise InvalidInput("The body is not valid JSON.")
    return data


def error_response(exc: GameMasterError) -> Response:
    """The contract's error JSON for a GameMasterError."""
    resp = jsonify({"error": {"code": exc.code, "message": exc.message}})
    resp.status_code = exc.status
    if exc.retry_after is not None:
        resp.headers["Retry-After"] = str(int(exc.retry_after))
    return resp


def sse(event: str, data: Any) -> str:
    """One SSE frame. JSON escapes every newline, so player text cannot break the framing."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=True)}\n\n"


SECURITY_HEADERS = {
    # No inline script or style, nothing from other origins: model text cannot run.
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


@bp.before_app_request
def guard_api() -> None:
    """Refuse cross-site writes and floods before any work is done."""
    if not request.path.startswith("/api/"):
        return
    if request.method in STATE_CHANGING:
        # Browsers say where a request comes from; a page on another site must not be
        # able to play, create or rate games here (CSRF). JSON-only bodies add a preflight.
        site = request.headers.get("Sec-Fetch-Site")
        if site is not None and site not in ("same-origin", "none"):
            raise Forbidden("Cross-site requests are not accepted.")
        origin = request.headers.get("Origin")
        if origin is not None and urlsplit(origin).netloc != request.host:
            raise Forbidden("Cross-site requests are not accepted.")
    limiter: RateLimiter = current_app.extensions["game_master_limiter"]
    bucket, per_min = _rate_bucket()
    if per_min <= 0:  # 0 turns a limit off
        return
    if request.remote_addr in LOOPBACK and not current_app.config["GM_RATE_LIMIT_LOOPBACK"]:
        # Local tools, benchmarks and a same-host reverse proxy without GM_PROXY_FIX all
        # arrive from loopback; limiting that one address would throttle everyone at once.
        return
    verdict = limiter.hit(bucket, request.remote_addr or "unknown", Limit(per_min, 60))
    if not verdict.allowed:
        raise RateLimited(
            "Too many requests; slow down a little.", retry_after=verdict.retry_after_s
        )


def _rate_bucket() -> tuple[str, int]:
    """Which limit a request counts against."""
    cfg = current_app.config
    if request.method == "POST" and request.endpoint == "game_master.play_turn":
        return "turn", cfg["GM_RATE_TURNS_PER_MIN"]
    if request.method == "POST" and request.endpoint == "game_master.create_game":
        return "create", cfg["GM_RATE_GAMES_PER_MIN"]
    return "api", cfg["GM_RATE_API_PER_MIN"]


def from_browser() -> bool:
    """True for requests a browser made (it sends Fetch metadata or Origin)."""
    return "Sec-Fetch-Site" in request.headers or "Origin" in request.headers


def owner(create: bool = False) -> str | None:
    """This browser's owner id from the signed session cookie (made on first game)."""
    value = session.get("owner")
    if value is None and create:
        value = secrets.token_urlsafe(18)
        session["owner"] = value
        session.permanent = True
    return value if isinstance(value, str) else None


@bp.after_app_request
def security_headers(resp: Response) -> Response:
    """Strict CSP and friends on every answer."""
    for name, value in SECURITY_HEADERS.items():
        resp.headers.setdefault(name, value)
    return resp


# ---------------------------------------------------------------------- pages


@bp.get("/")
def index() -> str:
    """The game page."""
    return render_template("index.html", offline=service().offline)


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness: process up, store reachable, CLI present, pool figures."""
    health = service().health()
    resp = jsonify(health)
    resp.status_code = 200 if health["store"]["ok"] else 503
    return resp


# ---------------------------------------------------------------------- games


@bp.post("/api/games")
def create_game() -> tuple[Response, int]:
    """Start a new game."""
    payload = json_body() if request.content_length else None
    svc = service()
    game = svc.create_game(payload, owner=owner(create=True) if from_browser() else None)
    return jsonify(svc.game_view(game)), 201


@bp.get("/api/games/<game_id>")
def get_game(game_id: str) -> Response:
    """A game with its state and turns."""
    svc = service()
    return jsonify(svc.game_view(svc.owned_game(game_id, owner())))


@bp.post("/api/games/<game_id>/turns")
def play_turn(game_id: str) -> Response:
    """Play a turn: SSE when the client accepts it, else one JSON answer."""
    payload = json_body()
    if not isinstance(payload, dict):
        raise InvalidInput("body must be a JSON object with a 'message'")
    parent = request.headers.get("x-bt-parent-span") or None
    handle = service().start_turn(
        game_id, payload.get("message"), parent=parent, owner=owner(), check_owner=True
    )
    if request.accept_mimetypes.best_match(["application/json", "text/event-stream"]) == (
        "text/event-stream"
    ):
        return Response(
            stream_events(handle.next_event, current_app.config["GM_SSE_HEARTBEAT_S"]),
            mimetype="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    return turn_json(handle.events())


def stream_events(next_event: Any, heartbeat_s: float = 15.0) -> Iterator[str]:
    """SSE frames of a turn, with heartbeat comments while the model thinks.

    If the browser goes away, the generator is closed; the turn itself runs on the agent
    loop and is stored either way.
    """
    while True:
        event: GameEvent | None = next_event(heartbeat_s)
        if event is None:
            yield ": heartbeat\n\n"
            continue
        yield sse(event.name, event.to_dict())
        if isinstance(event, TurnCompleted | TurnError):
            return


def turn_json(events: Iterator[GameEvent]) -> Response:
    """Collect a whole turn into the contract's JSON answer."""
    state: dict[str, Any] | None = None
    turn_id = None
    for event in events:
        if event.name == "turn.started":
            turn_id = event.to_dict()["turn_id"]
        elif event.name == "state":
            state = event.to_dict()
        elif isinstance(event, TurnCompleted):
            return jsonify(
                {
                    "turn_id": event.turn_id,
                    "narration": event.narration,
                    "tool_calls": event.tool_calls,
                    "state": state,
                    "usage": event.usage,
                    "trace": event.trace,
                    "duration_ms": event.duration_ms,
                }
            )
        elif isinstance(event, TurnError):
            resp = jsonify(
                {"error": {"code": event.code, "message": event.message}, "turn_id": turn_id}
            )
            resp.status_code = 504 if event.code == "turn_timeout" else 503
            if event.retry_after:
                resp.headers["Retry-After"] = str(int(event.retry_after))
            return resp
    raise GameMasterError("the turn ended without a result")


@bp.post("/api/games/<game_id>/turns/<turn_id>/feedback")
def feedback(game_id: str, turn_id: str) -> tuple[str, int]:
    """Store the player's rating of a turn and send it to Braintrust when tracing is on."""
    score, comment = validate_feedback(json_body())
    svc = service()
    svc.owned_game(game_id, owner())
    turn = svc.store.get_turn(game_id, turn_id)
    svc.store.add_feedback(turn.id, score, comment)
    if turn.span_id:
        tracing.log_feedback(turn.span_id, score, comment)
    return "", 204


# ---------------------------------------------------------------------- debug


def debug_allowed() -> bool:
    """Loopback callers, or a caller presenting GM_DEBUG_TOKEN as a bearer token."""
    token = current_app.config.get("GM_DEBUG_TOKEN")
    auth = request.headers.get("Authorization", "")
    if token and auth.startswith("Bearer ") and hmac.compare_digest(auth[7:], token):
        return True
    # A request relayed by a reverse proxy on this host arrives from loopback too; only a
    # direct connection counts as local.
    if "X-Forwarded-For" in request.headers or "Forwarded" in request.headers:
        return False
    return request.remote_addr in LOOPBACK


@bp.get("/debug/tracing")
def debug_tracing() -> Response:
    """Tracing status; ``?flush=true`` flushes first."""
    if not debug_allowed():
        raise Forbidden("Debug endpoints answer only from loopback or with GM_DEBUG_TOKEN.")
    flushed = None
    if request.args.get("flush", "").lower() in ("1", "true", "yes"):
        flushed = tracing.flush_tracing()
    status = tracing.get_tracing_status()
    if flushed is not None:
        status["flushed"] = flushed
    status["offline_narrator"] = service().offline
    runtime = service().runtime
    status["pool"] = runtime.stats().to_dict() if runtime is not None else None
    return jsonify(status)


# ---------------------------------------------------------------------- errors


@bp.app_errorhandler(GameMasterError)
def handle_game_error(exc: GameMasterError) -> Response:
    """Our errors → contract JSON."""
    return error_response(exc)


@bp.app_errorhandler(HTTPException)
def handle_http_error(exc: HTTPException) -> Response:
    """Werkzeug's errors (404, 405, 413, …) → contract JSON, never HTML."""
    code = (exc.name or "error").lower().replace(" ", "_")
    resp = jsonify({"error": {"code": code, "message": exc.description or exc.name}})
    resp.status_code = exc.code or 500
    return resp


@bp.app_errorhandler(Exception)
def handle_unexpected(exc: Exception) -> Response:
    """Anything else → a JSON 500 without a traceback; the traceback goes to the log."""
    log.exception("unhandled error on %s %s", request.method, request.path)
    resp = jsonify({"error": {"code": "internal_error", "message": "Something went wrong."}})
    resp.status_code = 500
    return resp
