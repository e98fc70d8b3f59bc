"""The HTTP contract as an OpenAPI 3.1 document, served at ``GET /api/openapi.json``.

Built as plain Python data from shared component schemas (:mod:`.schemas`: Error, Game,
Turn, TurnResult, Branch...). tests/contract validates it, checks the API's answers against
it and lets Schemathesis loose on a live server with it, so it stays true to web.py.
"""

from __future__ import annotations

from typing import Any

from .party import PARTY_SCHEMAS, party_paths
from .schemas import (
    ID_PATTERN,
    INTEGER,
    OBJECT,
    SCHEMAS,
    SSE_DESCRIPTION,
    SSE_EVENTS,
    STRING,
    Schema,
    ref,
)

ERRORS: dict[int, str] = {
    400: "Malformed input or a value out of range.",
    403: (
        "Cross-site request (or the debug endpoint without its token), or a seat of a party "
        "game that may not do this (`not_your_seat`: a spectator acting, a non-host resolving, "
        "inviting, retrying or rewinding)."
    ),
    404: "No such game, turn or line of play (or not this browser's game).",
    405: "Method not allowed here.",
    409: (
        "Not possible now: a turn of this game is running, or not the latest turn, or the "
        "game's scenario is no longer available (`scenario_unavailable`); party play: every "
        "seat is taken (`seats_full`), the round is not open (`round_closed`), or the game is "
        "played in rounds (`party_game`)."
    ),
    413: "The body is larger than 64 KiB (or the message longer than the server keeps).",
    415: "The body is not JSON.",
    431: "The request's headers are larger than 16 KiB (or one header than 8 KiB).",
    429: "Too many requests from this client; see Retry-After.",
    503: "The model or the store cannot serve this now; see Retry-After.",
    504: "The turn ran past its deadline.",
}

RETRY_AFTER = {"Retry-After": {"schema": INTEGER, "description": "seconds to wait"}}


def error_responses(*codes: int) -> dict[str, Any]:
    """The listed error statuses, each as the contract's Error JSON."""
    return {str(c): {"$ref": f"#/components/responses/E{c}"} for c in codes}


def json_content(schema: Schema) -> dict[str, Any]:
    """A JSON body of ``schema``."""
    return {"application/json": {"schema": schema}}


def ok(description: str, schema: Schema, status: int = 200) -> dict[str, Any]:
    """A success response with a JSON body."""
    return {str(status): {"description": description, "content": json_content(schema)}}


def body(schema: Schema, required: bool = True) -> dict[str, Any]:
    """A JSON request body."""
    return {"required": required, "content": json_content(schema)}


def param(name: str) -> dict[str, Any]:
    """A path parameter holding one of the API's ids."""
    return {"$ref": f"#/components/parameters/{name}"}


# Every /api request may be refused as cross-site (writes), limited, or find the store busy.
API_WRITE = (400, 403, 404, 405, 413, 415, 429, 431, 503)
API_READ = (400, 404, 405, 429, 431, 503)


def turn_answer(description: str) -> dict[str, Any]:
    """The answer to a request that plays a turn: JSON, or SSE when the client asks."""
    return {
        "200": {
            "description": description,
            "content": {
                "application/json": {"schema": ref("TurnResult")},
                "text/event-stream": {
                    "schema": {**STRING, "description": SSE_DESCRIPTION},
                    "x-sse-events": SSE_EVENTS,
                },
            },
        },
        **error_responses(*API_WRITE, 409),
        "503": {
            "description": ERRORS[503],
            "headers": RETRY_AFTER,
            "content": json_content(ref("TurnFailure")),
        },
        "504": {"description": ERRORS[504], "content": json_content(ref("TurnFailure"))},
    }


PARENT_SPAN = {
    "name": "x-bt-parent-span",
    "in": "header",
    "required": False,
    "schema": STRING,
    "description": "An exported Braintrust span: the turn's span becomes its child.",
}

GAME = "/api/games/{game_id}"
TURN = GAME + "/turns/{turn_id}"

