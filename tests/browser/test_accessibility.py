"""axe-core on the start page and the game page: no serious or critical violation.

axe-core comes from npm (tests/browser/package.json; run ``npm ci`` in tests/browser, as
.ci/run does). Run: ``python -m pytest -q tests/browser/test_accessibility.py``.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from game_master.testing import in_ci

from .pages import expect, play, start_game

pytestmark = pytest.mark.browser

AXE_JS = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
# Where the page loads axe from. The page's CSP (script-src falls back to default-src
# 'self') refuses the inline <script> that add_script_tag(path=...) writes, and the test
# must not loosen that CSP (bypass_csp) since it is part of what the page is. So axe is
# served from the page's own origin: a Playwright route answers this URL with the file.
AXE_PATH = "/__test__/axe.min.js"
BLOCKING = ("serious", "critical")
# Runs axe in the page and keeps what a developer needs to fix each blocking violation.
# page.evaluate goes through CDP Runtime.evaluate, which the page's CSP does not govern.
RUN_AXE = """async (blocking) => {
    const result = await axe.run(document, {resultTypes: ['violations']});
    return result.violations
        .filter((v) => blocking.includes(v.impact))
        .map((v) => ({
            id: v.id, impact: v.impact, help: v.help, url: v.helpUrl,
            nodes: v.nodes.map((n) => ({target: n.target.join(' '), why: n.failureSummary})),
        }));
}"""


@pytest.fixture
def axe_page(new_page: Any) -> Any:
    """A page that can load axe-core from its own origin; skips without it (fails in CI)."""
    if not AXE_JS.exists():
        why = "tests/browser/node_modules is absent (run: cd tests/browser && npm ci)"
        if shutil.which("npm") is None:
            why = "npm is not installed (axe-core comes from npm)"
        if in_ci():
            pytest.fail(f"CI must run the accessibility test: {why}")
        pytest.skip(why)
    page, problems = new_page()
    page.route(
        "**" + AXE_PATH,
        lambda route: route.fulfill(path=str(AXE_JS), content_type="text/javascript"),
    )
    return page, problems


def assert_accessible(page: Any, where: str) -> None:
    """axe-core finds no serious or critical violation on the page as it is now."""
    if page.evaluate("() => typeof window.axe") == "undefined":
        origin = page.evaluate("() => location.origin")
        page.add_script_tag(url=origin + AXE_PATH)
    violations = page.evaluate(RUN_AXE, list(BLOCKING))
    report = [
        f"{v['id']} ({v['impact']}): {v['help']} <{v['url']}>\n"
        + "\n".join(f"    {n['target']}: {n['why']}" for n in v["nodes"])
        for v in violations
    ]
    assert not report, f"axe-core on {where}:\n" + "\n".join(report)


def overflows(page: Any, selector: str) -> bool:
    """Whether the element scrolls by a whole line: axe checks scrollable regions past 13 px."""
    return bool(
        page.evaluate(
            "(s) => { const e = document.querySelector(s);"
            " return e.scrollHeight - e.clientHeight > 32; }",
            selector,
        )
    )


def test_start_and_game_pages_pass_axe(serve: Any, axe_page: Any) -> None:
    base = serve()
    page, problems = axe_page

    page.goto(base + "/")
    expect(page.locator("#start-screen")).to_be_visible()
    assert_accessible(page, "the start page, no saved game")

    # The game page after two turns: tool calls in the log, a rated reply, turn actions.
    start_game(page, base)
    play(page, "look around")
    play(page, "take the bread")
    gm = page.locator("#story .entry-gm:not(.intro)")
    gm.first.locator("button.feedback-up").click()
    expect(gm.first.locator(".feedback-status")).to_have_text("Feedback recorded")
    expect(page.locator("#dice-log li")).not_to_have_count(0)
    assert overflows(page, ".side-panel"), "the side panel no longer scrolls: check it another way"
    assert_accessible(page, "the game page after two turns")

    # Its dialogs: the lines of play, and the question before a rewind.
    page.click("#lines-button")
    expect(page.locator("#lines-list li")).not_to_have_count(0)
    assert_accessible(page, "the lines-of-play dialog")
    page.click("#lines-close")
    gm.first.get_by_role("button", name="Rewind to here").click()
    expect(page.locator("#rewind-dialog")).to_be_visible()
    assert_accessible(page, "the rewind dialog")
    page.click("#rewind-cancel")

    # The start page once this browser has a saved game (its list of saved games).
    page.reload()
    expect(page.locator("#saved-list .saved-item")).to_have_count(1)
    assert_accessible(page, "the start page with a saved game")
    assert problems.items == []


def test_game_page_at_phone_width_passes_axe(serve: Any, axe_page: Any) -> None:
    base = serve()
    page, problems = axe_page
    page.set_viewport_size({"width": 390, "height": 844})
    start_game(page, base)
    play(page, "take the bread")
    for _ in range(12):  # each turn logs its tool call; a phone shows the log in 16rem
        if overflows(page, "#dice-log"):
            break
        play(page, "look around")
    assert overflows(page, "#dice-log"), "the dice log never scrolled: play more turns"
    assert_accessible(page, "the game page at phone width")
    assert problems.items == []
