"""Character creation over HTTP: chosen scores and backstory on the sheet and in the model's
request, and a 400 naming the rule for each way a choice can break the rules. Every answer
is checked against the OpenAPI document."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from game_master import rules
from game_master.testing import play

from ..web.test_lines import model_requests
from .conftest import CheckedClient

STANDARD = {
    "strength": 13,
    "dexterity": 8,
    "constitution": 14,
    "intelligence": 15,
    "wisdom": 12,
    "charisma": 10,
}
POINT_BUY = {  # 2 + 9 + 5 + 9 + 2 + 0 = 27
    "strength": 10,
    "dexterity": 15,
    "constitution": 13,
    "intelligence": 15,
    "wisdom": 10,
    "charisma": 8,
}
BACKSTORY = "Once a bell-ringer's apprentice, she swore to silence the Drowned Bell."


def create(api: CheckedClient, **character: Any) -> Any:
    """POST /api/games for Ada the wizard with these extra character fields."""
    return api.post(
        "/api/games", json={"character": {"name": "Ada", "class": "wizard", **character}}
    )


@pytest.mark.parametrize(
    ("method", "scores"), [("standard_array", STANDARD), ("point_buy", POINT_BUY)]
)
def test_chosen_scores_land_on_the_sheet_exactly(
    api: CheckedClient, method: str, scores: dict[str, int]
) -> None:
    """The sheet has exactly the chosen scores, and keeps them when the game is read back."""
    resp = create(api, method=method, abilities=scores)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    assert resp.get_json()["state"]["character"]["abilities"] == scores
    gid = resp.get_json()["id"]
    assert api.get(f"/api/games/{gid}").get_json()["state"]["character"]["abilities"] == scores


def test_a_body_without_abilities_keeps_the_class_scores(api: CheckedClient) -> None:
    """The old body still works: the class's own scores and hit points, no backstory."""
    resp = create(api)
    assert resp.status_code == 201
    sheet = resp.get_json()["state"]["character"]
    assert sheet["abilities"] == rules.CLASSES["wizard"].abilities
    assert sheet["max_hp"] == rules.CLASSES["wizard"].hit_points
    assert sheet["backstory"] == ""


def test_the_backstory_is_on_the_sheet_and_the_game_master_is_told(
    app: Flask, api: CheckedClient
) -> None:
    """Trimmed on the sheet; the narrator's Messages request for the first turn carries it."""
    resp = create(api, method="point_buy", abilities=POINT_BUY, backstory=f"  {BACKSTORY} ")
    assert resp.status_code == 201, resp.get_data(as_text=True)
    gid = resp.get_json()["id"]
    assert api.get(f"/api/games/{gid}").get_json()["state"]["character"]["backstory"] == BACKSTORY
    play(app.test_client(), gid, "look around")
    assert any(BACKSTORY in body for body in model_requests(app))


BAD = [
    (
        {"method": "point_buy", "abilities": {**POINT_BUY, "wisdom": 12}},
        "point_buy_budget",
        "point-buy costs 29 points; the budget is 27",
    ),
    (
        {"method": "point_buy", "abilities": {**POINT_BUY, "charisma": 16}},
        "ability_score",
        "charisma must be a whole number from 8 to 15",
    ),
    (
        {"method": "standard_array", "abilities": {**STANDARD, "strength": 15}},
        "standard_array",
        "standard array needs 15, 14, 13, 12, 10, 8 once each; 15 is used twice",
    ),
    (
        {"method": "standard_array", "abilities": {**STANDARD, "luck": 10}},
        "unknown_ability",
        "unknown ability 'luck'",
    ),
    (
        {"method": "point_buy", "abilities": {k: v for k, v in POINT_BUY.items() if k != "wisdom"}},
        "missing_ability",
        "missing: wisdom",
    ),
    ({"method": "roll_4d6", "abilities": STANDARD}, "unknown_method", "roll_4d6"),
    ({"abilities": STANDARD}, "unknown_method", "standard_array, point_buy"),
    ({"backstory": "x" * 201}, "invalid_backstory", "at most 200 characters"),
    ({"backstory": "one\ntwo"}, "invalid_backstory", "one line"),
]


@pytest.mark.parametrize(("character", "rule", "says"), BAD, ids=[b[1] for b in BAD])
def test_each_broken_rule_is_a_400_naming_it(
    api: CheckedClient, character: dict[str, Any], rule: str, says: str
) -> None:
    """400 invalid_input; ``error.rule`` is the refusal code and the message says what broke."""
    resp = create(api, **character)
    assert resp.status_code == 400, resp.get_data(as_text=True)
    error = resp.get_json()["error"]
    assert (error["code"], error["rule"]) == ("invalid_input", rule)
    assert says in error["message"]


@pytest.mark.parametrize(
    "character",
    [{"abilities": [15, 14, 13, 12, 10, 8]}, {"method": 3}, {"backstory": ["a"]}],
)
def test_wrongly_shaped_fields_are_a_plain_400(
    api: CheckedClient, character: dict[str, Any]
) -> None:
    """Not an object / not a string: invalid_input before any rule is asked."""
    resp = create(api, **character)
    assert resp.status_code == 400
    assert resp.get_json()["error"]["code"] == "invalid_input"
