"""Browser tests of the game page: Debian's Chromium driven by Playwright over real HTTP.

Run: ``python -m pytest -q tests/browser``. Set ``GM_UPDATE_SCREENSHOT=1`` to refresh
``docs/screenshot.png``; ``GM_CHROMIUM`` points at another Chromium binary.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from game_master.testing import REPO

from .pages import continue_game, expect, play, start_game, watch_story

pytestmark = pytest.mark.browser


# --------------------------------------------------------------------------- tests


def test_play_stream_reload_and_feedback(serve: Any, new_page: Any, tmp_path: Path) -> None:
    base = serve(GM_OFFLINE_FIRST_TOKEN_MS="50", GM_OFFLINE_TOKENS_PER_S="200")
    page, problems = new_page()
    page.goto(base + "/")
    badge = page.locator("#offline-badge")
    expect(badge).to_be_visible()
    assert "ANTHROPIC_API_KEY" in (badge.get_attribute("title") or "")
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

    shot = (
        REPO / "docs" / "screenshot.png"
        if os.environ.get("GM_UPDATE_SCREENSHOT") == "1"
        else tmp_path / "screenshot.png"
    )
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000

    # Reload: Continue restores both turns.
    page.reload()
    continue_game(page)
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


def test_phone_width_has_no_horizontal_scroll(serve: Any, new_page: Any) -> None:
    base = serve()
    page, problems = new_page(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page.goto(base + "/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    start_game(page, base)
    play(page, "look around")
    expect(page.locator("#story .entry-gm:not(.intro)")).to_contain_text("Village Square")
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"horizontal scroll: {width}"
    # The side panel stacks under the story.
    story_box = page.locator(".story-column").bounding_box()
    panel_box = page.locator(".side-panel").bounding_box()
    assert panel_box["y"] >= story_box["y"] + story_box["height"] - 1
    assert panel_box["x"] + panel_box["width"] <= 390
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
    expect(page.locator("#busy-indicator")).to_be_hidden()
    expect(error).to_have_count(0)
    expect(page.locator("#story .entry-player")).to_have_count(1)
    expect(page.locator("#story .entry-gm:not(.intro)")).to_contain_text("Village Square")
    assert problems.items == []
