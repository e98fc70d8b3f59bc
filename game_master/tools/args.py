"""Reading a tool call's arguments: bounded, typed, and refused with ``bad_argument``."""

from __future__ import annotations

from typing import Any

from ..numbers import whole_number_text
from ..rules import refuse

MAX_TEXT_ARG = 200


def _bad(key: str, reason: str) -> Exception:
    """A bad_argument refusal for ``key``."""
    return refuse("bad_argument", f"'{key}' {reason}", argument=key, reason=reason)


def text(args: dict[str, Any], key: str, required: bool = True) -> str:
    """A bounded string argument; refused when missing (if required), blank or too long."""
    value = args.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise _bad(key, "must be a non-empty string")
    if len(value) > MAX_TEXT_ARG:
        raise _bad(key, f"must be at most {MAX_TEXT_ARG} characters")
    return value.strip()


def integer(args: dict[str, Any], key: str) -> int:
    """A whole-number argument; accepts integral floats and digit strings models send."""
    value = args.get(key)
    if isinstance(value, bool):
        raise _bad(key, "must be a whole number")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        value = whole_number_text(value)
    if not isinstance(value, int):
        raise _bad(key, "must be a whole number")
    return value


def boolean(args: dict[str, Any], key: str, default: bool) -> bool:
    """A true/false argument."""
    value = args.get(key, default)
    if not isinstance(value, bool):
        raise _bad(key, "must be true or false")
    return value


def advantage(args: dict[str, Any]) -> str:
    """The optional advantage argument."""
    value = args.get("advantage") or "none"
    if not isinstance(value, str):
        raise _bad("advantage", "must be 'none', 'advantage' or 'disadvantage'")
    return value.strip().lower()
