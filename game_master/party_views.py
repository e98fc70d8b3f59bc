"""HTTP views of party play: parse, call ``service().party``, answer. No rules here.

A caller is known by its credential: ``Authorization: Bearer <credential>`` for API clients,
or the signed session cookie in a browser, which keeps one credential per game it sits at
(``seats``: game id → credential), so each is good for that game only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from flask import Response, jsonify, render_template, request, session

from .errors import InviteNotFound, RoundClosed
from .store import TableEvent
from .web import (
    bp,
    caller,
    from_browser,
    has_body,
    json_body,
    owner,
    page,
    parent_span,
    remember_seat,
    service,
    sse,
)

# An invite token is secrets.token_urlsafe(16): 22 URL-safe characters. Anything else cannot
# name an invite, so it is a 404 before the database sees it.
TOKEN_FORMAT = re.compile(r"[A-Za-z0-9_-]{16,64}")


def forget_seat(game_id: str) -> None:
    """Drop this game's credential from the browser's cookie."""
    seats = session.get("seats")
    if isinstance(seats, dict) and game_id in seats:
        session["seats"] = {k: v for k, v in seats.items() if k != game_id}


def check_token(token: str) -> str:
    """The token if it has an invite's form; InviteNotFound otherwise."""
    if not TOKEN_FORMAT.fullmatch(token):
        raise InviteNotFound("No such invite (it may have been revoked or have expired).")
    return token


@bp.get("/join/<token>")
def join_page(token: str) -> str | tuple[str, int]:
    """The page, which joins with the invite in its address (the page's script does): it
    opens on what the invite asks for (a character for a player, a name for a spectator). A
    revoked or expired invite is a 404 page saying so."""
    try:
        role = service().party.invite_role(check_token(token))
    except InviteNotFound:
        return render_template("invite_gone.html", offline=service().offline), 404
    return page(invite={"token": token, "role": role})


@bp.post("/api/games/<game_id>/invites")
def create_invite(game_id: str) -> tuple[Response, int]:
    """Host only: an invite link for a player or a spectator."""
    invite = service().party.create_invite(game_id, caller(game_id), json_body())
    invite["url"] = f"{request.host_url.rstrip('/')}/join/{invite['token']}"
    return jsonify(invite), 201


@bp.delete("/api/games/<game_id>/invites/<token>")
def revoke_invite(game_id: str, token: str) -> tuple[str, int]:
    """Host only: revoke an invite; joining with it is then 404."""
    service().party.revoke_invite(game_id, caller(game_id), check_token(token))
    return "", 204


@bp.post("/api/invites/<token>/join")
def join(token: str) -> tuple[Response, int]:
    """Take a seat with an invite; a browser keeps the credential in its signed cookie."""
    payload = json_body() if has_body() else None
    browser = owner(create=True) if from_browser() else None
    joined = service().party.join(check_token(token), payload, browser)
    if browser is not None:
        remember_seat(joined.seat.game_id, joined.credential)
    return jsonify(joined.to_dict()), 201


@bp.post("/api/games/<game_id>/leave")
def leave(game_id: str) -> tuple[str, int]:
    """Leave the game: the seat frees (the game leaves this browser's list)."""
    service().party.leave(game_id, caller(game_id))
    forget_seat(game_id)
    return "", 204


@bp.get("/api/games/<game_id>/party")
def party(game_id: str) -> Response:
    """The table: host, seats with presence and typing, the open round."""
    return jsonify(service().party.party(game_id, caller(game_id)))


@bp.post("/api/games/<game_id>/actions")
def act(game_id: str) -> tuple[Response, int]:
    """The caller's action for the open round (stored before this 202)."""
    payload = json_body()
    message = payload.get("message") if isinstance(payload, dict) else None
    answer = service().party.act(game_id, caller(game_id), message, parent=parent_span())
    return jsonify(answer), 202


@bp.post("/api/games/<game_id>/rounds/<number>/resolve")
def resolve_round(game_id: str, number: str) -> tuple[Response, int]:
    """Host only: resolve the round now; who has not acted passes."""
    if not number.isdigit() or len(number) > 9:
        raise RoundClosed(f"There is no round {number!r} to resolve.")
    service().party.resolve(game_id, caller(game_id), int(number), parent_span())
    return jsonify({"round": int(number)}), 202


@bp.post("/api/games/<game_id>/typing")
def typing(game_id: str) -> tuple[str, int]:
    """The caller is typing (``{"typing": true}``) or stopped (``false``)."""
    service().party.typing(game_id, caller(game_id), json_body() if has_body() else None)
    return "", 204


@bp.get("/api/games/<game_id>/events")
def table_events(game_id: str) -> Response:
    """The table's SSE stream; ``Last-Event-ID`` (header or ``?last_event_id=``) replays."""
    last = request.headers.get("Last-Event-ID", request.args.get("last_event_id"))
    events = service().party.follow(game_id, caller(game_id), last)
    next(events)  # the seat check runs now, so a stranger gets a 404, not a stream
    return Response(
        table_frames(events),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def table_frames(events: Iterator[TableEvent | None]) -> Iterator[str]:
    """SSE frames with ids; a heartbeat comment for each quiet tick."""
    try:
        yield ": table\n\n"
        for event in events:
            yield frame(event)
    finally:
        events.close()  # type: ignore[attr-defined]


def frame(event: TableEvent | None) -> str:
    """One SSE frame (``id:`` set), or a heartbeat comment."""
    if event is None:
        return ": heartbeat\n\n"
    return f"id: {event.id}\n{sse(event.kind, event.data)}"
