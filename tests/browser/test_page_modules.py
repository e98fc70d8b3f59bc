"""The page's modules (static/js/) as the style asks: small, no import cycle, and none that
parses HTML or runs strings as code (model text only ever goes into textContent). Reads the
files; needs no browser."""

from __future__ import annotations

import re
from pathlib import Path

from game_master.testing import REPO

MODULES = sorted((REPO / "static" / "js").glob("*.js"))
IMPORT = re.compile(r'^import .* from "\./(\w+)\.js";$', re.M)
FORBIDDEN = re.compile(
    r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function"
)


def imports() -> dict[str, list[str]]:
    """Each module's imports of its siblings, by name."""
    return {path.stem: IMPORT.findall(path.read_text()) for path in MODULES}


def test_the_page_is_modules_by_role() -> None:
    names = {path.stem for path in MODULES}
    assert {"main", "api", "sse", "state", "dom", "turn", "readaloud"} <= names, names
    for path in MODULES:
        lines = path.read_text().count("\n")
        assert lines <= 400, f"{path.name} has {lines} lines"


def test_no_module_imports_itself_back() -> None:
    graph = imports()

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for name in graph.get(start, []):
            if name == goal or (name not in seen and reaches(name, goal, seen | {name})):
                return True
        return False

    cycles = [name for name in graph if reaches(name, name, {name})]
    assert cycles == []
    assert all(name in graph for deps in graph.values() for name in deps)


def test_no_module_parses_html_or_runs_strings() -> None:
    found = [
        f"{path.name}: {m.group(0)}"
        for path in MODULES
        for m in FORBIDDEN.finditer(Path(path).read_text())
    ]
    assert found == []
