"""An adventure written from docs/scenarios.md alone (tests/engine/authored/tollhouse.json,
not bundled): it validates, and a newcomer's natural commands play it to its ending over
HTTP, through the real CLI and the offline narrator."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from flask import Flask

from game_master.commands.scenarios import standalone
from game_master.testing import new_game, play

FOLDER = Path(__file__).parent / "authored"
# What a newcomer types, and what each reply must show (a tool that succeeded, words said).
WALK: list[tuple[str, str, str]] = [
    ("look around", "look_around", "on the Old Bridge"),
    ("talk to Nell", "ask", "Everyone wants something"),
    ("where is the tinderbox?", "ask", "on the shelf in the tollhouse"),
    ("open the door", "", "iron key"),
    ("ask her about the key", "ask", "on the riverbank"),
    ("climb down the steps", "move", "on the Riverbank"),
    ("take the key and the poker", "take_item", "poker"),
    ("go back up", "move", "on the Old Bridge"),
    ("use the iron key on the door", "unlock", "open"),
    ("enter the tollhouse", "move", "rat king"),
    ("grab the tinderbox", "", "rat king"),
]
FINISH = [("take the tinderbox", "take_item", "tinderbox"), ("climb the stairs", "move", "")]


def called(answer: dict[str, Any], name: str) -> bool:
    """Whether a tool succeeded in the turn."""
    return any(c["name"] == name and not c["is_error"] for c in answer["tool_calls"])


def test_the_authored_adventure_validates() -> None:
    """``validate`` (the command that needs no app) proves it and names the winning walk."""
    result = CliRunner().invoke(standalone, ["validate", str(FOLDER / "tollhouse.json")])
    assert result.exit_code == 0, result.output
    assert "won by: down, take iron key, up, north (iron key), defeat The rat king" in result.output


def test_a_newcomer_plays_the_authored_adventure_to_its_ending(
    make_app: Callable[..., Flask],
) -> None:
    """Natural commands, each answered right: her own words on where the tinderbox is, a
    locked door that names its key, the steps, two things taken at once, the key used on
    the door (open before anyone moves), a guarded tinderbox, a fight with the poker, and
    the stairs to the ending."""
    app = make_app(GM_SCENARIO_DIR=str(FOLDER))
    client = app.test_client()
    gid = new_game(client, scenario="tollhouse")
    app.extensions["game_master"].store.update_state(gid, lambda s: setattr(s, "seed", 2))
    for command, tool, said in WALK:
        answer = play(client, gid, command)
        assert not tool or called(answer, tool), (command, answer["tool_calls"])
        assert said.lower() in answer["narration"].lower(), (command, answer["narration"])
    view = client.get(f"/api/games/{gid}").get_json()
    assert view["state"]["location"]["locked_exits"] == []  # the page shows it open
    assert {"iron_key", "poker"} <= {i["id"] for i in view["inventory"]}
    for _ in range(8):
        answer = play(client, gid, "hit the rat with the poker")
        (blow,) = [c["result"] for c in answer["tool_calls"] if c["name"] == "attack"]
        assert blow["weapon"] == "Iron poker" and not blow["down"], answer["narration"]
        if blow.get("defeated"):
            assert "tinderbox" in answer["narration"]  # what it guarded is free
            break
    else:
        raise AssertionError("the rat king still stands")
    for command, tool, said in FINISH:
        answer = play(client, gid, command)
        assert called(answer, tool) and said in answer["narration"].lower(), answer
    view = client.get(f"/api/games/{gid}").get_json()
    assert view["status"] == "won"
    assert "signal lamp flares red" in answer["narration"]
