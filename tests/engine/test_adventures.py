"""Every bundled adventure can be won, and lost, by playing it: plain commands over HTTP,
through the real CLI and the offline narrator, on SQLite and on PostgreSQL.

Each adventure has a fight on its way to the ending: the fight runs by the rules (initiative,
the foe's turns, damage from the weapon carried) until the foe falls, or the character
does. The dice are the game's own, from a fixed seed set on the stored game, so a game
plays the same every time; a change that moves the dice may need another seed (the
assertion says which fight went the other way).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from game_master.testing import new_game, play

FIGHT = "fight"  # in a route: attack the foe named next until it falls
# The route through each adventure: arm, fetch the key, pass its lock, win the fight for the
# goal (or the way to it), and carry the goal item to the ending's place.
ROUTES: dict[str, list[str]] = {
    "drowned_bell": [
        "go west", "take the hatchet", "go east",
        "go south", "go south", "go down", "go east", "take the iron key", "go west",
        "go down",
        FIGHT, "the warden",
        "take the bell clapper", "go up", "go up", "go north", "go north", "go north",
    ],
    "velvet_ledger": [
        "take the boathook", "take the watergate key", "go east", "go up", "go north",
        "take the strongroom key", "go up",
        FIGHT, "the mastiff",
        "take the velvet ledger", "go down", "go south", "go down", "go west",
    ],
    "last_ember": [
        "take the ember lantern", "go north", "take the shepherd's staff", "go north",
        "go north",
        FIGHT, "the wolf",
        "go north", "take the bronze key", "take the skinning knife", "go north", "go north",
        FIGHT, "the frost-wight",
        "go up",
    ],
}  # fmt: skip
# (seed, database) each adventure is won with, and lost with: every adventure meets both
# databases, and each database sees wins and losses.
WON = {"drowned_bell": (1, "sqlite"), "velvet_ledger": (2, "postgresql"),
       "last_ember": (1, "sqlite")}  # fmt: skip
LOST = {"drowned_bell": (2, "postgresql"), "velvet_ledger": (1, "sqlite"),
        "last_ember": (3, "postgresql")}  # fmt: skip
# Where each adventure is lost: the foe a rogue with bare hands meets.
LOSE_AT = {"drowned_bell": ("bell_chamber", "warden"), "velvet_ledger": ("strongroom", "mastiff"),
           "last_ember": ("blackpine_wood", "wolf")}  # fmt: skip
MAX_ROUNDS = 15


def game_app(make_app: Callable[..., Flask], request: pytest.FixtureRequest, db: str) -> Flask:
    """An offline app on SQLite or on PostgreSQL (a private schema)."""
    if db == "sqlite":
        return make_app()
    return make_app(DATABASE_URL=request.getfixturevalue("pg_url"))


def seeded_game(app: Flask, scenario_id: str, seed: int, cls: str) -> tuple[FlaskClient, str]:
    """A new game over HTTP whose dice come from ``seed``."""
    client = app.test_client()
    gid = new_game(client, cls=cls, scenario=scenario_id)
    app.extensions["game_master"].store.update_state(gid, lambda s: setattr(s, "seed", seed))
    return client, gid


def calls(answer: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """The successful calls of one tool in a turn."""
    return [c for c in answer["tool_calls"] if c["name"] == name and not c["is_error"]]


def fight(client: FlaskClient, gid: str, foe: str) -> list[dict[str, Any]]:
    """Attack ``foe`` until it falls; every attack is the rules' own, with foe turns."""
    answers = []
    for _ in range(MAX_ROUNDS):
        answer = play(client, gid, f"attack {foe}")
        answers.append(answer)
        (blow,) = calls(answer, "attack")
        assert not blow["result"]["down"], f"the character fell to {foe}: try another seed"
        if blow["result"].get("defeated"):
            return answers
    raise AssertionError(f"{foe} still stands after {MAX_ROUNDS} rounds")


def test_every_bundled_adventure_has_a_route(app: Flask) -> None:
    """The picker's adventures are exactly the ones played through below."""
    ids = [s["id"] for s in app.test_client().get("/api/scenarios").get_json()]
    assert sorted(ids) == sorted(ROUTES) == sorted(WON) == sorted(LOST)


