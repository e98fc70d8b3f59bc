"""HTTP views: parse, validate, call the GameService, stream events. No game rules here."""

from __future__ import annotations

import hmac
import json
import logging
import math
import re
import secrets
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    jsonify,
    render_template,
    request,
    session,
)
from flask_limiter import Limiter, RateLimitExceeded, RequestLimit
from werkzeug.exceptions import HTTPException

import tracing

from . import openapi, rules, spans
from .errors import (
    Forbidden,
    GameMasterError,
    GameNotFound,
    InvalidInput,
    RateLimited,
    TurnNotFound,
    UnsupportedMediaType,
)
from .events import GameEvent, TurnCompleted, TurnError, turn_answer
from .runtime import TurnHandle
from .service import GameService, validate_feedback
from .store import BranchNotFound
from .tools import page_catalog

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
    error = {"code": exc.code, "message": exc.message}
    if isinstance(exc, InvalidInput) and exc.rule is not None:
        error["rule"] = exc.rule
    resp = jsonify({"error": error})
    resp.status_code = exc.status
    if exc.retry_after is not None:
        resp.headers["Retry-After"] = retry_after(exc.retry_after)
    return resp


def retry_after(seconds: float) -> str:
    """A Retry-After value: whole seconds rounded up, at least 1 (0 would invite a spin)."""
    return str(max(1, math.ceil(seconds)))


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
    """Refuse cross-site writes before any work is done (floods: ``init_rate_limits``)."""
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


# ---------------------------------------------------------------------- rate limits

# Requests that play a turn (and so start the model) count against the turn limit.
TURN_ENDPOINTS = ("game_master.play_turn", "game_master.retry_turn")


def _rate_bucket() -> tuple[str, int]:
    """Which limit a request counts against, and that limit per minute (0 = off)."""
    settings = service().settings
    if request.method == "POST" and request.endpoint in TURN_ENDPOINTS:
        return "turn", settings.rate_turns_per_min
    if request.method == "POST" and request.endpoint == "game_master.create_game":
        return "create", settings.rate_games_per_min
    return "api", settings.rate_api_per_min


# Every id in a URL is a uuid4 hex; anything else cannot name a row, so it is refused before
# the database sees it (a NUL byte, say, is a driver error on PostgreSQL, not a 404).
ID_FORMAT = re.compile(r"[0-9a-f]{32}")
ID_ERRORS: dict[str, Any] = {
    "game_id": lambda v: GameNotFound(f"No game {v!r}."),
    "turn_id": lambda v: TurnNotFound(f"No turn {v!r} in this game."),
    "branch_id": lambda v: BranchNotFound(f"No line of play {v!r} in this game."),
}


@bp.before_app_request
def check_ids() -> None:
    """404 for a URL id that is not 32 lowercase hex characters, before any database call."""
    for name, value in (request.view_args or {}).items():
        make = ID_ERRORS.get(name)
        if make is not None and not (isinstance(value, str) and ID_FORMAT.fullmatch(value)):
            raise make(value)


def _not_limited() -> bool:
    """Pages, health and debug are never limited; nor is a limit of 0, nor loopback (unless
    GM_RATE_LIMIT_LOOPBACK): local tools, benchmarks and a same-host reverse proxy without
    GM_PROXY_FIX all arrive from loopback, and limiting that one address throttles everyone."""
    if not request.path.startswith("/api/") or _rate_bucket()[1] <= 0:
        return True
    return request.remote_addr in LOOPBACK and not service().settings.rate_limit_loopback


def _rate_limited(limit: RequestLimit) -> Response:
    """The contract's 429, with Retry-After until the client's window resets."""
    retry_after = max(1, limit.reset_at - int(time.time()))
    return error_response(
        RateLimited("Too many requests; slow down a little.", retry_after=retry_after)
    )


