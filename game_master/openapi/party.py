"""Party play in the OpenAPI document: invites, joining, the table, actions, rounds, the
table's SSE stream (its events named by game_master/events.py)."""

from __future__ import annotations

from typing import Any

from ..events import (
    ACTION_SUBMITTED,
    LINE_CHANGED,
    PRESENCE,
    ROUND_OPENED,
    TABLE_EVENTS,
    TYPING,
)
from .schemas import (
    BOOLEAN,
    INTEGER,
    NUMBER,
    SSE_EVENTS,
    STRING,
    Schema,
    nullable,
    obj,
    ref,
)

ROLE = {"enum": ["host", "player", "spectator"]}
IDS = {"type": "array", "items": STRING}
WITH_TURN = {"turn_id": STRING}

PARTY_SCHEMAS: dict[str, Schema] = {
    "InviteRequest": obj(["role"], {"role": {"enum": ["player", "spectator"]}}),
    "Invite": obj(
        ["token", "url", "role", "expires_at"],
        {
            "token": {**STRING, "description": "128 bits, URL-safe"},
            "url": {**STRING, "description": "the page that joins with it"},
            "role": {"enum": ["player", "spectator"]},
            "expires_at": {**NUMBER, "description": "epoch seconds"},
        },
    ),
    "JoinRequest": obj(
        [],
        {
            "character": {
                **ref("NewGame"),
                "description": "a player's character, as in a new game",
            },
            "name": {**STRING, "description": "a spectator's name"},
        },
    ),
    "Joined": obj(
        ["game_id", "player", "credential"],
        {
            "game_id": STRING,
            "player": obj(["id", "name", "role"], {"id": STRING, "name": STRING, "role": ROLE}),
            "credential": {**STRING, "description": "send as `Authorization: Bearer …`"},
        },
    ),
    "Party": obj(
        ["host", "seats", "round"],
        {
            "game_id": STRING,
            "you": obj(["player_id", "role"], {"player_id": STRING, "role": ROLE}),
            "host": nullable(STRING),
            "max_players": INTEGER,
            "seats": {
                "type": "array",
                "items": obj(
                    ["player_id", "character_name", "role", "online", "typing"],
                    {
                        "player_id": STRING,
                        "character_name": STRING,
                        "role": ROLE,
                        "online": BOOLEAN,
                        "typing": BOOLEAN,
                    },
                ),
            },
            "round": nullable(
                obj(
                    ["number", "acted", "waiting_for", "deadline"],
                    {
                        "number": INTEGER,
                        "status": {"enum": ["open", "resolving", "failed"]},
                        "acted": IDS,
                        "waiting_for": IDS,
                        "deadline": {**NUMBER, "description": "epoch seconds"},
                    },
                )
            ),
        },
    ),
    "ActionRequest": obj(["message"], {"message": {**STRING, "maxLength": 2000}}),
    "ActionAccepted": obj(
        ["round", "waiting_for"],
        {
            "round": INTEGER,
            "waiting_for": {**IDS, "description": "`[]`: this action completed the round"},
        },
    ),
    "Typing": obj([], {"typing": BOOLEAN}),
}

# The data of each event of the table stream: the table's own, and a round's turn events
# (each with its turn_id).
TABLE_SSE_EVENTS: dict[str, Schema] = {
    ROUND_OPENED: obj(["round", "deadline"], {"round": INTEGER, "deadline": NUMBER}),
    ACTION_SUBMITTED: obj(["round", "player_id"], {"round": INTEGER, "player_id": STRING}),
    PRESENCE: obj(
        ["player_id"],
        {
            "player_id": STRING,
            "online": BOOLEAN,
            "joined": BOOLEAN,
            "left": BOOLEAN,
            "role": ROLE,
            "name": STRING,
        },
    ),
    TYPING: obj(["player_id", "typing"], {"player_id": STRING, "typing": BOOLEAN}),
    LINE_CHANGED: obj(["reason"], {"reason": STRING, "turn_id": STRING}),
    **{
        name: {"allOf": [schema, obj(["turn_id"], WITH_TURN)]}
        for name, schema in SSE_EVENTS.items()
    },
}

TABLE_DESCRIPTION = (
    "`id: <n>` / `event: <name>` / `data: <json>` frames. The table's own events: "
    + "; ".join(f"`{name}`: {text}" for name, text in TABLE_EVENTS.items())
    + ". Then each resolving round's turn events (`turn.started`, `text`, `tool`, `state`, "
    "`turn.completed` or `error`), each with its `turn_id`. Reconnect with `Last-Event-ID` "
    "to replay what was missed. Lines starting with `:` are heartbeats."
)


