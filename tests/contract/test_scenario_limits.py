"""Scenario files past the documented limits (size, nesting, long texts) are skipped like
any broken file: the list and game creation stay up, and ``validate`` says why."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask

REPO = Path(__file__).resolve().parent.parent.parent
BELL = REPO / "game_master" / "scenarios" / "drowned_bell.json"


def bell(scenario_id: str) -> dict[str, Any]:
    """The Drowned Bell under another id."""
    raw: dict[str, Any] = json.loads(BELL.read_text("utf-8"))
    raw["id"] = scenario_id
    return raw


def write_bad_folder(folder: Path) -> None:
    """One good adventure and three that break a limit (the probe's 200 kB of nesting)."""
    folder.mkdir()
    (folder / "good.json").write_text(json.dumps(bell("good")), "utf-8")
    (folder / "deep.json").write_text("[" * 100_000 + "]" * 100_000, "utf-8")
    wordy = bell("wordy")
    wordy["intro"] = "Rain. " * 2_000_000  # 12 MB: the game JSON and the CLI's argv
    (folder / "wordy.json").write_text(json.dumps(wordy), "utf-8")
    long_text = bell("long_text")
    long_text["goal"] = "g" * 4001
    (folder / "long_text.json").write_text(json.dumps(long_text), "utf-8")


def test_oversized_and_deep_files_are_skipped_and_the_app_stays_up(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    """GET /api/scenarios lists the good file only; a new game starts in it; the bad ones
    are not on offer (400 naming the choices), never a 500."""
    folder = tmp_path / "adventures"
    write_bad_folder(folder)
    client = make_app(GM_SCENARIO_DIR=str(folder)).test_client()
    listed = client.get("/api/scenarios")
    assert listed.status_code == 200
    ids = {s["id"] for s in listed.get_json()}
    assert "good" in ids and not ids & {"deep", "wordy", "long_text"}
    made = client.post("/api/games", json={"scenario": "good"})
    assert made.status_code == 201, made.get_data(as_text=True)
    for bad in ("deep", "wordy", "long_text"):
        resp = client.post("/api/games", json={"scenario": bad})
        assert resp.status_code == 400, (bad, resp.status_code)


def test_validate_names_the_limit_each_file_breaks(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    """``flask gm scenario validate`` exits 1 with the reason, instead of crashing."""
    folder = tmp_path / "adventures"
    write_bad_folder(folder)
    runner = make_app().test_cli_runner()
    expected = {
        "deep.json": "nests objects and arrays more than 16 deep",
        "wordy.json": "is larger than 256 KiB",
        "long_text.json": "goal: is 4001 characters long; a text may be at most 4000",
    }
    for name, reason in expected.items():
        result = runner.invoke(args=["gm", "scenario", "validate", str(folder / name)])
        assert result.exit_code == 1, (name, result.output)
        assert reason in result.stderr, (name, result.stderr)
