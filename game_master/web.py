"""HTTP views: parse, validate, call the GameService, stream events. No game rules here."""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Iterator
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    render_template,
    request,
    session,
)

import tracing

from . import openapi, rules
from .errors import (
    Forbidden,
    GameMasterError,
    GameNotFound,
    InvalidInput,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from .events import GameEvent, TurnCompleted, TurnError, turn_answer
from .http_policy import ID_FORMAT, debug_allowed, retry_after
from .party import Caller
from .runtime import TurnHandle
from .service import GameService
from .tools import page_catalog

log = logging.getLogger(__name__)
bp = Blueprint("game_master", __name__)


def service() -> GameService:
    """This app's GameService."""
    return current_app.extensions["game_master"]


def has_body() -> bool:
    """True when the request sends a body (a Content-Length above 0, or chunks)."""
    chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    return bool(request.content_length) or chunked


def json_body() -> Any:
    """The request's JSON body; 415 when it is not JSON, 400 when it does not parse, 413
    when it is larger than MAX_CONTENT_LENGTH (announced, or found while reading chunks)."""
    if not request.is_json:
        raise UnsupportedMediaType("Send the body as JSON (Content-Type: application/json).")
    raw = request.get_data(cache=True)
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if request.content_length is None and len(raw) >= limit:
        # Werkzeug stops a chunked body at the limit without saying so.
        raise PayloadTooLarge(f"The body is larger than {limit // 1024} KiB.")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: arrays nested thousands deep
        data = None
    if data is None:
        raise InvalidInput("The body is not valid JSON.")
    return data


def sse(event: str, data: Any) -> str:
    """One SSE frame. JSON escapes every newline, so player text cannot break the framing."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=True)}\n\n"


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


def bearer() -> str | None:
    """The request's bearer credential, if any."""
    auth = request.headers.get("Authorization", "")
    return auth.removeprefix("Bearer ").strip() or None if auth.startswith("Bearer ") else None


def caller(game_id: str) -> Caller:
    """Who asks about ``game_id``: the browser's owner id and the credential it presents."""
    seats = session.get("seats")
    cookie = seats.get(game_id) if isinstance(seats, dict) else None
    return Caller(
        owner=owner(), credential=bearer() or (cookie if isinstance(cookie, str) else None)
    )


# A cookie holds about 4 KB: the credentials of this many joined games at most. Past it one
# is dropped (the session serializer keeps no order); that seat stays, and the game stays
# on the browser's list, but acting there needs joining again.
COOKIE_SEATS = 20


def remember_seat(game_id: str, credential: str) -> None:
    """Keep a browser's credential for a game it joined in its signed cookie."""
    seats = session.get("seats")
    seats = dict(seats) if isinstance(seats, dict) else {}
    seats.pop(game_id, None)
    seats[game_id] = credential
    while len(seats) > COOKIE_SEATS:
        seats.pop(next(iter(seats)))
    session["seats"] = seats
    session.permanent = True


# ---------------------------------------------------------------------- pages


def page(game_id: str | None = None, invite: dict[str, str] | None = None) -> str:
    """The page (start screen and game screen) with the data blocks its script reads; with
    ``game_id`` it opens on that game, with ``invite`` ({token, role}) on joining with it."""
    return render_template(
        "index.html",
        game_id=game_id,
        invite=invite,
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
        if not ID_FORMAT.fullmatch(game_id):
            raise GameNotFound(f"No game {game_id!r}.")
        service().owned_game(game_id, owner(), read=True)
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
    payload = json_body() if has_body() else None
    svc = service()
    browser = owner(create=True) if from_browser() else None
    game = svc.create_game(payload, owner=browser)
    # The creator is the host: an API client keeps the credential; a browser is known as
    # the game's owner by its cookie already, so the cookie does not grow with every game.
    credential = svc.party.seat_host(game, browser)
    return jsonify({**svc.views.game(game), "credential": credential}), 201


@bp.get("/api/games")
def list_games() -> Response:
    """This browser's games (its signed cookie), the most recently played first;
    ``?archived=true``: its archived games, the most recently archived first."""
    flag = request.args.get("archived", "false")
    if flag not in ("true", "false"):
        raise InvalidInput("archived must be true or false")
    return jsonify(service().saved.saved_games(owner(), archived=flag == "true"))


@bp.post("/api/games/<game_id>/archive")
def archive_game(game_id: str) -> tuple[str, int]:
    """Hide a game from this browser's list; nothing is deleted."""
    service().saved.archive_game(game_id, owner())
    return "", 204


@bp.post("/api/games/<game_id>/unarchive")
def unarchive_game(game_id: str) -> tuple[str, int]:
    """Put an archived game back on this browser's list."""
    service().saved.restore_game(game_id, owner())
    return "", 204


@bp.get("/api/games/<game_id>")
def get_game(game_id: str) -> Response:
    """A game with its state and turns."""
    svc = service()
    return jsonify(svc.views.game(svc.party.readable_game(game_id, caller(game_id))))


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
    svc.party.require_host_of_party(game_id, caller(game_id))
    handle = svc.lines.retry_turn(game_id, turn_id, parent=parent, owner=owner())
    svc.party.line_changed(game_id, "retry", handle.turn.id)
    return answer_turn(handle, lambda done: svc.lines.alternative_of(game_id, done))


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
    loop and is stored either way. The stream opens at once with a comment: the message is
    stored and the game's lease taken, so the client knows its turn was accepted before a
    CLI is connected or resumed.
    """
    yield ": accepted\n\n"
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
    svc = service()
    svc.party.require_host_of_party(game_id, caller(game_id))
    answer = svc.lines.choose(game_id, turn_id, owner())
    svc.party.line_changed(game_id, "choose", turn_id)
    return jsonify(answer)


@bp.get("/api/games/<game_id>/turns")
def list_turns(game_id: str) -> Response:
    """Page back through the active line, newest first (``?before=N&limit=L``)."""
    args = request.args
    return jsonify(
        service().lines.turns_page(game_id, args.get("before"), args.get("limit"), owner())
    )


@bp.post("/api/games/<game_id>/rewind")
def rewind(game_id: str) -> Response:
    """Go back to just after turn ``to_turn``; later turns stay as an inactive line."""
    svc = service()
    svc.party.require_host_of_party(game_id, caller(game_id))
    answer = svc.lines.rewind(game_id, json_body(), owner())
    svc.party.line_changed(game_id, "rewind")
    return jsonify(answer)


@bp.get("/api/games/<game_id>/branches")
def branches(game_id: str) -> Response:
    """The game's lines of play."""
    return jsonify(service().lines.branches(game_id, owner()))


@bp.post("/api/games/<game_id>/branches/<branch_id>/activate")
def activate_branch(game_id: str, branch_id: str) -> Response:
    """Switch to another line of play."""
    svc = service()
    svc.party.require_host_of_party(game_id, caller(game_id))
    answer = svc.lines.activate_branch(game_id, branch_id, owner())
    svc.party.line_changed(game_id, "branch")
    return jsonify(answer)


@bp.post("/api/games/<game_id>/turns/<turn_id>/feedback")
def feedback(game_id: str, turn_id: str) -> tuple[str, int]:
    """Store the player's rating of a turn and send it to Braintrust when tracing is on."""
    service().rate_turn(game_id, turn_id, json_body(), owner())
    return "", 204


# ---------------------------------------------------------------------- debug


@bp.get("/debug/tracing")
def debug_tracing() -> Response:
    """Tracing status; ``?flush=true`` flushes first."""
    if not debug_allowed():
        raise Forbidden(
            "Debug endpoints answer only with GM_DEBUG_TOKEN (and, in development, on loopback)."
        )
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