def party_paths(
    game: str,
    param: Any,
    body: Any,
    ok: Any,
    error_responses: Any,
    api_write: tuple[int, ...],
    api_read: tuple[int, ...],
    parent_span: dict[str, Any],
) -> dict[str, Any]:
    """The party routes, built with the document's own helpers."""
    return {
        "/join/{token}": {
            "parameters": [{"name": "token", "in": "path", "required": True, "schema": STRING}],
            "get": {
                "operationId": "joinPage",
                "summary": "The page that joins a party game with an invite",
                "responses": {
                    "200": {
                        "description": "The page, on the invite's form (a character for a "
                        "player, a name for a spectator).",
                        "content": {"text/html": {"schema": STRING}},
                    },
                    "404": {
                        "description": "A revoked, expired or unknown invite: a page saying "
                        "the invite is closed.",
                        "content": {"text/html": {"schema": STRING}},
                    },
                    **error_responses(405),
                },
            },
        },
        game + "/invites": {
            "parameters": [param("game_id")],
            "post": {
                "operationId": "createInvite",
                "summary": "Host only: an invite for a player or a spectator",
                "requestBody": body(ref("InviteRequest")),
                "responses": {
                    **ok("The invite.", ref("Invite"), 201),
                    **error_responses(*api_write),
                },
            },
        },
        game + "/invites/{token}": {
            "parameters": [
                param("game_id"),
                {"name": "token", "in": "path", "required": True, "schema": STRING},
            ],
            "delete": {
                "operationId": "revokeInvite",
                "summary": "Host only: revoke an invite; joining with it is then 404",
                "responses": {"204": {"description": "Revoked."}, **error_responses(*api_write)},
            },
        },
        "/api/invites/{token}/join": {
            "parameters": [{"name": "token", "in": "path", "required": True, "schema": STRING}],
            "post": {
                "operationId": "joinGame",
                "summary": "Take a seat (409 `seats_full`; unknown, revoked or expired: 404)",
                "requestBody": body(ref("JoinRequest"), required=False),
                "responses": {
                    **ok("The seat and its credential.", ref("Joined"), 201),
                    **error_responses(*api_write, 409),
                },
            },
        },
        game + "/leave": {
            "parameters": [param("game_id")],
            "post": {
                "operationId": "leaveGame",
                "summary": "Leave the game; the seat frees",
                "responses": {"204": {"description": "Left."}, **error_responses(*api_write)},
            },
        },
        game + "/party": {
            "parameters": [param("game_id")],
            "get": {
                "operationId": "getParty",
                "summary": "The table: host, seats, the open round",
                "responses": {**ok("The table.", ref("Party")), **error_responses(*api_read)},
            },
        },
        game + "/actions": {
            "parameters": [param("game_id")],
            "post": {
                "operationId": "act",
                "summary": "A seat's action for the open round (stored before the 202)",
                "parameters": [parent_span],
                "requestBody": body(ref("ActionRequest")),
                "responses": {
                    **ok("Stored.", ref("ActionAccepted"), 202),
                    **error_responses(*api_write, 409),
                },
            },
        },
        game + "/rounds/{number}/resolve": {
            "parameters": [
                param("game_id"),
                {"name": "number", "in": "path", "required": True, "schema": STRING},
            ],
            "post": {
                "operationId": "resolveRound",
                "summary": "Host only: resolve the round now; who has not acted passes",
                "parameters": [parent_span],
                "responses": {
                    **ok("Resolving.", obj(["round"], {"round": INTEGER}), 202),
                    **error_responses(*api_write, 409),
                },
            },
        },
        game + "/typing": {
            "parameters": [param("game_id")],
            "post": {
                "operationId": "typing",
                "summary": 'This seat is typing (`{"typing": true}`) or stopped (`false`)',
                "requestBody": body(ref("Typing"), required=False),
                "responses": {"204": {"description": "Told."}, **error_responses(*api_write)},
            },
        },
        game + "/events": {
            "parameters": [param("game_id")],
            "get": {
                "operationId": "tableEvents",
                "summary": "The table's SSE stream, for every seat and spectator",
                "parameters": [
                    {"name": "Last-Event-ID", "in": "header", "required": False, "schema": STRING},
                    {"name": "last_event_id", "in": "query", "required": False, "schema": STRING},
                ],
                "responses": {
                    "200": {
                        "description": "The stream.",
                        "content": {
                            "text/event-stream": {
                                "schema": {**STRING, "description": TABLE_DESCRIPTION},
                                "x-sse-events": TABLE_SSE_EVENTS,
                            }
                        },
                    },
                    **error_responses(*api_read),
                },
            },
        },
    }