PATHS: dict[str, Any] = {
    "/healthz": {
        "get": {
            "operationId": "health",
            "summary": "Liveness: process up, store reachable",
            "responses": {
                **ok("Healthy (or degraded but up).", ref("Health")),
                "503": {
                    "description": "The store is unreachable.",
                    "content": json_content(ref("Health")),
                },
                **error_responses(405),
            },
        }
    },
    "/debug/tracing": {
        "get": {
            "operationId": "tracingStatus",
            "summary": "Tracing status; answers loopback callers or the debug token",
            "parameters": [
                {
                    "name": "flush",
                    "in": "query",
                    "required": False,
                    "schema": STRING,
                    "description": "`true` flushes the Braintrust queue first",
                }
            ],
            "security": [{}, {"debugToken": []}],
            "responses": {
                **ok("Tracing status.", ref("TracingStatus")),
                **error_responses(403, 405),
            },
        }
    },
    "/api/openapi.json": {
        "get": {
            "operationId": "openapi",
            "summary": "This document",
            "responses": {**ok("OpenAPI 3.1.", OBJECT), **error_responses(405, 429)},
        }
    },
    "/api/scenarios": {
        "get": {
            "operationId": "listScenarios",
            "summary": "The adventures on offer (bundled and from GM_SCENARIO_DIR), by id",
            "responses": {
                **ok("What a scenario picker shows.", {"type": "array", "items": ref("Scenario")}),
                **error_responses(405, 429, 503),
            },
        }
    },
    "/games/{game_id}": {
        "parameters": [param("game_id")],
        "get": {
            "operationId": "gamePage",
            "summary": "The page of one game, where it stands (a reload returns to it)",
            "responses": {
                "200": {"description": "The page.", "content": {"text/html": {"schema": STRING}}},
                "404": {
                    "description": (
                        "Another browser's game (or none): a page saying it is not yours, "
                        "with none of its story; an id that is not 32 hex digits: Error JSON."
                    ),
                    "content": {"text/html": {"schema": STRING}, **json_content(ref("Error"))},
                },
                **error_responses(405),
            },
        },
    },
    "/api/games": {
        "get": {
            "operationId": "listGames",
            "summary": "This browser's games (its signed cookie), the most recently played first",
            "description": (
                "Archived games and games made by API clients (they have no owner) are not "
                "listed; without the cookie the list is empty. `?archived=true` lists the "
                "archived games instead, the most recently archived first."
            ),
            "parameters": [
                {
                    "name": "archived",
                    "in": "query",
                    "required": False,
                    "schema": {"enum": ["true", "false"]},
                    "description": "`true`: the archived games (to restore one)",
                }
            ],
            "responses": {
                **ok("Saved games.", {"type": "array", "items": ref("SavedGame")}),
                **error_responses(400, 405, 429, 503),
            },
        },
        "post": {
            "operationId": "createGame",
            "summary": "Start a new game (a browser's game belongs to its cookie)",
            "requestBody": body(ref("NewGame"), required=False),
            "responses": {
                **ok(
                    "The new game, with `credential`: its creator is the host (an API client "
                    "sends it as `Authorization: Bearer …`; a browser keeps it in its cookie).",
                    {"allOf": [ref("Game"), {"required": ["credential"]}]},
                    201,
                ),
                **error_responses(*API_WRITE),
            },
        },
    },
    GAME: {
        "parameters": [param("game_id")],
        "get": {
            "operationId": "getGame",
            "summary": "The game: state and the active line's turns",
            "responses": {**ok("The game.", ref("Game")), **error_responses(*API_READ, 409)},
        },
    },
    GAME + "/archive": {
        "parameters": [param("game_id")],
        "post": {
            "operationId": "archiveGame",
            "summary": "Hide a game from this browser's list; nothing is deleted (idempotent)",
            "responses": {
                "204": {"description": "Hidden; the game stays readable and playable by id."},
                **error_responses(*API_WRITE),
            },
        },
    },
    GAME + "/unarchive": {
        "parameters": [param("game_id")],
        "post": {
            "operationId": "unarchiveGame",
            "summary": "Put an archived game back on this browser's list (idempotent)",
            "responses": {
                "204": {"description": "Listed again."},
                **error_responses(*API_WRITE),
            },
        },
    },
    GAME + "/turns": {
        "parameters": [param("game_id")],
        "post": {
            "operationId": "playTurn",
            "summary": "Play a turn (SSE with `Accept: text/event-stream`, else JSON)",
            "parameters": [PARENT_SPAN],
            "requestBody": body(ref("TurnRequest")),
            "responses": turn_answer("The finished turn, or its stream."),
        },
        "get": {
            "operationId": "listTurns",
            "summary": "Page back through the active line, newest first",
            "parameters": [
                {
                    "name": "before",
                    "in": "query",
                    "schema": {**INTEGER, "minimum": 1, "maximum": 2**31 - 1},
                    "description": "turns numbered below this",
                },
                {
                    "name": "limit",
                    "in": "query",
                    "schema": {**INTEGER, "minimum": 1, "maximum": 200},
                },
            ],
            "responses": {**ok("A page of turns.", ref("TurnsPage")), **error_responses(*API_READ)},
        },
    },
    TURN + "/retry": {
        "parameters": [param("game_id"), param("turn_id")],
        "post": {
            "operationId": "retryTurn",
            "summary": "Tell the line's latest turn again (a new alternative)",
            "parameters": [PARENT_SPAN],
            "responses": turn_answer("The new telling (JSON has `alternative`), or its stream."),
        },
    },
    TURN + "/choose": {
        "parameters": [param("game_id"), param("turn_id")],
        "post": {
            "operationId": "chooseAlternative",
            "summary": "Make that telling of a turn the current one",
            "responses": {**ok("The game.", ref("Game")), **error_responses(*API_WRITE, 409)},
        },
    },
    TURN + "/feedback": {
        "parameters": [param("game_id"), param("turn_id")],
        "post": {
            "operationId": "rateTurn",
            "summary": "The player's rating of a turn (sent to Braintrust as feedback)",
            "requestBody": body(ref("Feedback")),
            "responses": {"204": {"description": "Stored."}, **error_responses(*API_WRITE)},
        },
    },
    GAME + "/rewind": {
        "parameters": [param("game_id")],
        "post": {
            "operationId": "rewind",
            "summary": "Go back to just after turn N; later turns stay as an inactive line",
            "requestBody": body(ref("Rewind")),
            "responses": {**ok("The game.", ref("Game")), **error_responses(*API_WRITE, 409)},
        },
    },
    GAME + "/branches": {
        "parameters": [param("game_id")],
        "get": {
            "operationId": "listBranches",
            "summary": "The game's lines of play, the active one marked",
            "responses": {
                **ok("Lines of play, newest first.", {"type": "array", "items": ref("Branch")}),
                **error_responses(*API_READ),
            },
        },
    },
    GAME + "/branches/{branch_id}/activate": {
        "parameters": [param("game_id"), param("branch_id")],
        "post": {
            "operationId": "activateBranch",
            "summary": "Switch to another line of play",
            "responses": {**ok("The game.", ref("Game")), **error_responses(*API_WRITE, 409)},
        },
    },
}