def init_rate_limits(app: Flask) -> Limiter:
    """Flask-Limiter on this app: per client, fixed one-minute windows per bucket (turns, new
    games, other API calls), counted in Redis when REDIS_URL is set (shared by every worker
    and host), in memory otherwise. A Redis outage lets requests through (logged)."""
    redis_url = app.extensions["game_master"].settings.redis_url
    # Short socket timeouts: a Redis that hangs must not hold every request (seconds).
    redis_options: dict[str, Any] = {"socket_timeout": 0.5, "socket_connect_timeout": 0.5}
    limiter = Limiter(
        key_func=lambda: request.remote_addr or "unknown",
        app=app,
        storage_uri=redis_url or "memory://",
        storage_options=redis_options if redis_url else {},
        strategy="fixed-window",
        key_prefix="gm",
        swallow_errors=True,  # availability over limiting when Redis is down
        headers_enabled=False,
        on_breach=_rate_limited,
    )
    limiter.shared_limit(
        lambda: f"{max(1, _rate_bucket()[1])} per minute",
        scope=lambda endpoint: _rate_bucket()[0],
        exempt_when=_not_limited,
    )(bp)
    return limiter


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


def page(game_id: str | None = None) -> str:
    """The page (start screen and game screen) with the data blocks its script reads; with
    ``game_id`` it opens on that game."""
    return render_template(
        "index.html",
        game_id=game_id,
        offline=service().offline,
        tools=page_catalog(),
        creation=rules.creation_rules(),
        refusals=rules.player_words(),
        default_scenario=rules.DEFAULT_SCENARIO,
    )


@bp.get("/")
def index() -> str:
    """The start page."""
    return page()


@bp.get("/games/<game_id>")
def game_page(game_id: str) -> str | tuple[str, int]:
    """The page of one game, opening where it stands (a reload returns to it); another
    browser's game is a 404 page that shows none of it."""
    try:
        service().owned_game(game_id, owner())
    except GameNotFound:
        return render_template("not_your_game.html", offline=service().offline), 404
    return page(game_id)


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness: process up, store reachable, CLI present, pool figures."""
    health = service().health()
    resp = jsonify(health)
    resp.status_code = 200 if health["store"]["ok"] else 503
    return resp


@bp.get("/api/openapi.json")
def openapi_document() -> Response:
    """This API as an OpenAPI 3.1 document."""
    return jsonify(openapi.document())


# ---------------------------------------------------------------------- games


@bp.get("/api/scenarios")
def list_scenarios() -> Response:
    """The adventures on offer, for the scenario picker."""
    return jsonify(service().scenario_list())


@bp.post("/api/games")
def create_game() -> tuple[Response, int]:
    """Start a new game."""
    payload = json_body() if request.content_length else None
    svc = service()
    game = svc.create_game(payload, owner=owner(create=True) if from_browser() else None)
    return jsonify(svc.game_view(game)), 201


@bp.get("/api/games")
def list_games() -> Response:
    """This browser's games (its signed cookie), the most recently played first;
    ``?archived=true``: its archived games, the most recently archived first."""
    flag = request.args.get("archived", "false")
    if flag not in ("true", "false"):
        raise InvalidInput("archived must be true or false")
    return jsonify(service().saved_games(owner(), archived=flag == "true"))


@bp.post("/api/games/<game_id>/archive")
def archive_game(game_id: str) -> tuple[str, int]:
    """Hide a game from this browser's list; nothing is deleted."""
    service().archive_game(game_id, owner())
    return "", 204


@bp.post("/api/games/<game_id>/unarchive")
def unarchive_game(game_id: str) -> tuple[str, int]:
    """Put an archived game back on this browser's list."""
    service().restore_game(game_id, owner())
    return "", 204


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
    parent = parent_span()
    handle = service().start_turn(
        game_id, payload.get("message"), parent=parent, owner=owner(), check_owner=True
    )
    return answer_turn(handle)


@bp.post("/api/games/<game_id>/turns/<turn_id>/retry")
def retry_turn(game_id: str, turn_id: str) -> Response:
    """Tell the latest turn again on a fork of the story taken before it (a new alternative)."""
    parent = parent_span()
    svc = service()
    handle = svc.retry_turn(game_id, turn_id, parent=parent, owner=owner())
    return answer_turn(handle, lambda done: svc.alternative_of(game_id, done))


def parent_span() -> str | None:
    """The request's ``x-bt-parent-span``; spans.turn_span ignores (and logs) a malformed one,
    so a client's broken header never breaks the player's turn."""
    return request.headers.get("x-bt-parent-span") or None


