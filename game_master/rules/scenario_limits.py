"""Limits on a scenario file, checked before and right after parsing (docs/scenarios.md).

An adventure's words reach the system prompt (title, intro, goal: passed to the CLI on its
command line, where one argument may not pass 128 KiB) and every game's JSON. A file past
these limits is refused like any broken file, and never takes the scenario list down.
"""

from __future__ import annotations

from typing import Any

MAX_FILE_BYTES = 256 * 1024
MAX_DEPTH = 16  # objects and arrays inside each other; the format itself needs 5
MAX_STRING_CHARS = 4000  # any one text: a description, a lore entry, the intro


def size_problem(data: bytes) -> str | None:
    """Why a file is too big (None: it is not); ``data`` is its first MAX_FILE_BYTES + 1."""
    if len(data) > MAX_FILE_BYTES:
        return f"is larger than {MAX_FILE_BYTES // 1024} KiB, the most a scenario file may be"
    return None


def nesting_problem(text: str) -> str | None:
    """Why a JSON text nests too deep to parse safely (None: it does not); counts brackets
    outside strings, so a file nested thousands deep is refused before the parser recurses."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_DEPTH:
                return f"nests objects and arrays more than {MAX_DEPTH} deep"
        elif ch in "]}":
            depth -= 1
    return None


def long_strings(raw: Any, path: str = "") -> list[tuple[str, int]]:
    """(path, length) of every string longer than MAX_STRING_CHARS in a parsed document."""
    found: list[tuple[str, int]] = []
    stack: list[tuple[str, Any]] = [(path, raw)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str) and len(value) > MAX_STRING_CHARS:
            found.append((where, len(value)))
        elif isinstance(value, dict):
            stack += [(f"{where}.{k}" if where else str(k), v) for k, v in value.items()]
        elif isinstance(value, list):
            stack += [(f"{where}[{i}]", v) for i, v in enumerate(value)]
    return sorted(found)
