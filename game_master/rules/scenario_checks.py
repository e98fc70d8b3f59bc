"""Checks of a scenario file: the published JSON Schema, every cross-reference, then the
solver (every place reachable, every key before its lock, the ending within reach).

Each problem names the file and the path inside it (``locations.crypt.exits.north``), so an
author can find it without reading code.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import jsonschema

from . import scenario_solver

SCHEMA_FILE = "scenario.schema.json"
Bad = Callable[[str, str], None]


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
    """Exits, locks and keys, items, NPCs, the start and the ending must name real things;
    then the solver must prove the adventure whole."""
    found: list[Problem] = []

    def bad(path: str, message: str) -> None:
        found.append(Problem(file, path, message))

    locations: dict[str, Any] = raw["locations"]
    items: dict[str, Any] = raw["items"]
    if raw["start"] not in locations:
        bad("start", f"unknown location {raw['start']!r}")
    for loc_id, loc in locations.items():
        _location_problems(raw, loc_id, loc, bad)
    _placed_once(raw, bad)
    for npc_id, npc in raw["npcs"].items():
        _npc_problems(raw, npc_id, npc, bad)
    ending = raw["ending"]
    placed = {i for loc in locations.values() for i in loc.get("items", [])}
    if ending["item"] not in items:
        bad("ending.item", f"unknown item {ending['item']!r}")
    elif ending["item"] not in placed:
        bad("ending.item", f"item {ending['item']!r} lies in no location, so no one can win")
    if ending["location"] not in locations:
        bad("ending.location", f"unknown location {ending['location']!r}")
    if not found:
        found += [Problem(file, g.path, g.message) for g in scenario_solver.gaps(raw)]
    return found


def _location_problems(raw: dict[str, Any], loc_id: str, loc: dict[str, Any], bad: Bad) -> None:
    """A location's exits, locks, ways, items and people name real things; exits go both
    ways unless marked one-way."""
    locations, at = raw["locations"], f"locations.{loc_id}"
    exits: dict[str, str] = loc.get("exits", {})
    for direction, target in exits.items():
        if target not in locations:
            bad(f"{at}.exits.{direction}", f"unknown location {target!r}")
        elif (
            direction not in loc.get("one_way", [])
            and loc_id not in locations[target].get("exits", {}).values()
        ):
            bad(
                f"{at}.exits.{direction}",
                f"no exit of {target!r} leads back here; add one, or list {direction!r} in one_way",
            )
    for field, what in (("locked", "to lock"), ("ways", "to name")):
        for direction in loc.get(field, {}):
            if direction not in exits:
                bad(f"{at}.{field}.{direction}", f"no exit {direction!r} here {what}")
    for n, direction in enumerate(loc.get("one_way", [])):
        if direction not in exits:
            bad(f"{at}.one_way[{n}]", f"no exit {direction!r} here")
    for direction, key in loc.get("locked", {}).items():
        if key not in raw["items"]:
            bad(f"{at}.locked.{direction}", f"unknown key item {key!r}")
    for n, item in enumerate(loc.get("items", [])):
        if item not in raw["items"]:
            bad(f"{at}.items[{n}]", f"unknown item {item!r}")
    for n, npc in enumerate(loc.get("npcs", [])):
        if npc not in raw["npcs"]:
            bad(f"{at}.npcs[{n}]", f"unknown NPC {npc!r}")


def _placed_once(raw: dict[str, Any], bad: Bad) -> None:
    """Each item lies in one place at most, once; each person stands in one place."""
    for field, kind in (("items", "item"), ("npcs", "NPC")):
        first: dict[str, str] = {}
        for loc_id, loc in raw["locations"].items():
            for n, thing in enumerate(loc.get(field, [])):
                if thing in first:
                    bad(
                        f"locations.{loc_id}.{field}[{n}]",
                        f"{kind} {thing!r} is already placed in {first[thing]!r}",
                    )
                else:
                    first[thing] = loc_id


FOE_FIELDS = ("tier", "hp", "ac", "attack", "damage", "initiative", "guards")


def _npc_problems(raw: dict[str, Any], npc_id: str, npc: dict[str, Any], bad: Bad) -> None:
    """Only foes fight; what a foe guards lies at its place or is one of its exits."""
    at = f"npcs.{npc_id}"
    if not npc.get("hostile"):
        for field in FOE_FIELDS:
            if field in npc:
                bad(f"{at}.{field}", "only a foe (hostile: true) fights or guards")
        return
    home = next((k for k, v in raw["locations"].items() if npc_id in v.get("npcs", [])), None)
    loc = raw["locations"].get(home or "", {})
    for n, thing in enumerate(npc.get("guards", [])):
        if thing not in loc.get("items", []) and thing not in loc.get("exits", {}):
            bad(
                f"{at}.guards[{n}]",
                f"{thing!r} is neither an item lying at the foe's place nor one of its exits",
            )


def prove(raw: Any) -> scenario_solver.Proof | None:
    """The solver's winning walk for a scenario that passes every check (else None)."""
    return scenario_solver.prove(raw)


def parse_json(text: str, file: str) -> Any:
    """The JSON document, or ScenarioError naming the line and column of a syntax error."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError(
            [Problem(file, "", f"not valid JSON: {exc.msg} (line {exc.lineno}, col {exc.colno})")]
        ) from exc
