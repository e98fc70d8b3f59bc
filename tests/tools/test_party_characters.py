"""Several characters in one game: a tool that acts on a character takes an optional
``character`` (the registry's schema says so); naming a companion acts on that sheet, not
the host's; an unknown name is a refusal with a code; a solo call is unchanged."""

from __future__ import annotations

from flask import Flask

from game_master.tools import TOOLS
from game_master.tools.mcp import execute_tool


def party_game(app: Flask) -> tuple[str, object]:
    """A game whose host is Mara with Odo joined by invite; (game id, service)."""
    client = app.test_client()
    made = client.post("/api/games", json={"character": {"name": "Mara", "class": "fighter"}})
    gid, host = made.get_json()["id"], made.get_json()["credential"]
    token = client.post(
        f"/api/games/{gid}/invites",
        json={"role": "player"},
        headers={"Authorization": f"Bearer {host}"},
    ).get_json()["token"]
    client.post(
        f"/api/invites/{token}/join", json={"character": {"name": "Odo", "class": "wizard"}}
    )
    return gid, app.extensions["game_master"]


def test_a_tool_acts_on_the_character_it_names(app: Flask) -> None:
    gid, svc = party_game(app)
    store = svc.store  # type: ignore[attr-defined]
    scenario = svc.scenario_of(store.get_game(gid).scenario)  # type: ignore[attr-defined]
    for name in ("ability_check", "get_character", "change_hp", "set_condition"):
        assert "character" in TOOLS[name].schema["properties"], name
        assert "character" not in TOOLS[name].schema["required"], name
    state = store.read_state(gid)
    assert [c["name"] for c in state.companions] == ["Odo"]
    odo_hp = state.companions[0]["hp"]
    hurt = execute_tool(store, gid, scenario, "change_hp", {"amount": -2, "character": "odo"})
    assert not hurt.is_error and hurt.result["hp"] == odo_hp - 2
    state = store.read_state(gid)
    assert state.companions[0]["hp"] == odo_hp - 2
    assert state.character.hp == state.character.max_hp, "the host's sheet is untouched"
    sheet = execute_tool(store, gid, scenario, "get_character", {"character": "Odo"})
    assert sheet.result["name"] == "Odo" and sheet.result["class"] == "wizard"
    # A solo-style call (no character) is the host's, as before.
    assert execute_tool(store, gid, scenario, "get_character", {}).result["name"] == "Mara"
    refused = execute_tool(store, gid, scenario, "change_hp", {"amount": -1, "character": "Zed"})
    assert refused.is_error and refused.result["error"]["code"] == "unknown_character"


def test_the_party_sheet_shows_hit_points_as_they_are_in_play(app: Flask) -> None:
    """A companion hurt in play: the game JSON's party shows the hurt sheet (read from the
    game state), not the one the player brought when they joined."""
    gid, svc = party_game(app)
    store = svc.store  # type: ignore[attr-defined]
    scenario = svc.scenario_of(store.get_game(gid).scenario)  # type: ignore[attr-defined]
    joined = store.read_state(gid).companions[0]["hp"]
    execute_tool(store, gid, scenario, "change_hp", {"amount": -3, "character": "Odo"})
    game = app.test_client().get(f"/api/games/{gid}")
    assert game.status_code == 200, game.get_data(as_text=True)
    sheets = {p["character"]["name"]: p["character"] for p in game.get_json()["party"]}
    assert sheets["Odo"]["hp"] == joined - 3
    assert sheets["Mara"]["hp"] == sheets["Mara"]["max_hp"]
