"""HTTP policy: what every request must pass before a view runs, and errors as JSON.

Header size, cross-site writes, the form of URL ids, rate limits (Flask-Limiter), the debug
guard and security headers; every error becomes the contract's ``{"error": {"code",
"message"}}`` with its status, never an HTML page. Views (web.py) only parse and call the
service.
"""

from __future__ import annotations

import hmac
import logging
import math
import re
import time
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from flask_limiter import Limiter, RateLimitExceeded, RequestLimit
from werkzeug.exceptions import HTTPException

from .errors import (
    Forbidden,
    GameMasterError,
    GameNotFound,
    HeadersTooLarge,
    InvalidInput,
    PayloadTooLarge,
    RateLimited,
    TurnNotFound,
)
from .settings import Settings
from .store import BranchNotFound

log = logging.getLogger(__name__)

LOOPBACK = {"127.0.0.1", "::1", "localhost"}
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def settings() -> Settings:
    """This app's settings."""
    return current_app.extensions["game_master"].settings


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


def limit_headers() -> None:
    """431 in the contract's JSON for headers past MAX_HEADER_BYTES, before any other work."""
    size = sum(len(name) + len(value) + 4 for name, value in request.headers.items())
    if size > current_app.config["MAX_HEADER_BYTES"]:
        limit = current_app.config["MAX_HEADER_BYTES"] // 1024
        raise HeadersTooLarge(f"The request's headers are larger than {limit} KiB.")


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

# Requests that play a turn (and so start the model) count against the turn limit; a party
# round's resolve does too (an action resolves a round only when every seat has acted).
TURN_ENDPOINTS = ("game_master.play_turn", "game_master.retry_turn", "game_master.resolve_round")


def _rate_bucket() -> tuple[str, int]:
    """Which limit a request counts against, and that limit per minute (0 = off)."""
    config = settings()
    if request.method == "POST" and request.endpoint in TURN_ENDPOINTS:
        return "turn", config.rate_turns_per_min
    if request.method == "POST" and request.endpoint == "game_master.create_game":
        return "create", config.rate_games_per_min
    return "api", config.rate_api_per_min


# Every id in a URL is a uuid4 hex; anything else cannot name a row, so it is refused before
# the database sees it (a NUL byte, say, is a driver error on PostgreSQL, not a 404).
ID_FORMAT = re.compile(r"[0-9a-f]{32}")
ID_ERRORS: dict[str, Any] = {
    "game_id": lambda v: GameNotFound(f"No game {v!r}."),
    "turn_id": lambda v: TurnNotFound(f"No turn {v!r} in this game."),
    "branch_id": lambda v: BranchNotFound(f"No line of play {v!r} in this game."),
}


def check_ids() -> None:
    """404 for a URL id that is not 32 lowercase hex characters, before any database call.
    API routes only: a page (``/games/<id>``) answers its own HTML 404."""
    if not request.path.startswith("/api/"):
        return
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
    return request.remote_addr in LOOPBACK and not settings().rate_limit_loopback


def _rate_limited(limit: RequestLimit) -> Response:
    """The contract's 429, with Retry-After until the client's window resets."""
    retry_after = max(1, limit.reset_at - int(time.time()))
    return error_response(
        RateLimited("Too many requests; slow down a little.", retry_after=retry_after)
    )


def init_rate_limits(app: Flask, bp: Blueprint) -> Limiter:
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


def security_headers(resp: Response) -> Response:
    """Strict CSP and friends on every answer."""
    for name, value in SECURITY_HEADERS.items():
        resp.headers.setdefault(name, value)
    return resp


# Headers a relaying proxy adds. In development a request that carries any of them is not a
# direct local one; in production the list does not matter, since only the token opens.
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
    """A caller presenting GM_DEBUG_TOKEN as a bearer token; in development, also a direct
    loopback caller. A deny-list of relay headers can never be complete (a relay may send
    only X-Cluster-Client-IP, Fastly-Client-IP…), so production never trusts the address."""
    config = settings()
    token = config.debug_token
    auth = request.headers.get("Authorization", "")
    # Bytes: compare_digest refuses str with non-ASCII characters (a 500 for a stray "é").
    given = auth.removeprefix("Bearer ").encode("utf-8", "surrogateescape")
    if token and auth.startswith("Bearer ") and hmac.compare_digest(given, token.encode()):
        return True
    if config.production:
        return False
    if any(name in request.headers for name in RELAY_HEADERS):
        return False
    return request.remote_addr in LOOPBACK


# ---------------------------------------------------------------------- errors


def handle_game_error(exc: GameMasterError) -> Response:
    """Our errors → contract JSON."""
    return error_response(exc)


def handle_rate_limited(exc: RateLimitExceeded) -> Response:
    """Flask-Limiter's 429 → the contract JSON built when the limit was breached."""
    if isinstance(exc.response, Response):
        return exc.response
    return error_response(RateLimited("Too many requests; slow down a little.", retry_after=60))


def handle_http_error(exc: HTTPException) -> Response:
    """Werkzeug's errors (404, 405, 413, …) → contract JSON, never HTML."""
    if exc.code == 413:
        limit = current_app.config["MAX_CONTENT_LENGTH"] // 1024
        return error_response(PayloadTooLarge(f"The body is larger than {limit} KiB."))
    code = (exc.name or "error").lower().replace(" ", "_")
    resp = jsonify({"error": {"code": code, "message": exc.description or exc.name}})
    resp.status_code = exc.code or 500
    return resp


def handle_unexpected(exc: Exception) -> Response:
    """Anything else → a JSON 500 without a traceback; the traceback goes to the log."""
    log.exception("unhandled error on %s %s", request.method, request.path)
    resp = jsonify({"error": {"code": "internal_error", "message": "Something went wrong."}})
    resp.status_code = 500
    return resp


def init_http_policy(app: Flask, bp: Blueprint) -> Limiter:
    """Install the limits, checks, headers and error handlers on ``app`` (views in ``bp``).

    Rate limits count first (a flood of malformed requests is still a flood); then the
    header size, cross-site and id checks, in that order.
    """
    limiter = init_rate_limits(app, bp)
    for check in (limit_headers, guard_api, check_ids):
        app.before_request(check)
    app.after_request(security_headers)
    app.register_error_handler(GameMasterError, handle_game_error)
    app.register_error_handler(RateLimitExceeded, handle_rate_limited)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)
    return limiter
