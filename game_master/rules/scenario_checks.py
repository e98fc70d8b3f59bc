"""Checks of a scenario file: the published JSON Schema, then every cross-reference.

Each problem names the file and the path inside it (``locations.crypt.exits.north``), so an
author can find it without reading code.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import jsonschema

SCHEMA_FILE = "scenario.schema.json"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario file: where (file, path) and what."""

    file: str
    path: str
    message: str

    def __str__(self) -> str:
        """``file: path: message`` (the path left out when the file as a whole is wrong)."""
        where = f"{self.file}: {self.path}" if self.path else self.file
        return f"{where}: {self.message}"


class ScenarioError(ValueError):
    """A scenario file that cannot be used; ``problems`` lists every reason found."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        """Keep the rows; the text is one line per problem."""
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@cache
def scenario_schema() -> dict[str, Any]:
    """The published JSON Schema (draft 2020-12) of the scenario format."""
    text = resources.files("game_master.scenarios").joinpath(SCHEMA_FILE).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _validator() -> jsonschema.protocols.Validator:
    """A compiled validator (the schema is checked once)."""
    schema = scenario_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def json_path(parts: Iterable[Any]) -> str:
    """``locations.crypt.items[2]`` from a sequence of keys and indexes."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def check_scenario(raw: Any, file: str, *, expected_id: str | None = None) -> list[Problem]:
    """Every problem of a parsed scenario file: the schema first, references if it passes."""
    schema_errors = sorted(_validator().iter_errors(raw), key=lambda e: list(e.absolute_path))
    problems = [Problem(file, json_path(e.absolute_path), e.message) for e in schema_errors]
    if problems:
        # References in a malformed document would only add noise, or fail to be read.
        return problems
    if expected_id is not None and raw["id"] != expected_id:
        problems.append(
            Problem(file, "id", f"{raw['id']!r} must match the file name ({expected_id!r})")
        )
    return problems + _reference_problems(raw, file)


def _reference_problems(raw: dict[str, Any], file: str) -> list[Problem]:
    """Exits, locks and keys, items, NPCs, the start and the ending must name real things."""
    locations: dict[str, Any] = raw["locations"]
    items: dict[str, Any] = raw["items"]
    npcs: dict[str, Any] = raw["npcs"]
    found: list[Problem] = []

    def bad(path: str, message: str) -> None:
        found.append(Problem(file, path, message))

    if raw["start"] not in locations:
        bad("start", f"unknown location {raw['start']!r}")
    placed: set[str] = set()
    for loc_id, loc in locations.items():
        at = f"locations.{loc_id}"
        exits: dict[str, str] = loc.get("exits", {})
        for direction, target in exits.items():
            if target not in locations:
                bad(f"{at}.exits.{direction}", f"unknown location {target!r}")
        for direction, key in loc.get("locked", {}).items():
            if direction not in exits:
                bad(f"{at}.locked.{direction}", f"no exit {direction!r} here to lock")
            if key not in items:
                bad(f"{at}.locked.{direction}", f"unknown key item {key!r}")
        for n, item in enumerate(loc.get("items", [])):
            placed.add(item)
            if item not in items:
                bad(f"{at}.items[{n}]", f"unknown item {item!r}")
        for n, npc in enumerate(loc.get("npcs", [])):
            if npc not in npcs:
                bad(f"{at}.npcs[{n}]", f"unknown NPC {npc!r}")
    ending = raw["ending"]
    if ending["item"] not in items:
        bad("ending.item", f"unknown item {ending['item']!r}")
    elif ending["item"] not in placed:
        bad("ending.item", f"item {ending['item']!r} lies in no location, so no one can win")
    if ending["location"] not in locations:
        bad("ending.location", f"unknown location {ending['location']!r}")
    return found


def parse_json(text: str, file: str) -> Any:
    """The JSON document, or ScenarioError naming the line and column of a syntax error."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError(
            [Problem(file, "", f"not valid JSON: {exc.msg} (line {exc.lineno}, col {exc.colno})")]
        ) from exc
