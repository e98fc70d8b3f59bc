"""GET /api/scenarios, an unknown scenario id, and games whose scenario has gone."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask

from .conftest import CheckedClient, Contract

# The adventures that ship with the game, by id (the picker lists every id sorted).
BUNDLED = ["drowned_bell", "last_ember", "velvet_ledger"]
BELL = Path(__file__).resolve().parent.parent.parent / "game_master/scenarios/drowned_bell.json"


def js(resp: Any) -> Any:
    """The JSON body of a test response (typed loosely for the assertions)."""
    return resp.get_json()


def add_scenario(folder: Path, scenario_id: str, title: str) -> Path:
    """A valid scenario file in ``folder`` (the Drowned Bell renamed)."""
    raw: dict[str, Any] = json.loads(BELL.read_text("utf-8"))
    raw.update(id=scenario_id, title=title, tagline="Steal it back.", tone="city heist")
    path = folder / f"{scenario_id}.json"
    path.write_text(json.dumps(raw), "utf-8")
    return path


def test_the_scenarios_on_offer(
    make_app: Callable[..., Flask], contract: Contract, tmp_path: Path
) -> None:
    """Bundled and folder scenarios, as the picker shows them, by id."""
    add_scenario(tmp_path, "heist", "The Glass Vault")
    api = CheckedClient(make_app(GM_SCENARIO_DIR=str(tmp_path)).test_client(), contract)
    resp = api.get("/api/scenarios")
    assert resp.status_code == 200
    assert [s["id"] for s in js(resp)] == sorted([*BUNDLED, "heist"])
    offered = {s["id"]: s for s in js(resp)}
    assert offered["last_ember"] == {
        "id": "last_ember",
        "title": "The Last Ember",
        "tagline": "The beacons of the north have gone dark. Carry the last ember over the "
        "mountains and light the one on Greymantle.",
        "tone": "wind-scoured wilderness journey, hope against the cold",
        "locations": 10,
    }
    assert offered["heist"] == {
        "id": "heist",
        "title": "The Glass Vault",
        "tagline": "Steal it back.",
        "tone": "city heist",
        "locations": 9,
    }
    resp = api.post("/api/games", json={"scenario": "heist"})
    assert resp.status_code == 201 and js(resp)["scenario"]["title"] == "The Glass Vault"


def test_an_unknown_scenario_names_the_choices(api: CheckedClient) -> None:
    """400 invalid_input whose message lists the ids on offer."""
    resp = api.post("/api/games", json={"scenario": "atlantis"})
    assert resp.status_code == 400
    error = js(resp)["error"]
    assert error["code"] == "invalid_input"
    assert "'atlantis'" in error["message"]
    assert all(scenario_id in error["message"] for scenario_id in BUNDLED)


def test_a_game_whose_scenario_was_removed(
    make_app: Callable[..., Flask], contract: Contract, tmp_path: Path
) -> None:
    """After the file goes (and a restart), the game says so: 409, never a 500."""
    folder = tmp_path / "adventures"
    folder.mkdir()
    path = add_scenario(folder, "heist", "The Glass Vault")
    first = CheckedClient(make_app(GM_SCENARIO_DIR=str(folder)).test_client(), contract)
    game_id = js(first.post("/api/games", json={"scenario": "heist"}))["id"]
    path.unlink()
    api = CheckedClient(make_app(GM_SCENARIO_DIR=str(folder)).test_client(), contract)
    for resp in (
        api.get(f"/api/games/{game_id}"),
        api.post(f"/api/games/{game_id}/turns", json={"message": "look around"}),
    ):
        assert resp.status_code == 409, resp.data
        assert js(resp)["error"]["code"] == "scenario_unavailable"
        assert "no longer available" in js(resp)["error"]["message"]
    assert [s["id"] for s in js(api.get("/api/scenarios"))] == BUNDLED
