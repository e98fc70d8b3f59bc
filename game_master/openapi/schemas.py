"""Component schemas of the OpenAPI document: the JSON shapes the API answers and accepts."""

from __future__ import annotations

from typing import Any

from ..events import StateEvent, TextDelta, ToolEvent, TurnCompleted, TurnError, TurnStarted
from ..rules import (
    ABILITIES,
    CLASSES,
    CREATION_METHODS,
    MAX_BACKSTORY,
    POINT_BUY_BUDGET,
    POINT_BUY_COSTS,
    STANDARD_ARRAY,
)

Schema = dict[str, Any]

ID_PATTERN = "^[0-9a-f]{32}$"


def ref(name: str) -> Schema:
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    """``schema`` or JSON null (3.1 has no ``nullable``)."""
    return {"anyOf": [schema, {"type": "null"}]}


def obj(required: list[str], props: dict[str, Schema], **extra: Any) -> Schema:
    """An object with these properties; more may appear (the API may grow)."""
    return {"type": "object", "required": required, "properties": props, **extra}


STRING: Schema = {"type": "string"}
NUMBER: Schema = {"type": "number"}
INTEGER: Schema = {"type": "integer"}
BOOLEAN: Schema = {"type": "boolean"}
OBJECT: Schema = {"type": "object"}

NAMED = obj(["id", "name"], {"id": STRING, "name": STRING})