PATHS.update(party_paths(GAME, param, body, ok, error_responses, API_WRITE, API_READ, PARENT_SPAN))


def _id_parameter(name: str, what: str) -> dict[str, Any]:
    """A path parameter for an id (32 hex digits as issued; anything else is a 404)."""
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {**STRING, "pattern": ID_PATTERN},
        "description": what,
    }


def _error_response(status: int) -> dict[str, Any]:
    """The shared response for one error status."""
    response: dict[str, Any] = {
        "description": ERRORS[status],
        "content": json_content(ref("Error")),
    }
    if status in (429, 503):
        response["headers"] = RETRY_AFTER
    return response


def document() -> dict[str, Any]:
    """The whole OpenAPI 3.1 document (a fresh copy: callers may change it)."""
    import copy

    return copy.deepcopy(
        {
            "openapi": "3.1.0",
            "info": {
                "title": "Game Master",
                "version": "1",
                "description": (
                    "A role-playing game run by an AI game master. Every error is "
                    '`{"error": {"code", "message"}}` JSON, never HTML.'
                ),
            },
            "servers": [{"url": "/"}],
            "paths": PATHS,
            "components": {
                "schemas": {**SCHEMAS, **PARTY_SCHEMAS},
                "parameters": {
                    "game_id": _id_parameter("game_id", "a game's id"),
                    "turn_id": _id_parameter("turn_id", "a turn's id"),
                    "branch_id": _id_parameter("branch_id", "a line of play's id"),
                },
                "responses": {f"E{status}": _error_response(status) for status in ERRORS},
                "securitySchemes": {
                    "debugToken": {
                        "type": "http",
                        "scheme": "bearer",
                        "description": "GM_DEBUG_TOKEN, for /debug/* away from loopback",
                    }
                },
            },
        }
    )