def answer_turn(handle: TurnHandle, alternative: Any = None) -> Response:
    """A running turn as SSE when the client accepts it, else as one JSON answer."""
    if request.accept_mimetypes.best_match(["application/json", "text/event-stream"]) == (
        "text/event-stream"
    ):
        return Response(
            stream_events(handle.next_event, service().settings.sse_heartbeat_s),
            mimetype="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    return turn_json(handle.events(), alternative)


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


def turn_json(events: Iterator[GameEvent], alternative: Any = None) -> Response:
    """Collect a whole turn into the contract's JSON answer (events.turn_answer; a retold
    turn says which alternative it is: ``alternative(turn_id)``)."""
    answer, end = turn_answer(events)
    if isinstance(end, TurnCompleted):
        if alternative is not None:
            answer["alternative"] = alternative(end.turn_id)
        return jsonify(answer)
    if isinstance(end, TurnError):
        resp = jsonify({"error": answer["error"], "turn_id": answer["turn_id"]})
        resp.status_code = 504 if end.code == "turn_timeout" else 503
        if end.retry_after:
            resp.headers["Retry-After"] = retry_after(end.retry_after)
        return resp
    raise GameMasterError("the turn ended without a result")


@bp.post("/api/games/<game_id>/turns/<turn_id>/choose")
def choose_alternative(game_id: str, turn_id: str) -> Response:
    """Make that telling of a turn the current one."""
    return jsonify(service().choose(game_id, turn_id, owner()))


@bp.get("/api/games/<game_id>/turns")
def list_turns(game_id: str) -> Response:
    """Page back through the active line, newest first (``?before=N&limit=L``)."""
    args = request.args
    return jsonify(service().turns_page(game_id, args.get("before"), args.get("limit"), owner()))


@bp.post("/api/games/<game_id>/rewind")
def rewind(game_id: str) -> Response:
    """Go back to just after turn ``to_turn``; later turns stay as an inactive line."""
    return jsonify(service().rewind(game_id, json_body(), owner()))


@bp.get("/api/games/<game_id>/branches")
def branches(game_id: str) -> Response:
    """The game's lines of play."""
    return jsonify(service().branches(game_id, owner()))


@bp.post("/api/games/<game_id>/branches/<branch_id>/activate")
def activate_branch(game_id: str, branch_id: str) -> Response:
    """Switch to another line of play."""
    return jsonify(service().activate_branch(game_id, branch_id, owner()))


@bp.post("/api/games/<game_id>/turns/<turn_id>/feedback")
def feedback(game_id: str, turn_id: str) -> tuple[str, int]:
    """Store the player's rating of a turn and send it to Braintrust when tracing is on."""
    score, comment = validate_feedback(json_body())
    svc = service()
    svc.owned_game(game_id, owner())
    turn = svc.store.get_turn(game_id, turn_id)
    svc.store.add_feedback(turn.id, score, comment)
    if turn.span_id:
        spans.log_feedback(turn.span_id, score, comment)
    return "", 204


# ---------------------------------------------------------------------- debug


RELAY_HEADERS = (
    "X-Forwarded-For",
    "Forwarded",
    "X-Real-IP",
    "X-Forwarded-Host",
    "X-Forwarded-Proto",
    "X-Forwarded-Port",
    "X-Client-IP",
    "True-Client-IP",
    "CF-Connecting-IP",
    "Via",
)


def debug_allowed() -> bool:
    """Loopback callers, or a caller presenting GM_DEBUG_TOKEN as a bearer token."""
    token = service().settings.debug_token
    auth = request.headers.get("Authorization", "")
    if token and auth.startswith("Bearer ") and hmac.compare_digest(auth[7:], token):
        return True
    # A request relayed by a reverse proxy on this host arrives from loopback too; only a
    # direct connection counts as local, and any relaying header says it is not one (many
    # nginx set-ups send only X-Real-IP).
    if any(name in request.headers for name in RELAY_HEADERS):
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


@bp.app_errorhandler(RateLimitExceeded)
def handle_rate_limited(exc: RateLimitExceeded) -> Response:
    """Flask-Limiter's 429 → the contract JSON built when the limit was breached."""
    if isinstance(exc.response, Response):
        return exc.response
    return error_response(RateLimited("Too many requests; slow down a little.", retry_after=60))


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