SCHEMAS: dict[str, Schema] = {
    "Error": obj(
        ["error"],
        {
            "error": obj(
                ["code", "message"],
                {
                    "code": {**STRING, "description": "stable, machine-readable"},
                    "message": {**STRING, "description": "for people"},
                    "rule": {
                        **STRING,
                        "description": "when the game's rules refused the input: the rule's "
                        "code (e.g. `point_buy_budget`, `standard_array`, `unknown_ability`)",
                    },
                },
            )
        },
        description="Every refusal and failure: branch on `code`, show `message`.",
    ),
    "TurnFailure": {
        "allOf": [ref("Error"), obj([], {"turn_id": nullable(STRING)})],
        "description": "A turn that failed after it started (JSON mode); the message is kept.",
    },
    "Character": obj(
        ["name", "class", "hp", "max_hp"],
        {
            "name": STRING,
            "class": STRING,
            "level": INTEGER,
            "hp": INTEGER,
            "max_hp": INTEGER,
            "abilities": {"type": "object", "additionalProperties": INTEGER},
            "modifiers": {"type": "object", "additionalProperties": INTEGER},
            "skills": {"type": "array", "items": STRING},
            "conditions": {"type": "array", "items": STRING},
            "hit_die": INTEGER,
            "hit_dice": INTEGER,
            "backstory": {**STRING, "description": "the player's one line (may be empty)"},
        },
    ),
    "Location": obj(
        ["location", "name", "description", "exits"],
        {
            "location": {**STRING, "description": "the location's id"},
            "name": STRING,
            "description": STRING,
            "exits": {"type": "object", "additionalProperties": STRING},
            "locked_exits": {"type": "array", "items": STRING},
            "items": {"type": "array", "items": NAMED},
            "npcs": {"type": "array", "items": NAMED},
        },
    ),
    "Item": obj(["id", "name"], {"id": STRING, "name": STRING, "description": STRING}),
    "State": obj(
        ["character", "location", "inventory"],
        {
            "character": ref("Character"),
            # Party play: the other seated characters' sheets (a solo game: []).
            "companions": {"type": "array", "items": ref("Character")},
            "location": ref("Location"),
            "inventory": {"type": "array", "items": ref("Item")},
            "outcome": nullable(STRING),
            "scenario": obj(["id", "title"], {"id": STRING, "title": STRING, "goal": STRING}),
        },
    ),
    "ToolCall": obj(
        ["name", "input"],
        {"name": STRING, "input": OBJECT, "result": {}, "is_error": BOOLEAN},
    ),
    "Turn": obj(
        ["id", "number", "player_message", "narration", "status"],
        {
            "id": STRING,
            "number": {**INTEGER, "minimum": 1},
            "parent_id": nullable(STRING),
            "player_message": STRING,
            "narration": nullable(STRING),
            "tool_calls": {"type": "array", "items": ref("ToolCall")},
            "usage": nullable(OBJECT),
            "status": {**STRING, "description": "running, completed or failed"},
            "error": nullable(obj(["code", "message"], {"code": STRING, "message": STRING})),
            "trace": nullable(OBJECT),
            "started_at": NUMBER,
            "completed_at": nullable(NUMBER),
            "duration_ms": nullable(NUMBER),
            "alternatives": obj(
                ["index", "count"],
                {
                    "index": {**INTEGER, "minimum": 1},
                    "count": {**INTEGER, "minimum": 2},
                    "ids": {"type": "array", "items": STRING},
                },
                description="present where the turn has been retold",
            ),
            "feedback": nullable(NUMBER),
            "actions": {
                "type": "array",
                "description": "a party round: each seat's action in seat order (a pass: null)",
                "items": obj(
                    ["player_id", "character_name", "message"],
                    {"player_id": STRING, "character_name": STRING, "message": nullable(STRING)},
                ),
            },
        },
    ),
    "Game": obj(
        ["id", "scenario", "status", "character", "location", "inventory", "turns"],
        {
            "id": STRING,
            "scenario": obj(
                ["id", "title"],
                {"id": STRING, "title": STRING, "intro": STRING, "goal": STRING},
            ),
            "status": STRING,
            "offline": {**BOOLEAN, "description": "played by the offline narrator"},
            "created_at": NUMBER,
            "state": ref("State"),
            "character": ref("Character"),
            "location": ref("Location"),
            "inventory": {"type": "array", "items": ref("Item")},
            "turns": {
                "type": "array",
                "items": ref("Turn"),
                "description": "the active line, oldest first (its newest turns only)",
            },
            "party": {
                "type": "array",
                "description": "every seat in seat order, with its character's sheet (null for a "
                "spectator)",
                "items": obj(
                    ["player_id", "role", "character"],
                    {
                        "player_id": STRING,
                        "role": {"enum": ["host", "player", "spectator"]},
                        "character": nullable(OBJECT),
                    },
                ),
            },
            "line": obj(
                ["length", "older"],
                {"branch_id": nullable(STRING), "length": INTEGER, "older": BOOLEAN},
            ),
        },
    ),
    "SavedGame": obj(
        ["id", "scenario", "character", "turns", "last_played", "status"],
        {
            "id": STRING,
            "scenario": obj(
                ["id", "title"],
                {
                    "id": STRING,
                    "title": {
                        **nullable(STRING),
                        "description": "null when the adventure is no longer on this server",
                    },
                },
            ),
            "character": obj(
                ["name", "class", "level"], {"name": STRING, "class": STRING, "level": INTEGER}
            ),
            "turns": {**INTEGER, "minimum": 0, "description": "turns on the active line"},
            "last_played": {
                **NUMBER,
                "description": "when the game last moved (turn, retry, rewind, switch of "
                "line), in Unix seconds like every time in this API",
            },
            "status": {"enum": ["active", "won", "dead"]},
            "created_at": NUMBER,
            "archived_at": {
                **nullable(NUMBER),
                "description": "when it was archived; null while it is listed",
            },
        },
        description="One of a browser's games, as its start page lists them.",
    ),
    "Alternative": obj(
        ["index", "count", "of"],
        {"index": INTEGER, "count": INTEGER, "of": {**STRING, "description": "first telling"}},
    ),
    "TurnResult": obj(
        ["turn_id", "narration", "tool_calls", "state", "trace"],
        {
            "turn_id": STRING,
            "number": {**INTEGER, "minimum": 1},
            "narration": STRING,
            "tool_calls": {"type": "array", "items": ref("ToolCall")},
            "state": nullable(ref("State")),
            "usage": nullable(OBJECT),
            "trace": nullable(OBJECT),
            "duration_ms": nullable(NUMBER),
            "alternative": ref("Alternative"),
        },
    ),
    "TurnsPage": obj(
        ["turns", "next_before"],
        {
            "turns": {"type": "array", "items": ref("Turn"), "description": "newest first"},
            "next_before": nullable(INTEGER),
        },
    ),
    "Branch": obj(
        ["id", "active", "turns"],
        {
            "id": STRING,
            "active": BOOLEAN,
            "head_turn_id": nullable(STRING),
            "turns": INTEGER,
            "last_message": nullable(STRING),
            "forked_from_turn": nullable(INTEGER),
            "reason": nullable(STRING),
            "created_at": NUMBER,
        },
    ),
    "Scenario": obj(
        ["id", "title", "tagline", "tone", "locations"],
        {
            "id": {**STRING, "description": "pass it as `scenario` to POST /api/games"},
            "title": STRING,
            "tagline": {**STRING, "description": "one line for the picker (may be empty)"},
            "tone": {**STRING, "description": "the mood in a few words (may be empty)"},
            "locations": {**INTEGER, "minimum": 1, "description": "number of locations"},
        },
    ),
    "NewGame": obj(
        [],
        {
            "character": obj(
                [],
                {
                    "name": {
                        **STRING,
                        "minLength": 1,
                        "maxLength": 40,
                        "description": "letters, digits, spaces, apostrophes or dashes",
                    },
                    "class": {"enum": list(CLASSES)},
                    "method": {
                        "enum": list(CREATION_METHODS),
                        "description": "how `abilities` were chosen; send both or neither "
                        "(neither: the class's own scores). `standard_array`: the values "
                        f"{', '.join(map(str, STANDARD_ARRAY))}, one each. `point_buy`: each "
                        f"score {min(POINT_BUY_COSTS)}-{max(POINT_BUY_COSTS)}, costing "
                        + ", ".join(f"{k}→{v}" for k, v in POINT_BUY_COSTS.items())
                        + f", at most {POINT_BUY_BUDGET} points in all",
                    },
                    "abilities": obj(
                        list(ABILITIES),
                        dict.fromkeys(ABILITIES, INTEGER),
                        additionalProperties=False,
                        description="all six scores; max HP moves with the constitution "
                        "modifier. A broken rule is a 400 whose `error.rule` names it",
                    ),
                    "backstory": {
                        **STRING,
                        "maxLength": MAX_BACKSTORY,
                        "description": "one line (no line breaks or control characters), "
                        "trimmed; the game master is told it and the sheet shows it",
                    },
                },
            ),
            "scenario": {
                **STRING,
                "description": "an id from GET /api/scenarios; the default when left out",
            },
        },
    ),
    "TurnRequest": obj(["message"], {"message": {**STRING, "minLength": 1, "maxLength": 2000}}),
    "Feedback": obj(
        ["score"],
        {
            "score": {**NUMBER, "minimum": 0, "maximum": 1},
            "comment": {**STRING, "maxLength": 1000},
        },
    ),
    "Rewind": obj(["to_turn"], {"to_turn": {**INTEGER, "minimum": 0}}),
    "Health": obj(
        ["status", "store"],
        {
            "status": {"enum": ["ok", "degraded"]},
            "store": obj(
                ["ok", "writable"],
                {"ok": BOOLEAN, "dialect": STRING, "writable": BOOLEAN, "problem": STRING},
            ),
            "cli": obj(["ok"], {"ok": BOOLEAN}),
            "offline": BOOLEAN,
            "pool": nullable(OBJECT),
        },
    ),
    "TracingStatus": obj(
        ["enabled", "api_key_set", "project"],
        {
            "enabled": BOOLEAN,
            "api_key_set": {**BOOLEAN, "description": "never the key itself"},
            "project": nullable(STRING),
            "stored_logger": {},
            "context_logger": {},
            "span_type": nullable(STRING),
            "error": nullable(STRING),
            "flushed": {},
            "dashboard_url": nullable(STRING),
            "offline_narrator": BOOLEAN,
            "pool": nullable(OBJECT),
        },
    ),
}

# The data of each SSE event of a turn (documented as an extension: 3.1 cannot type a stream),
# keyed by the events' own names (game_master/events.py is their one home).
SSE_EVENTS: dict[str, Schema] = {
    TurnStarted.name: obj(["turn_id"], {"turn_id": STRING, "number": INTEGER}),
    TextDelta.name: obj(["delta"], {"delta": STRING}),
    ToolEvent.name: ref("ToolCall"),
    StateEvent.name: ref("State"),
    TurnCompleted.name: obj(
        ["turn_id", "narration"],
        {"turn_id": STRING, "narration": STRING, "usage": nullable(OBJECT), "trace": {}},
    ),
    TurnError.name: obj(["code", "message"], {"code": STRING, "message": STRING}),
}

SSE_DESCRIPTION = (
    f"`event: <name>` / `data: <json>` frames: `{TurnStarted.name}`, any number of "
    f"`{TextDelta.name}` and `{ToolEvent.name}`, then `{StateEvent.name}` and "
    f"`{TurnCompleted.name}` (or `{TurnError.name}` in its place; the player's message is "
    "kept). Lines starting with `:` are heartbeats. `x-sse-events` types each event's data."
)
