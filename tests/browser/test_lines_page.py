"""Browser tests of lines of play: retry a reply, flip its tellings, rewind, switch lines.

Run: ``python -m pytest -q tests/browser/test_lines_page.py`` (Debian's Chromium).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from game_master.testing import chapter_per_turn_budget

from .pages import TURN_MS, expect, play, start_game, watch_story

pytestmark = pytest.mark.browser


def reply_text(reply: Any) -> str:
    """The narration of one GM entry."""
    return str(reply.locator(".entry-text").inner_text())


def focused_label(page: Any) -> str | None:
    """The aria-label of the focused element."""
    return page.evaluate("() => document.activeElement.getAttribute('aria-label')")


def no_horizontal_scroll(page: Any) -> None:
    """Nothing on the page is wider than its viewport."""
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"horizontal scroll: {width}"


def test_retry_flip_rewind_and_switch_lines(serve: Any, new_page: Any) -> None:
    base = serve(GM_OFFLINE_FIRST_TOKEN_MS="30", GM_OFFLINE_TOKENS_PER_S="300")
    page, problems = new_page()
    start_game(page, base)
    play(page, "look around")
    play(page, "take the bread")
    gm = page.locator("#story .entry-gm:not(.intro)")
    players = page.locator("#story .entry-player")
    inventory = page.locator("#inventory")
    expect(gm).to_have_count(2)
    expect(inventory).to_contain_text("Loaf of bread")
    first_telling = reply_text(gm.nth(1))

    # Only the latest reply can be told again; earlier ones offer a rewind.
    expect(gm.nth(0).get_by_role("button", name="Retry this reply")).to_have_count(0)
    expect(gm.nth(0).get_by_role("button", name="Rewind to here")).to_be_visible()
    expect(gm.nth(1).get_by_role("button", name="Rewind to here")).to_have_count(0)
    expect(page.locator(".alt-switch")).to_have_count(0)

    # Retry: a second telling streams into the same slot, and ‹ 2/2 › shows.
    watch_story(page)
    gm.nth(1).get_by_role("button", name="Retry this reply").click()
    expect(page.locator("#busy-indicator")).to_be_hidden(timeout=TURN_MS)
    flipper = gm.nth(1).locator(".alt-switch")
    expect(flipper.locator(".alt-count")).to_have_text("2/2")
    expect(flipper).to_have_attribute("aria-label", "Telling 2 of 2")
    seen = page.evaluate("() => window.__gm")
    assert seen["busySeen"], "the busy indicator never showed during the retry"
    assert seen["textChanges"] >= 3, f"the retry did not stream ({seen['textChanges']} updates)"
    expect(gm).to_have_count(2)
    expect(players).to_have_count(2)
    second_telling = reply_text(gm.nth(1))
    assert second_telling != first_telling, "the retry told the turn the same way"
    expect(inventory).to_contain_text("Loaf of bread")
    expect(gm.nth(1).get_by_role("button", name="Retry this reply")).to_be_enabled()

    # Flip to the first telling and back (the second flip by keyboard): text and sheet follow.
    flipper.get_by_role("button", name="Show telling 1 of 2").click()
    expect(flipper.locator(".alt-count")).to_have_text("1/2")
    expect(gm.nth(1).locator(".entry-text")).to_have_text(first_telling)
    expect(inventory).to_contain_text("Loaf of bread")
    assert focused_label(page) == "Show telling 2 of 2"
    page.keyboard.press("Enter")
    expect(flipper.locator(".alt-count")).to_have_text("2/2")
    expect(gm.nth(1).locator(".entry-text")).to_have_text(second_telling)
    expect(inventory).to_contain_text("Loaf of bread")
    assert focused_label(page) == "Show telling 1 of 2"

    # Rewind to turn 1: a confirmation says what is set aside; Escape cancels.
    rewind = gm.nth(0).get_by_role("button", name="Rewind to here")
    dialog = page.locator("#rewind-dialog")
    rewind.click()
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(
        "Turn 2 will be set aside as another line of play; nothing is deleted."
    )
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(gm).to_have_count(2)
    rewind.click()
    dialog.get_by_role("button", name="Rewind", exact=True).click()
    expect(dialog).to_be_hidden()
    expect(gm).to_have_count(1)
    expect(players).to_have_count(1)
    expect(inventory).not_to_contain_text("Loaf of bread")
    expect(gm.nth(0).get_by_role("button", name="Retry this reply")).to_be_visible()

    # Lines of play: two lines, the rewound one active; switching brings the bread back.
    page.get_by_role("button", name="Lines of play").click()
    lines = page.locator("#lines-list .line-item")
    expect(lines).to_have_count(2)
    active = page.locator("#lines-list .line-item.active")
    expect(active).to_contain_text("playing now")
    expect(active).to_contain_text("look around")
    other = page.locator("#lines-list .line-item:not(.active)")
    expect(other).to_contain_text("2 turns")
    expect(other).to_contain_text("take the bread")
    other.get_by_role("button", name="Switch").click()
    expect(page.locator("#lines-dialog")).to_be_hidden()
    expect(gm).to_have_count(2)
    expect(inventory).to_contain_text("Loaf of bread")
    assert page.evaluate("() => document.activeElement.id") == "turn-input"

    # Nothing scrolls sideways, and the reply's and the dialog's controls stay on screen.
    no_horizontal_scroll(page)
    width = page.viewport_size["width"]
    for button in gm.nth(1).locator(".turn-actions button").all():
        box = button.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, box
    page.get_by_role("button", name="Lines of play").click()
    expect(lines).to_have_count(2)
    no_horizontal_scroll(page)
    for switch in page.locator("#lines-list button").all():
        box = switch.bounding_box()
        assert box is not None and box["x"] + box["width"] <= width, box
    page.keyboard.press("Escape")
    expect(page.locator("#lines-dialog")).to_be_hidden()

    assert problems.items == []


def test_refusals_show_the_contract_message(serve: Any, new_page: Any) -> None:
    base = serve()
    page, problems = new_page()
    start_game(page, base)
    play(page, "look around")
    play(page, "take the bread")
    gm = page.locator("#story .entry-gm:not(.intro)")
    busy = {"code": "turn_in_progress", "message": "A turn is already being played."}

    def refuse(route: Any) -> None:
        route.fulfill(status=409, content_type="application/json", body=json.dumps({"error": busy}))

    page.route("**/rewind", refuse)
    gm.nth(0).get_by_role("button", name="Rewind to here").click()
    page.locator("#rewind-dialog").get_by_role("button", name="Rewind", exact=True).click()
    error = page.locator("#game-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("A turn is already being played.")
    # Nothing changed on the page, and the story can go on.
    expect(gm).to_have_count(2)
    expect(page.locator("#inventory")).to_contain_text("Loaf of bread")
    error.get_by_role("button", name="Dismiss").click()
    expect(error).to_be_hidden()

    page.route("**/retry", refuse)
    gm.nth(1).get_by_role("button", name="Retry this reply").click()
    expect(error).to_contain_text("A turn is already being played.")
    # The narration names it mid-sentence ("You take the loaf of bread").
    expect(gm.nth(1)).to_contain_text(re.compile("loaf of bread", re.IGNORECASE))
    expect(page.locator("#send-button")).to_be_enabled()
    no_horizontal_scroll(page)
    # The browser logs the refused requests itself; that is expected here.
    assert [p for p in problems.items if "409" not in p] == []


def test_earlier_turns_page_in_above(serve: Any, new_page: Any) -> None:
    """A long line shows its newest turns; "Earlier turns" pages the rest in, in order."""
    base = serve()
    page, problems = new_page()
    start_game(page, base)
    for message in ("look around", "take the bread", "go east"):
        play(page, message)

    def newest_only(route: Any) -> None:
        # The server sends the newest 50 turns; pretend the page holds only the newest one.
        answer = route.fetch()
        game = answer.json()
        game["turns"] = game["turns"][-1:]
        game["line"]["older"] = True
        route.fulfill(response=answer, body=json.dumps(game))

    page.route("**/api/games/*", newest_only)
    page.reload()
    players = page.locator("#story .entry-player")
    expect(players).to_have_count(1)
    older = page.get_by_role("button", name="Earlier turns")
    expect(older).to_be_visible()
    page.unroute("**/api/games/*")
    older.click()
    expect(players).to_have_count(3)
    expect(older).to_have_count(0)
    texts = [t.strip() for t in players.locator(".entry-text").all_inner_texts()]
    assert texts == ["look around", "take the bread", "go east"]
    # The paged-in turns can be rewound to; only the newest can be retold.
    gm = page.locator("#story .entry-gm:not(.intro)")
    expect(gm.nth(0).get_by_role("button", name="Rewind to here")).to_be_visible()
    expect(page.get_by_role("button", name="Retry this reply")).to_have_count(1)
    assert problems.items == []


def test_story_so_far_shows_the_chronicle(serve: Any, new_page: Any) -> None:
    """After a chapter closes, the page shows "Story so far" with the chapter's summary,
    folded until opened."""
    base = serve(GM_CONTEXT_BUDGET_TOKENS=chapter_per_turn_budget())
    page, problems = new_page()
    start_game(page, base)
    play(page, "look around")
    play(page, "take the bread")
    page.reload()
    chronicle = page.locator("#story .chronicle")
    expect(chronicle).to_have_count(1)
    expect(chronicle.locator("summary")).to_contain_text("Story so far")
    chronicle.locator("summary").click()
    expect(chronicle.locator(".chronicle-chapter").first).to_contain_text("Chapter 1 (turns 1")
    assert problems.items == []
