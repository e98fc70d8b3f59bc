"""Character creation in the browser: the adventure picker, point-buy with points left,
a backstory on the sheet, and the server's refusal of an over-budget buy next to the form."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from game_master import rules

from ..contract.test_scenarios import add_scenario
from .pages import expect

pytestmark = pytest.mark.browser

# 9 + 9 + 5 + 2 + 2 + 0 = 27 points: the whole budget.
POINT_BUY = {
    "strength": 8,
    "dexterity": 15,
    "constitution": 13,
    "intelligence": 15,
    "wisdom": 10,
    "charisma": 10,
}
BACKSTORY = "Raised by smugglers, she owes the ferryman a favour <b>and</b> a song."


def fill_scores(page: Any, scores: dict[str, int]) -> None:
    """Type each point-buy score into its number input."""
    for ability, score in scores.items():
        page.get_by_label(ability.capitalize(), exact=True).fill(str(score))


def test_point_buy_character_with_a_backstory(serve: Any, new_page: Any, tmp_path: Path) -> None:
    """The picker shows each adventure's title, tagline and tone; an over-budget buy shows
    the server's refusal by the form; a good buy starts the chosen adventure with a sheet of
    exactly the chosen scores and the backstory (as text, never markup)."""
    add_scenario(tmp_path, "heist", "The Glass Vault")
    base = serve(GM_SCENARIO_DIR=str(tmp_path))
    page, problems = new_page()
    page.goto(base + "/")

    # The adventure picker: a radio per scenario, named by its title and described by its
    # tagline and tone; the default adventure is chosen.
    picker = page.locator("#scenario-picker")
    expect(picker).to_be_visible()
    bell = rules.load_scenario()
    offered = [
        (bell.title, bell.tagline, bell.tone),
        ("The Glass Vault", "Steal it back.", "city heist"),
    ]
    for title, tagline, tone in offered:
        radio = picker.get_by_role("radio", name=title, exact=True)
        expect(radio).to_have_accessible_description(f"{tagline} Tone: {tone}")
        card = picker.locator("label.scenario-option").filter(
            has=page.get_by_role("radio", name=title)
        )
        expect(card).to_contain_text(tagline)
        expect(card).to_contain_text(tone)
    expect(picker.get_by_role("radio", name=bell.title)).to_be_checked()
    picker.get_by_role("radio", name="The Glass Vault").check()

    page.fill("#character-name", "Ada")
    page.select_option("#character-class", "wizard")
    page.get_by_label("Point-buy").check()
    points = page.locator("#points-left")
    expect(points).to_have_text("Points left: 27 of 27")

    # Over budget (wisdom 12 costs 2 more): the page says so, and so does the server.
    fill_scores(page, {**POINT_BUY, "wisdom": 12})
    expect(points).to_contain_text("Over budget")
    page.click("#start-button")
    error = page.locator("#start-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("point-buy costs 29 points; the budget is 27")
    expect(page.locator("#start-screen")).to_be_visible()

    # Within budget, with a backstory: the sheet shows both.
    fill_scores(page, POINT_BUY)
    expect(points).to_have_text("Points left: 0 of 27")
    page.fill("#character-backstory", BACKSTORY)
    page.click("#start-button")
    expect(page.locator("#game-screen")).to_be_visible()
    expect(page.locator("#scenario-title")).to_have_text("The Glass Vault")
    expect(page.locator("#char-backstory")).to_have_text(BACKSTORY)
    assert page.locator("#char-backstory b").count() == 0
    scores = page.locator("#abilities .ability .score").all_text_contents()
    assert scores == [str(POINT_BUY[a]) for a in rules.ABILITIES]
    # The refused buy's 400 is the only thing the console reports.
    assert [p for p in problems.items if "400" not in p] == []


def test_the_form_starts_fresh_for_each_new_game(serve: Any, new_page: Any) -> None:
    """After a game, "New game" shows the form as a newcomer first sees it: no name, the
    first class, the class's own scores, no backstory, the default adventure."""
    base = serve()
    page, problems = new_page()
    page.goto(base + "/")
    fresh = {
        "#character-name": "",
        "#character-class": "fighter",
        "#character-backstory": "",
    }
    for selector, value in fresh.items():
        expect(page.locator(selector)).to_have_value(value)
    bell = rules.load_scenario()
    picker = page.locator("#scenario-picker")
    expect(picker.get_by_role("radio", name=bell.title)).to_be_checked()

    page.fill("#character-name", "Bree")
    page.select_option("#character-class", "rogue")
    page.get_by_label("Point-buy").check()
    fill_scores(page, POINT_BUY)
    page.fill("#character-backstory", BACKSTORY)
    picker.get_by_role("radio", name="The Last Ember").check()
    page.click("#start-button")
    expect(page.locator("#game-screen")).to_be_visible()
    expect(page.locator("#char-name")).to_have_text("Bree")

    page.click("#new-game-button")
    expect(page.locator("#start-screen")).to_be_visible()
    for selector, value in fresh.items():
        expect(page.locator(selector)).to_have_value(value)
    expect(page.get_by_label("The class's own")).to_be_checked()
    expect(page.locator("#ability-inputs")).to_be_hidden()
    expect(picker.get_by_role("radio", name=bell.title)).to_be_checked()
    # "New game" means a new character: the name takes the keys.
    assert page.evaluate("document.activeElement.id") == "character-name"
    assert problems.items == []
