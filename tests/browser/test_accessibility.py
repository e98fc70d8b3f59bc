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

from .pages import (
    act,
    close_sheet,
    expect,
    game_id,
    join_as_player,
    join_as_spectator,
    make_invite,
    open_sheet,
    play,
    start_game,
)

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


def test_every_screen_passes_axe(serve: Any, axe_page: Any, phone: bool) -> None:
    """The start page (empty, with saved and archived games), the game page and its dialogs,
    the offline note, read aloud's controls, the sheet over the story on a phone, and the
    not-your-game page: no serious or critical violation at either width."""
    base = serve()
    page, problems = axe_page

    page.goto(base + "/")
    expect(page.locator("#start-screen")).to_be_visible()
    page.locator("#offline-badge summary").click()
    expect(page.locator("#offline-badge .offline-words")).to_be_visible()
    assert_accessible(page, "the start page, no saved game, the offline note open")
    page.locator("#offline-badge summary").click()

    # The game page after two turns: tool calls in the log, a rated reply, turn actions,
    # read aloud on (its voice and speed showing).
    start_game(page, base)
    play(page, "look around")
    play(page, "take the bread")
    gm = page.locator("#story .entry-gm:not(.intro)")
    gm.first.locator("button.feedback-up").click()
    expect(gm.first.locator(".feedback-status")).to_have_text("Feedback recorded")
    expect(page.locator("#dice-log li")).not_to_have_count(0)
    read_aloud = page.get_by_role("button", name="Read aloud")
    read_aloud.click()
    expect(read_aloud).to_have_attribute("aria-pressed", "true")
    if not phone:
        assert overflows(page, ".side-panel"), "the side panel no longer scrolls: check it"
    assert_accessible(page, "the game page after two turns")
    if phone:
        open_sheet(page, phone)
        for _ in range(12):  # each turn logs its tool call; a phone shows the log in 16rem
            if overflows(page, "#dice-log"):
                break
            close_sheet(page, phone)
            play(page, "look around")
            open_sheet(page, phone)
        assert overflows(page, "#dice-log"), "the dice log never scrolled: play more turns"
        assert_accessible(page, "the sheet over the story")
        close_sheet(page, phone)

    # Its dialogs: the lines of play, and the question before a rewind.
    page.click("#lines-button")
    expect(page.locator("#lines-list li")).not_to_have_count(0)
    assert_accessible(page, "the lines-of-play dialog")
    page.click("#lines-close")
    gm.first.get_by_role("button", name="Rewind to here").click()
    expect(page.locator("#rewind-dialog")).to_be_visible()
    assert_accessible(page, "the rewind dialog")
    page.click("#rewind-cancel")

    # The start page once this browser has a saved game and an archived one, the archive
    # question, and the archived list open.
    gid = game_id(page)
    start_game(page, base, "Bree", "wizard")
    page.click("#new-game-button")
    expect(page.locator("#saved-list .saved-item")).to_have_count(2)
    page.get_by_role("button", name="Archive Bree in The Drowned Bell").click()
    expect(page.locator("#archive-dialog")).to_be_visible()
    assert_accessible(page, "the archive question")
    page.click("#archive-confirm")
    expect(page.locator("#saved-list .saved-item")).to_have_count(1)
    page.locator("#archived summary").click()
    expect(page.locator("#archived-list .saved-item")).to_have_count(1)
    assert_accessible(page, "the start page with a saved game and an archived one")
    assert problems.items == []

    # Another browser at the game's address.
    other = page.context.browser.new_context(viewport=page.viewport_size)
    try:
        theirs = other.new_page()
        theirs.route(
            "**" + AXE_PATH,
            lambda route: route.fulfill(path=str(AXE_JS), content_type="text/javascript"),
        )
        assert theirs.goto(f"{base}/games/{gid}").status == 404
        assert_accessible(theirs, "the not-your-game page")
    finally:
        other.close()


def axe_context_page(browser: Any, viewport: Any) -> tuple[Any, Any]:
    """A page in a fresh browser context (another person) that can load axe-core."""
    ctx = browser.new_context(viewport=viewport)
    ctx.set_default_timeout(10_000)
    page = ctx.new_page()
    page.route(
        "**" + AXE_PATH,
        lambda route: route.fulfill(path=str(AXE_JS), content_type="text/javascript"),
    )
    return ctx, page


def test_party_views_pass_axe(serve: Any, axe_page: Any) -> None:
    """The host's invite dialog with invites in it, the join page of a player invite and of a
    spectator invite, and the table as the host, a player (mid-round, action sent) and a
    spectator see it: no serious or critical violation at either width."""
    base = serve()
    host, problems = axe_page
    start_game(host, base, "Mara", "fighter")
    player_link = make_invite(host, "player")
    spectator_link = make_invite(host, "spectator")
    assert_accessible(host, "the invite dialog with two invites")
    host.click("#invite-close")

    contexts = []
    try:
        ctx, player = axe_context_page(host.context.browser, host.viewport_size)
        contexts.append(ctx)
        player.goto(player_link)
        expect(player.locator("#start-heading")).to_have_text("Join the table")
        assert_accessible(player, "the join page of a player invite")
        join_as_player(player, player_link, "Odo", "rogue")

        ctx, spectator = axe_context_page(host.context.browser, host.viewport_size)
        contexts.append(ctx)
        spectator.goto(spectator_link)
        expect(spectator.locator("#spectate-form")).to_be_visible()
        assert_accessible(spectator, "the join page of a spectator invite")
        join_as_spectator(spectator, spectator_link, "Sam")

        act(player, "I keep watch by the well")
        expect(host.locator("#round-status")).to_contain_text("waiting for you")
        assert_accessible(host, "the host's table, a round open")
        assert_accessible(player, "a player's table, their action sent")
        expect(spectator.locator("#seats .seat")).to_have_count(3)
        assert_accessible(spectator, "a spectator's table")
    finally:
        for ctx in contexts:
            ctx.close()
    assert problems.items == []
