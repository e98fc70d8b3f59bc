"""What players send, validated: a new game's character, a message, a rating.

Shapes only (the rules judge the values); shared by the game use cases (service.py) and
party play (party.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from . import rules
from .errors import InvalidInput

MAX_MESSAGE_CHARS = 2000
MAX_COMMENT_CHARS = 1000


@dataclass(frozen=True)
class NewGame:
    """Validated input for a new game."""

    name: str
    cls: str
    scenario: str
    method: str | None = None
    abilities: dict[str, Any] | None = None
    backstory: str = ""


def parse_new_game(payload: Any) -> NewGame:
    """Validate the shape of ``{"character": {"name", "class", "method", "abilities",
    "backstory"}, "scenario"}`` (all optional); the rules judge the values."""
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise InvalidInput("body must be a JSON object")
    character = payload.get("character") or {}
    if not isinstance(character, dict):
        raise InvalidInput("'character' must be an object with 'name' and 'class'")
    name = character.get("name", "Wren")
    cls = character.get("class", "rogue")
    scenario = payload.get("scenario") or rules.DEFAULT_SCENARIO
    if not isinstance(name, str) or not isinstance(cls, str) or not isinstance(scenario, str):
        raise InvalidInput("'name', 'class' and 'scenario' must be strings")
    method = character.get("method")
    if method is not None and not isinstance(method, str):
        raise InvalidInput("'method' must be a string: standard_array or point_buy")
    abilities = character.get("abilities")
    if abilities is not None and not isinstance(abilities, dict):
        raise InvalidInput("'abilities' must be an object of ability name to score")
    backstory = character.get("backstory") or ""
    if not isinstance(backstory, str):
        raise InvalidInput("'backstory' must be a string")
    return NewGame(
        name=name,
        cls=cls,
        scenario=scenario,
        method=method,
        abilities=abilities,
        backstory=backstory,
    )


LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


def storable_text(text: str) -> str:
    """Text every database keeps byte for byte: lone surrogates (not valid Unicode) become
    U+FFFD and NUL is dropped (PostgreSQL text cannot hold it); nothing else changes."""
    return LONE_SURROGATE.sub("\ufffd", text).replace("\x00", "")


def validate_message(message: Any) -> str:
    """A player's message: a string of 1-2,000 characters after trimming."""
    if not isinstance(message, str):
        raise InvalidInput("'message' must be a string")
    text = storable_text(message).strip()
    if not text:
        raise InvalidInput("'message' must not be empty")
    if len(text) > MAX_MESSAGE_CHARS:
        raise InvalidInput(f"'message' must be at most {MAX_MESSAGE_CHARS} characters")
    return text


def validate_feedback(payload: Any) -> tuple[float, str | None]:
    """``{"score": 0..1, "comment": "..."}``."""
    if not isinstance(payload, dict):
        raise InvalidInput("body must be a JSON object")
    score = payload.get("score")
    if isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 1:
        raise InvalidInput("'score' must be a number from 0 to 1")
    comment = payload.get("comment")
    if comment is not None and not isinstance(comment, str):
        raise InvalidInput("'comment' must be a string")
    if comment is not None and len(comment) > MAX_COMMENT_CHARS:
        raise InvalidInput(f"'comment' must be at most {MAX_COMMENT_CHARS} characters")
    return float(score), (storable_text(comment).strip() or None) if comment else None