@pytest.mark.parametrize("scenario_id", sorted(ROUTES))
def test_an_adventure_is_won_by_playing_it(
    make_app: Callable[..., Flask], request: pytest.FixtureRequest, scenario_id: str
) -> None:
    """Walk the route as a fighter: every command does what it says, a locked way opens
    with the key picked up on the way, the fight has initiative, foe turns and weapon
    damage and ends with the foe down, what it guarded is then free, and bringing the goal
    item to the goal's place wins the game and tells the ending."""
    seed, db = WON[scenario_id]
    app = game_app(make_app, request, db)
    client, gid = seeded_game(app, scenario_id, seed, "fighter")
    ending = app.extensions["game_master"].scenario_of(scenario_id).ending

    answers, route = [], list(ROUTES[scenario_id])
    while route:
        command = route.pop(0)
        if command == FIGHT:
            rounds = fight(client, gid, route.pop(0))
            first = calls(rounds[0], "attack")[0]["result"]
            assert len(first["initiative"]) == 2 and first["weapon"] != "unarmed strike"
            blows = [c["result"] for r in rounds for c in calls(r, "attack")]
            turns = [t for blow in blows for t in blow["foe_turns"]]
            assert turns and all(t["name"] == first["name"] for t in turns)
            assert calls(rounds[-1], "attack")[0]["result"]["fight_over"] == "won"
            answers += rounds
            continue
        answer = play(client, gid, command)
        refused = [c["result"] for c in answer["tool_calls"] if c["is_error"]]
        assert answer["tool_calls"] and not refused, (command, refused, answer["narration"])
        answers.append(answer)

    unlocked = [c["result"]["key"] for a in answers for c in calls(a, "unlock")]
    unlocked += [
        c["result"]["unlocked"]["key"] for a in answers for c in calls(a, "move")
        if "unlocked" in c["result"]
    ]  # fmt: skip
    taken = [c["result"]["taken"] for a in answers for c in calls(a, "take_item")]
    assert unlocked and set(unlocked) <= set(taken)

    view = client.get(f"/api/games/{gid}").get_json()
    assert view["status"] == "won" and view["state"]["outcome"] == "won"
    assert view["location"]["location"] == ending["location"]
    assert ending["item"] in [i["id"] for i in view["inventory"]]
    assert ending["text"] in answers[-1]["narration"]
    assert all(ending["text"] not in a["narration"] for a in answers[:-1])


@pytest.mark.parametrize("scenario_id", sorted(ROUTES))
def test_an_adventure_is_lost_when_the_character_falls(
    make_app: Callable[..., Flask], request: pytest.FixtureRequest, scenario_id: str
) -> None:
    """A rogue with bare hands (1 + STR 0 a blow) faces the adventure's foe, set down at its
    place (the walk there is the other test's): the foe acts on its turns until the rogue is
    down; the death saves fail; the game is lost, told with the adventure's defeat, and over."""
    seed, db = LOST[scenario_id]
    place, foe = LOSE_AT[scenario_id]
    app = game_app(make_app, request, db)
    client, gid = seeded_game(app, scenario_id, seed, "rogue")
    store = app.extensions["game_master"].store

    def arrive(state: Any) -> None:
        state.location = place
        state.visited.append(place)

    store.update_state(gid, arrive)
    play(client, gid, "look around")
    saves, hits = [], 0
    for _ in range(MAX_ROUNDS):
        answer = play(client, gid, f"attack the {foe}")
        for blow in calls(answer, "attack"):
            assert not blow["result"].get("defeated"), f"the rogue beat the {foe}: another seed"
            hits += sum(t["hit"] for t in blow["result"]["foe_turns"])
        saves += calls(answer, "death_save")
        if client.get(f"/api/games/{gid}").get_json()["status"] == "dead":
            break
    view = client.get(f"/api/games/{gid}").get_json()
    assert view["status"] == "dead" and view["state"]["character"]["hp"] == 0
    assert hits >= 1 and saves and saves[-1]["result"]["dead"]
    assert saves[-1]["result"]["failures"] == 3
    defeat = app.extensions["game_master"].scenario_of(scenario_id).ending["defeat"]
    assert defeat in answer["narration"]
    after = play(client, gid, "attack the " + foe)
    assert [c["result"]["error"]["code"] for c in after["tool_calls"]] in ([], ["game_over"])
