"""Every bundled adventure can be won by playing it: plain commands over HTTP, through the
real CLI and the offline narrator, from the start to the ending."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from game_master.testing import new_game, play

# The shortest honest route through each adventure: fetch the key, pass the lock it opens,
# take the goal item and carry it to the ending's place.
ROUTES: dict[str, list[str]] = {
    "drowned_bell": [
        "go south",
        "go south",
        "go down",
        "go east",
        "take the iron key",
        "go west",
        "go down",  # the iron gate
        "take the bell clapper",
        "go up",
        "go up",
        "go north",
        "go north",
        "go north",
    ],
    "velvet_ledger": [
        "take the watergate key",
        "go east",  # the watergate
        "go up",
        "go north",
        "take the strongroom key",
        "go up",  # the strongroom door
        "take the velvet ledger",
        "go down",
        "go south",
        "go down",
        "go west",
    ],
    "last_ember": [
        "take the ember lantern",
        "go north",
        "go north",
        "go north",
        "go north",
        "take the bronze key",
        "go north",
        "go north",  # the watch-wall gate
        "go up",
    ],
}


def carried(view: dict[str, Any]) -> list[str]:
    """Ids of the items the character carries."""
    return [i["id"] for i in view["inventory"]]


def test_every_bundled_adventure_has_a_route(app: Flask) -> None:
    """The picker's adventures are exactly the ones played through below."""
    ids = [s["id"] for s in app.test_client().get("/api/scenarios").get_json()]
    assert sorted(ids) == sorted(ROUTES)


@pytest.mark.parametrize("scenario_id", sorted(ROUTES))
def test_an_adventure_is_won_by_playing_it(app: Flask, scenario_id: str) -> None:
    """Walk the route: every command does what it says, a locked way opens with the key
    picked up on the way, and bringing the goal item to the goal's place wins the game and
    tells the ending."""
    client = app.test_client()
    gid = new_game(client, scenario=scenario_id)
    assert client.get(f"/api/games/{gid}").get_json()["scenario"]["id"] == scenario_id
    ending = app.extensions["game_master"].scenario_of(scenario_id).ending

    answers = []
    for command in ROUTES[scenario_id]:
        answer = play(client, gid, command)
        refused = [c["result"] for c in answer["tool_calls"] if c["is_error"]]
        assert answer["tool_calls"] and not refused, (command, refused, answer["narration"])
        answers.append(answer)

    unlocked = [
        c["result"]["unlocked_with"]
        for a in answers
        for c in a["tool_calls"]
        if c["name"] == "move" and "unlocked_with" in c["result"]
    ]
    taken = [
        c["result"]["taken"] for a in answers for c in a["tool_calls"] if c["name"] == "take_item"
    ]
    assert unlocked and set(unlocked) <= set(taken)

    view = client.get(f"/api/games/{gid}").get_json()
    assert view["status"] == "won" and view["state"]["outcome"] == "won"
    assert view["location"]["location"] == ending["location"]
    assert ending["item"] in carried(view)
    assert ending["text"] in answers[-1]["narration"]
    assert all(ending["text"] not in a["narration"] for a in answers[:-1])
