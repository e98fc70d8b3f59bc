"""ScenarioLibrary: the adventures on offer, from the package and from GM_SCENARIO_DIR.

Loaded once per library (lazily, thread-safe). A broken file in the folder is logged, naming
the file and the path of each problem, and skipped: one bad adventure never stops the app.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from .scenario import DEFAULT_SCENARIO, Scenario
from .scenario_checks import SCHEMA_FILE, Problem, ScenarioError, check_scenario, parse_json
from .scenario_limits import (
    MAX_FILE_BYTES,
    MAX_STRING_CHARS,
    long_strings,
    nesting_problem,
    size_problem,
)

log = logging.getLogger(__name__)

PACKAGE = "package"


@dataclass(frozen=True)
class ScenarioEntry:
    """A loaded scenario and where it came from (``package`` or the file's path)."""

    scenario: Scenario
    source: str


def read_scenario_file(path: Traversable | Path) -> Scenario:
    """Read, check and build one scenario file; raises ScenarioError naming every problem.

    Size and nesting are checked before parsing (scenario_limits), so no file can exhaust
    the parser; long texts right after."""
    file = path.name
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([Problem(file, "", f"cannot be read: {exc}")]) from exc
    too_much = size_problem(data) or nesting_problem(text)
    if too_much:
        raise ScenarioError([Problem(file, "", too_much)])
    raw = parse_json(text, file)
    problems = [
        Problem(file, where, f"is {n} characters long; a text may be at most {MAX_STRING_CHARS}")
        for where, n in long_strings(raw)
    ]
    problems += check_scenario(raw, file, expected_id=file.removesuffix(".json"))
    if problems:
        raise ScenarioError(problems)
    return Scenario.from_dict(raw, file)


def _scenario_files(folder: Traversable | Path) -> list[Any]:
    """The ``*.json`` files of a folder (the schema aside), by name."""
    files = [f for f in folder.iterdir() if f.name.endswith(".json") and f.name != SCHEMA_FILE]
    return sorted(files, key=lambda f: f.name)


class ScenarioLibrary:
    """Every usable scenario by id; the package's come first and cannot be overridden."""

    def __init__(self, folder: Path | None = None) -> None:
        """Remember the extra folder; nothing is read until the first lookup."""
        self.folder = folder
        self._entries: dict[str, ScenarioEntry] | None = None
        self._skipped: list[ScenarioError] = []
        self._lock = threading.Lock()

    def _load(self) -> dict[str, ScenarioEntry]:
        """Read the package, then the folder, once."""
        if self._entries is not None:
            return self._entries
        with self._lock:
            if self._entries is None:
                entries: dict[str, ScenarioEntry] = {}
                self._add_folder(entries, resources.files("game_master.scenarios"), PACKAGE)
                if self.folder is not None:
                    if self.folder.is_dir():
                        self._add_folder(entries, self.folder, None)
                    else:
                        log.warning("GM_SCENARIO_DIR %s is not a folder; ignored", self.folder)
                self._entries = entries
        return self._entries

    def _add_folder(
        self, entries: dict[str, ScenarioEntry], folder: Traversable | Path, source: str | None
    ) -> None:
        """Add each good file of ``folder``; log and skip the broken ones and duplicates."""
        for path in _scenario_files(folder):
            try:
                scenario = read_scenario_file(path)
                if scenario.id in entries:
                    raise ScenarioError(
                        [Problem(path.name, "id", f"{scenario.id!r} is already loaded")]
                    )
            except ScenarioError as exc:
                self._skipped.append(exc)
                log.error("scenario file skipped (%s):\n%s", path, exc)
                continue
            entries[scenario.id] = ScenarioEntry(scenario, source or str(path))

    def get(self, scenario_id: str) -> Scenario:
        """The scenario with that id; raises KeyError for one not (or no longer) on offer."""
        return self._load()[scenario_id].scenario

    def ids(self) -> list[str]:
        """Ids of every usable scenario, sorted."""
        return sorted(self._load())

    def entries(self) -> list[ScenarioEntry]:
        """Every usable scenario with its source, by id."""
        loaded = self._load()
        return [loaded[k] for k in sorted(loaded)]

    def skipped(self) -> list[ScenarioError]:
        """The files that were skipped, with their problems."""
        self._load()
        return list(self._skipped)

    def summaries(self) -> list[dict[str, Any]]:
        """What a scenario picker shows: id, title, tagline, tone, number of locations."""
        return [
            {
                "id": e.scenario.id,
                "title": e.scenario.title,
                "tagline": e.scenario.tagline,
                "tone": e.scenario.tone,
                "locations": len(e.scenario.locations),
            }
            for e in self.entries()
        ]


BUNDLED = ScenarioLibrary()


def load_scenario(scenario_id: str | None = None) -> Scenario:
    """A bundled scenario by id (default: the Drowned Bell); raises KeyError if unknown."""
    return BUNDLED.get(scenario_id or DEFAULT_SCENARIO)


def available_scenarios() -> list[str]:
    """Ids of the bundled scenarios."""
    return BUNDLED.ids()
