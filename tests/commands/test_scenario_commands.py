"""``gm scenario list|validate``: what is on offer, and exit codes of a file check."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import Result
from flask import Flask

REPO = Path(__file__).resolve().parent.parent.parent
BELL = REPO / "game_master" / "scenarios" / "drowned_bell.json"


def gm(app: Flask, *args: str) -> Result:
    """Run ``flask gm ...`` against the app."""
    result: Result = app.test_cli_runner().invoke(args=["gm", *args])
    return result


def test_list_shows_id_title_and_source(make_app: Callable[..., Flask], tmp_path: Path) -> None:
    """Bundled and folder scenarios; a broken file is reported, not listed."""
    folder = tmp_path / "adventures"
    folder.mkdir()
    raw: dict[str, Any] = json.loads(BELL.read_text("utf-8"))
    raw["id"], raw["title"] = "heist", "The Glass Vault"
    (folder / "heist.json").write_text(json.dumps(raw), "utf-8")
    (folder / "broken.json").write_text("{", "utf-8")
    result = gm(make_app(GM_SCENARIO_DIR=str(folder)), "scenario", "list")
    assert result.exit_code == 0, result.output
    for bundled in ("drowned_bell\tThe Drowned Bell", "last_ember\tThe Last Ember",
                    "velvet_ledger\tThe Velvet Ledger"):  # fmt: skip
        assert f"{bundled}\tpackage" in result.stdout
    assert f"heist\tThe Glass Vault\t{folder / 'heist.json'}" in result.stdout
    assert "broken" not in result.stdout and "broken.json: not valid JSON" in result.stderr


def test_validate_exit_codes(app: Flask, tmp_path: Path) -> None:
    """0 and "ok" for a good file; 1 with every problem, file and path for a bad one."""
    result = gm(app, "scenario", "validate", str(BELL))
    assert result.exit_code == 0 and result.stdout.startswith("ok: drowned_bell")
    assert "won by: south, south, down, east, take iron key" in result.stdout
    raw: dict[str, Any] = json.loads(BELL.read_text("utf-8"))
    raw["locations"]["village_square"]["exits"]["north"] = "cryptt"
    del raw["items"]["rope"]
    bad = tmp_path / "drowned_bell.json"
    bad.write_text(json.dumps(raw), "utf-8")
    result = gm(app, "scenario", "validate", str(bad))
    assert result.exit_code == 1
    assert (
        "drowned_bell.json: locations.village_square.exits.north: unknown location 'cryptt'"
        in result.stderr
    )
    assert "unknown item 'rope'" in result.stderr
    assert gm(app, "scenario", "validate", str(tmp_path / "missing.json")).exit_code != 0


def test_validate_without_the_app_proves_the_file_and_writes_nothing(tmp_path: Path) -> None:
    """``python -m game_master.scenarios validate`` run from another folder: the verdict and
    the winning walk, or the problems; no data folder, no file, anywhere."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    data = tmp_path / "data"
    instance = REPO / "instance"
    before = sorted(os.listdir(instance)) if instance.exists() else None
    env = {**os.environ, "GM_DATA_DIR": str(data), "PYTHONDONTWRITEBYTECODE": "1"}
    raw: dict[str, Any] = json.loads(BELL.read_text("utf-8"))
    raw["locations"]["ossuary"]["items"].remove("iron_key")
    bad = tmp_path / "drowned_bell.json"
    bad.write_text(json.dumps(raw), "utf-8")

    def run(*files: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "game_master.scenarios", "validate", *map(str, files)],
            cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    both = run(BELL, bad)  # one run (the import is the slow part): one whole, one not
    assert both.returncode == 1, both.stderr
    assert both.stdout.startswith("ok: drowned_bell (The Drowned Bell, 9 locations)")
    assert "won by: " in both.stdout
    assert (
        "drowned_bell.json: locations.crypt_hall.locked.down: its key 'iron_key' lies "
        "nowhere" in both.stderr
    )
    assert list(elsewhere.iterdir()) == [] and not data.exists()
    assert (sorted(os.listdir(instance)) if instance.exists() else None) == before
